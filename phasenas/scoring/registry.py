"""The proxy registry: a decorator and a dict, plus the ``phasenas.proxies`` entry point group for users' own.

A proxy is a function ``fn(inp: ProxyInput) -> float`` where higher means "predicted to be more accurate".
Analytic proxies read only the validation report and run in the calling process; the others get a freshly
built, seeded model and run in a worker.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import structlog

from phasenas.errors import PhaseNASError
from phasenas.scoring.settings import ScoreSettings

if TYPE_CHECKING:
    import torch

    from phasenas.space import ValidationReport

log = structlog.get_logger(__name__)

ENTRY_POINT_GROUP = "phasenas.proxies"


class UnknownProxy(PhaseNASError):
    """No proxy is registered under the requested name."""


@dataclass(frozen=True, slots=True)
class ProxyInput:
    """Everything a proxy may read. ``model`` is None for analytic proxies."""

    model: torch.nn.Module | None
    report: ValidationReport | None  # the candidate's validation report (params, flops, activations)
    image_channels: int
    resolution: int
    classes: int
    settings: ScoreSettings
    device: torch.device | None


@dataclass(frozen=True, slots=True)
class Proxy:
    """A registered proxy and what its value depends on."""

    name: str
    fn: Callable[[ProxyInput], float]
    settings: tuple[str, ...]    # ScoreSettings fields that change the value (part of the cache key)
    analytic: bool               # True: computed from the validation report, no model, no worker
    summary: str
    max_batch: int | None = None         # the proxy never feeds more images than this (memory guard)
    max_resolution: int | None = None    # ... nor larger ones

    def __call__(self, inp: ProxyInput) -> float:
        return self.fn(inp)


_PROXIES: dict[str, Proxy] = {}
_entry_points_loaded = False


def register_proxy(name: str, *, settings: tuple[str, ...] = (), analytic: bool = False,
                   max_batch: int | None = None, max_resolution: int | None = None,
                   ) -> Callable[[Callable[[ProxyInput], float]], Callable[[ProxyInput], float]]:
    """Decorator: register ``fn`` as proxy ``name`` (re-registering a name replaces it, e.g. in tests)."""
    unknown = set(settings) - set(ScoreSettings.__dataclass_fields__)
    if unknown:
        raise ValueError(f"proxy {name}: unknown settings {sorted(unknown)}")

    def wrap(fn: Callable[[ProxyInput], float]) -> Callable[[ProxyInput], float]:
        doc = (fn.__doc__ or "").strip().splitlines()
        _PROXIES[name] = Proxy(name, fn, tuple(sorted(settings)), analytic, doc[0] if doc else "", max_batch,
                               max_resolution)
        return fn

    return wrap


def load_entry_point_proxies() -> None:
    """Import the modules users registered under ``phasenas.proxies`` (importing them runs their decorators)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if callable(obj) and ep.name not in _PROXIES:
            register_proxy(ep.name)(obj)
        log.debug("scoring.proxy_plugin_loaded", entry_point=ep.name, value=ep.value)


def get_proxy(name: str) -> Proxy:
    """Look a proxy up by name; raises ``UnknownProxy`` listing the known names."""
    _load_builtin()
    if name not in _PROXIES:
        load_entry_point_proxies()
    try:
        return _PROXIES[name]
    except KeyError:
        raise UnknownProxy(f"unknown proxy {name!r}; known: {', '.join(list_proxies())}") from None


def list_proxies(pattern: str = "*") -> list[str]:
    """Registered proxy names matching a shell-style pattern, sorted."""
    _load_builtin()
    load_entry_point_proxies()
    return sorted(n for n in _PROXIES if fnmatch.fnmatchcase(n, pattern))


def _load_builtin() -> None:
    import phasenas.scoring.proxies  # noqa: F401  (registers the built-in proxies)
