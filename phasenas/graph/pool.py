"""The top-K pool: best scores first, never two equal canonical forms, optionally no near-duplicates.

Pure functions over lists of `PoolEntry` so that the scorer node can return a new pool as a state update
and the rules are testable without a graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

from phasenas.graph.state import PoolEntry


def similarity(a: str, b: str) -> float:
    """How alike two canonical strings are, 0..1 (1: identical); cheap and space-agnostic."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def insert(pool: list[PoolEntry], new: Iterable[PoolEntry], size: int,
           max_similarity: float | None = None) -> list[PoolEntry]:
    """The pool after offering `new` entries: top `size` by score, unique canonical forms.

    With `max_similarity`, an entry at least that similar to a better kept entry is left out, so the pool
    the agents see is not eight spellings of one idea.
    """
    by_canonical: dict[str, PoolEntry] = {}
    for entry in [*pool, *new]:
        held = by_canonical.get(entry["canonical"])
        if held is None or entry["score"] > held["score"]:
            by_canonical[entry["canonical"]] = entry
    ranked = sorted(by_canonical.values(), key=lambda e: (-e["score"], e["step"], e["canonical"]))
    kept: list[PoolEntry] = []
    for entry in ranked:
        if len(kept) == size:
            break
        if max_similarity is not None and any(
            similarity(entry["canonical"], k["canonical"]) >= max_similarity for k in kept
        ):
            continue
        kept.append(entry)
    return kept


def top_and_diverse(pool: list[PoolEntry], n_top: int, n_diverse: int) -> tuple[list[PoolEntry], list[PoolEntry]]:
    """The best `n_top` entries plus up to `n_diverse` others, each chosen to be least like those already shown.

    Greedy farthest-point selection: deterministic, so a replayed run renders the same prompts.
    """
    top = pool[:n_top]
    rest = pool[n_top:]
    chosen: list[PoolEntry] = []
    shown = list(top)
    while rest and len(chosen) < n_diverse:
        if not shown:
            pick = rest[0]
        else:
            pick = min(rest, key=lambda e: max(similarity(e["canonical"], s["canonical"]) for s in shown))
        chosen.append(pick)
        shown.append(pick)
        rest = [e for e in rest if e is not pick]
    return top, chosen
