"""What every method leaves behind in the same shape: its scored architectures in order, with time and phase."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from phasenas.store import RunStore


@dataclass(frozen=True)
class Point:
    """One scored architecture: its feedback score (None: failed), when it was scored, in which phase."""

    canonical: str
    score: float | None
    t: float          # seconds since the method started
    phase: str


@dataclass(frozen=True)
class PhaseUsage:
    """Evaluations, LLM calls, tokens and wall seconds spent in one phase."""

    evaluations: int = 0
    llm_calls: int = 0
    tokens: int = 0
    wall_s: float = 0.0


@dataclass
class Trajectory:
    """A method run: points in scoring order, the final pick (argmax of the feedback), usage per phase."""

    points: list[Point]
    pick: str | None
    phases: dict[str, PhaseUsage] = field(default_factory=dict)
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"pick": self.pick, "wall_s": self.wall_s, "phases": {k: asdict(v) for k, v in self.phases.items()},
                "points": [asdict(p) for p in self.points], "extra": self.extra}


def best_pick(points: list[Point]) -> str | None:
    """The argmax of the feedback score (first found wins a tie), as every method reports its result."""
    best: Point | None = None
    for p in points:
        if p.score is not None and (best is None or p.score > best.score):  # type: ignore[operator]
            best = p
    return None if best is None else best.canonical


def from_run_store(store: RunStore, pick: str | None, extra: dict[str, Any]) -> Trajectory:
    """A graph run's trajectory: evaluations by finish time; LLM calls, tokens and node time per phase."""
    nodes = store.nodes()
    start = min((n.started_at for n in nodes), default=0.0)
    evaluations = sorted(store.evaluations(), key=lambda e: e.finished_at)
    points = [Point(e.canonical, e.score, e.finished_at - start, e.phase) for e in evaluations]
    phases: dict[str, PhaseUsage] = {}
    for e in evaluations:
        u = phases.get(e.phase, PhaseUsage())
        phases[e.phase] = PhaseUsage(u.evaluations + 1, u.llm_calls, u.tokens, u.wall_s)
    for c in store.llm_calls():
        u = phases.get(c.phase, PhaseUsage())
        phases[c.phase] = PhaseUsage(u.evaluations, u.llm_calls + 1, u.tokens + c.input_tokens + c.output_tokens,
                                     u.wall_s)
    for n in nodes:
        u = phases.get(n.phase, PhaseUsage())
        phases[n.phase] = PhaseUsage(u.evaluations, u.llm_calls, u.tokens, u.wall_s + n.finished_at - n.started_at)
    wall = max((n.finished_at for n in nodes), default=start) - start
    return Trajectory(points, pick, phases, wall, extra)
