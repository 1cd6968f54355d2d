"""The ``ensemble`` proxy: rank-average of several proxies over the candidates scored so far.

Raw proxy values live on unrelated scales (a log-determinant, a FLOP count), so each component is turned into a
rank fraction among every candidate this ranker has seen (0 = worst, 1 = best, ties share the mid-rank), and the
ensemble score is the mean over components. The value of a candidate therefore depends on what was scored before
it; ``ranking()`` re-ranks every candidate against the full history when a stable comparison is needed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence

ENSEMBLE = "ensemble"


class EnsembleRanker:
    """History of component scores per canonical form, and rank-averages over it."""

    def __init__(self, components: Sequence[str]) -> None:
        if not components:
            raise ValueError("an ensemble needs at least one component proxy")
        self.components = tuple(components)
        self._scores: dict[str, tuple[float, ...]] = {}
        self._sorted: list[list[float]] = [[] for _ in self.components]

    def __len__(self) -> int:
        return len(self._scores)

    def add(self, canonical: str, scores: Sequence[float]) -> float:
        """Record a candidate's component scores (once) and return its rank-average among all seen so far."""
        if len(scores) != len(self.components):
            raise ValueError(f"expected {len(self.components)} component scores, got {len(scores)}")
        if canonical not in self._scores:
            self._scores[canonical] = tuple(scores)
            for column, value in zip(self._sorted, scores, strict=True):
                insort(column, value)
        return self._rank_average(self._scores[canonical])

    def ranking(self) -> dict[str, float]:
        """Every candidate's rank-average against the whole history."""
        return {canonical: self._rank_average(scores) for canonical, scores in self._scores.items()}

    def _rank_average(self, scores: tuple[float, ...]) -> float:
        n = len(self._scores)
        if n <= 1:
            return 0.5
        total = 0.0
        for column, value in zip(self._sorted, scores, strict=True):
            below = bisect_left(column, value)
            ties = bisect_right(column, value) - below - 1  # others with the same value
            total += (below + 0.5 * ties) / (n - 1)
        return total / len(self.components)
