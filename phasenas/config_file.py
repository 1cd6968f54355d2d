"""Load a search configuration: TOML file < ``PHASENAS_*`` environment < command-line flags, validated by pydantic.

A mistake gives one line per problem that names the key and what is allowed, never a traceback:

    config error: thresholds.mode: Input should be 'fixed' or 'auto' (got 'magic')

Environment overrides use the config's own key names upper-cased, nested keys joined by ``__``:
``PHASENAS_SPACE=zen-cifar``, ``PHASENAS_BUDGET__EVALUATIONS=50``. Values are parsed as TOML scalars
(``50``, ``true``, ``"text"``), falling back to the raw string.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from phasenas.config import SearchConfig
from phasenas.errors import UsageError

ENV_PREFIX = "PHASENAS_"


class ConfigError(UsageError):
    """A configuration that cannot be used; the message is ready to show to a user."""


def load_search_config(path: Path | None = None, overrides: Mapping[str, Any] | None = None,
                       environ: Mapping[str, str] | None = None) -> SearchConfig:
    """The effective config: file, then environment, then ``overrides`` (dotted keys, e.g. ``budget.evaluations``)."""
    data: dict[str, Any] = SearchConfig().model_dump(mode="json")  # partial tables keep the other defaults
    if path is not None:
        _merge(data, _read_toml(path))
    for key, value in env_overrides(os.environ if environ is None else environ).items():
        _set(data, key, value)
    for key, value in (overrides or {}).items():
        if value is not None:
            _set(data, key, value)
    try:
        return SearchConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(_describe(error, SearchConfig) for error in exc.errors())) from None


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``PHASENAS_*`` variables that name a config key (others, like PHASENAS_NBM_TABLE, are not config)."""
    found = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX):].lower().replace("__", ".")
        if key.split(".")[0] in SearchConfig.model_fields:
            found[key] = _scalar(raw)
    return found


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config error: no config file at {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config error: {path} is not valid TOML: {exc}") from None


def _merge(base: dict[str, Any], update: dict[str, Any]) -> None:
    """Merge tables key by key; a chat-model spec (``model``) is replaced whole, never mixed with the default."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key != "model":
            _merge(base[key], value)
        else:
            base[key] = value


def _scalar(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        child = node.setdefault(part, {})
        if part == "model" and not isinstance(child, dict):  # a provider name given as a string
            child = node[part] = {"provider": child}
        if not isinstance(child, dict):
            raise ConfigError(f"config error: {'.'.join(parents)} is a value, not a table; cannot set {dotted}")
        node = child
    node[leaf] = value


def _describe(error: Any, model: type[BaseModel]) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, error["loc"][:-1])
        message = f"unknown key; allowed keys here: {', '.join(allowed)}"
    elif "input" in error and not isinstance(error["input"], dict):
        message += f" (got {error['input']!r})"
    return f"config error: {location}: {message}"


def _allowed_keys(model: type[BaseModel], parents: tuple[Any, ...]) -> list[str]:
    for part in parents:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return sorted(model.model_fields)
