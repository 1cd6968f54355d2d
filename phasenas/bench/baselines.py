"""The classic baselines, scored through the same ScoringQueue as the graph: random search and evolution.

Both pick the argmax of the feedback. Neither ever scores a canonical form twice (like the graph's validator),
so a budget of N means N distinct architectures.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable

import structlog

from phasenas.bench.trajectory import Point, Trajectory, baseline_trajectory
from phasenas.scoring import ScoreResult
from phasenas.space import Space
from phasenas.space.arch import Arch

log = structlog.get_logger(__name__)

Scorer = Callable[[list[str]], Awaitable[list[ScoreResult]]]
_MAX_TRIES = 1000  # draws before giving up on finding an unseen architecture (the space has 3281 networks)


class _Recorder:
    """Scores batches of new architectures and keeps the points, the clock and the seen set."""

    def __init__(self, score: Scorer, budget: int) -> None:
        self.score, self.budget = score, budget
        self.points: list[Point] = []
        self.seen: set[str] = set()
        self.start = time.perf_counter()

    @property
    def left(self) -> int:
        return self.budget - len(self.points)

    async def add(self, archs: list[str]) -> list[ScoreResult]:
        results = await self.score(archs)
        now = time.perf_counter() - self.start
        self.points.extend(Point(r.canonical or a, r.score, now, "baseline") for a, r in zip(archs, results))
        return results

    def trajectory(self, **extra: object) -> Trajectory:
        return baseline_trajectory(self.points, time.perf_counter() - self.start, dict(extra))


def _fresh(space: Space, draw: Callable[[], Arch], seen: set[str]) -> str | None:
    for _ in range(_MAX_TRIES):
        canonical = space.canonical(draw())
        if canonical not in seen:
            seen.add(canonical)
            return canonical
    return None


async def random_search(space: Space, score: Scorer, budget: int, seed: int, parallel: int = 2) -> Trajectory:
    """Uniform sampling of the space, `parallel` architectures scored at a time; pick the feedback argmax."""
    rng = random.Random(seed)
    rec = _Recorder(score, budget)
    while rec.left > 0:
        batch = [a for a in (_fresh(space, lambda: space.sample(rng), rec.seen)
                             for _ in range(min(parallel, rec.left))) if a is not None]
        if not batch:
            break
        await rec.add(batch)
    log.info("bench.random_done", seed=seed, evaluations=len(rec.points))
    return rec.trajectory()


async def evolution(space: Space, score: Scorer, budget: int, seed: int, population: int = 16,
                    parallel: int = 2) -> Trajectory:
    """Zen-NAS-style evolution: random initial population; then mutate one layer of a random member and keep
    the `population` best by feedback (the worst is dropped)."""
    rng = random.Random(seed)
    rec = _Recorder(score, budget)
    members: list[tuple[float, str]] = []

    def draw() -> Arch:
        if len(rec.seen) < population or not members:
            return space.sample(rng)
        return space.mutate(space.parse(rng.choice(members)[1]), rng)

    while rec.left > 0:
        batch = [a for a in (_fresh(space, draw, rec.seen) for _ in range(min(parallel, rec.left))) if a is not None]
        if not batch:
            break
        for arch, result in zip(batch, await rec.add(batch)):
            if result.score is not None:
                members.append((result.score, arch))
        members = sorted(members, reverse=True)[:population]
    log.info("bench.evolution_done", seed=seed, evaluations=len(rec.points))
    return rec.trajectory(population=population)


Baseline = Callable[[Space, Scorer, int, int], Awaitable[Trajectory]]
BASELINES: dict[str, Baseline] = {"random": random_search, "evolution": evolution}
