"""What every method leaves behind in the same shape: its scored architectures in order, with time and phase."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from phasenas.store import PhaseUsage, RunStore


@dataclass(frozen=True)
class Point:
    """One scored architecture: its feedback score (None: failed), when it was scored, in which phase."""

    canonical: str
    score: float | None
    t: float          # seconds since the method started
    phase: str


@dataclass
class Trajectory:
    """A method run: points in scoring order, the final pick (argmax of the feedback), usage per phase."""

    points: list[Point]
    pick: str | None
    phases: dict[str, PhaseUsage] = field(default_factory=dict)
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def phase_json(usage: PhaseUsage) -> dict[str, float]:
    """A phase's usage under the keys bench results have always had (aggregate.py and stored results read them);
    `wall_s` is the time the phase's graph nodes ran, or a baseline's whole run."""
    return {"evaluations": usage.evaluations, "neighbours": usage.neighbours, "llm_calls": usage.llm_calls,
            "tokens": usage.tokens, "wall_s": usage.node_seconds}


def best_pick(points: list[Point]) -> str | None:
    """The argmax of the feedback score (first found wins a tie), as every method reports its result."""
    scored = [p for p in points if p.score is not None]
    return max(scored, key=lambda p: p.score).canonical if scored else None  # type: ignore[arg-type,return-value]


def baseline_trajectory(points: list[Point], wall: float, extra: dict[str, Any]) -> Trajectory:
    """A baseline run (or a budget prefix of one): a single "baseline" phase, no LLM, its wall clock as node time."""
    usage = PhaseUsage(evaluations=len(points), node_seconds=wall)
    return Trajectory(points, best_pick(points), {"baseline": usage}, wall, extra)


def working_clock(spans: list[tuple[float, float]]) -> Callable[[float], float]:
    """Seconds spent inside graph nodes (`spans` by start, as ``RunStore.node_spans`` gives them) up to a moment:
    the wall clock of a run without the downtime between a kill and its resume, which a resumed benchmark run
    would otherwise carry in its curve."""
    merged: list[list[float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])

    def seconds_at(moment: float) -> float:
        return sum(min(end, moment) - start for start, end in merged if start < moment)

    return seconds_at


def from_run_store(store: RunStore, pick: str | None, extra: dict[str, Any]) -> Trajectory:
    """A graph run's trajectory: evaluations by finish time on the working clock; usage per phase."""
    clock = working_clock(store.node_spans())
    evaluations = sorted(store.evaluations(), key=lambda e: e.finished_at)
    points = [Point(e.canonical, e.score, clock(e.finished_at), e.phase) for e in evaluations]
    return Trajectory(points, pick, store.phase_usage(), clock(math.inf), extra)
