"""Providers by name, and any LangChain chat model by import path: the one way configs become chat models.

`@register_provider("name")` puts a builder into `_PROVIDERS`; users' packages add theirs through the
`phasenas.llm_providers` entry-point group. A spec names either a registered provider or
`"module:Attribute"` (a `BaseChatModel` subclass or a function returning one), plus keyword arguments.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from pydantic import ValidationError

from phasenas.llm.errors import ConfigError

Builder = Callable[..., BaseChatModel]
B = TypeVar("B", bound=Builder)
ENTRY_POINT_GROUP = "phasenas.llm_providers"
_PROVIDERS: dict[str, Builder] = {}
# Built-in providers whose modules are imported on first use (they pull in more than the provider layer).
_LAZY_BUILTINS = {"replay": "phasenas.llm.replay"}

ChatModelSpec = str | Mapping[str, Any]


def register_provider(name: str) -> Callable[[B], B]:
    """Register a chat-model class or builder function under `name`."""

    def add(builder: B) -> B:
        if name in _PROVIDERS and _PROVIDERS[name] is not builder:
            raise ConfigError(f"provider {name!r} is already registered")
        _PROVIDERS[name] = builder
        return builder

    return add


def list_providers(pattern: str = "*") -> list[str]:
    """Registered provider names (built-in and entry points) matching an fnmatch pattern."""
    names = set(_PROVIDERS) | set(_LAZY_BUILTINS) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(n for n in names if fnmatch.fnmatch(n, pattern))


def _builder(name: str) -> Builder:
    if ":" in name:
        return _import_attribute(name)
    if name not in _PROVIDERS and name in _LAZY_BUILTINS:
        importlib.import_module(_LAZY_BUILTINS[name])  # registers itself
    if name in _PROVIDERS:
        return _PROVIDERS[name]
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        return ep.load()
    raise ConfigError(
        f"unknown provider {name!r}; registered: {', '.join(list_providers())}; "
        "or give a LangChain chat model as 'module:Class'"
    )


def _import_attribute(path: str) -> Builder:
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r} for chat model {path!r}: {exc}") from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ConfigError(f"module {module_name!r} has no attribute {attribute!r}") from None


def create_chat_model(spec: ChatModelSpec) -> BaseChatModel:
    """Build a chat model from a spec.

    `"openai"` / `"langchain_ollama:ChatOllama"`, or a mapping `{"provider": ..., **kwargs}`; a `fallback`
    entry may itself be a spec.
    """
    if isinstance(spec, str):
        name, kwargs = spec, {}
    else:
        kwargs = dict(spec)
        try:
            name = kwargs.pop("provider")
        except KeyError:
            raise ConfigError(f"chat model spec needs a 'provider' entry: {sorted(kwargs)}") from None
        if isinstance(kwargs.get("fallback"), (str, Mapping)):
            kwargs["fallback"] = create_chat_model(kwargs["fallback"])
    try:
        model = _builder(name)(**kwargs)
    except ValidationError as exc:  # described without the input values: they may hold a key
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"invalid settings for chat model {name!r}: {problems}") from None
    if not isinstance(model, BaseChatModel):
        raise ConfigError(f"{name!r} built a {type(model).__name__}, not a LangChain BaseChatModel")
    return model
