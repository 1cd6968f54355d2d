"""phasenas: LLM-driven neural architecture search in two phases (PhaseNAS).

>>> import phasenas
>>> config = phasenas.SearchConfig(space="macro")           # doctest: +SKIP
>>> result = phasenas.search(config)                         # doctest: +SKIP
>>> result.best, result.best_score                           # doctest: +SKIP

The public names load lazily, so `import phasenas` (and `phasenas validate`) does not pull in torch and LangGraph.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "search": "phasenas.runs", "asearch": "phasenas.runs", "resume": "phasenas.runs", "aresume": "phasenas.runs",
    "replay": "phasenas.runs", "areplay": "phasenas.runs", "load_result": "phasenas.runs",
    "aload_result": "phasenas.runs", "SearchResult": "phasenas.runs", "ReplayReport": "phasenas.runs",
    "SearchConfig": "phasenas.config", "get_space": "phasenas.space",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'phasenas' has no attribute {name!r}")
