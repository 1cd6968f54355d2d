"""Grading a method run with the table: what it picked, what it saw, what it spent, and when it got there."""

from __future__ import annotations

from typing import Any

from phasenas.bench.table_proxy import true_accuracy
from phasenas.bench.trajectory import Point, Trajectory, baseline_trajectory, phase_json
from phasenas.space.macro import BenchmarkTable

TOP_RANK = 10  # "time to first reach rank <= 10"


def prefix(traj: Trajectory, evaluations: int) -> Trajectory:
    """The run as if its budget had been `evaluations` (exact for the baselines: their first N steps do not
    depend on the budget)."""
    points = traj.points[:evaluations]
    if len(points) == len(traj.points):
        return traj
    return baseline_trajectory(points, points[-1].t if points else 0.0, traj.extra)


def grade(traj: Trajectory, table: BenchmarkTable) -> dict[str, Any]:
    """Per-run metrics (JSON-ready): final pick's true accuracy and rank, best in pool, usage per phase,
    first time and evaluation at which a rank <= 10 network was scored, and the best-so-far curve."""
    truth = [true_accuracy(p.canonical, table) for p in traj.points]
    curve, best, first_top, best_at = [], None, None, None
    for i, (point, (acc, rank)) in enumerate(zip(traj.points, truth), start=1):
        if best is None or acc > best[0]:
            best, best_at = (acc, rank), i
        curve.append([round(point.t, 3), best[0]])
        if first_top is None and rank <= TOP_RANK:
            first_top = {"evaluation": i, "seconds": round(point.t, 3)}
    pick = traj.pick
    pick_acc, pick_rank = true_accuracy(pick, table) if pick else (None, None)
    pick_at = _first_index(traj.points, pick)
    pick_score = traj.points[pick_at - 1].score if pick_at else None
    return {
        "evaluations": len(traj.points),
        "pick": pick, "pick_score": pick_score, "pick_acc": pick_acc, "pick_rank": pick_rank, "pick_found_at": pick_at,
        "best_acc": best[0] if best else None, "best_rank": best[1] if best else None, "best_found_at": best_at,
        "first_top10": first_top,
        "wall_s": round(traj.wall_s, 3),
        "llm_calls": sum(u.llm_calls for u in traj.phases.values()),
        "tokens": sum(u.tokens for u in traj.phases.values()),
        "phases": {k: phase_json(v) for k, v in traj.phases.items()},
        "failed": sum(p.score is None for p in traj.points),
        "curve": curve,
        **traj.extra,
    }


def _first_index(points: list[Point], canonical: str | None) -> int | None:
    return next((i for i, p in enumerate(points, start=1) if p.canonical == canonical), None)
