"""Aggregating per-run metrics over seeds into the markdown tables of docs/benchmarks.md."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from phasenas.errors import UsageError

Row = dict[str, Any]
HEADER = ("| method | seeds | pick acc % (mean / median / best / worst) | pick rank (mean / median / best / worst) "
          "| best acc in pool % (mean / median / best / worst) | evals to pick | reached rank <= 10 "
          "| s to rank <= 10 | wall s | evals per phase | of which neighbours | LLM calls per phase | tokens per phase "
          "| wall s per phase |")


class ResultError(UsageError):
    """A file under `out/results` that is not one run's metrics (hand-edited, truncated, from elsewhere)."""


_REQUIRED = ("method", "feedback", "budget", "seed", "curve", "phases")


def load_results(out: Path) -> list[Row]:
    """Every per-run JSON under `out/results`; raises ``ResultError`` naming the first file that is not one."""
    rows = []
    for path in sorted((out / "results").glob("*/*/*.json")):
        try:
            row = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ResultError(f"{path}: not JSON ({exc}); delete it to rerun that cell") from None
        missing = [key for key in _REQUIRED if not isinstance(row, dict) or key not in row]
        if missing:
            raise ResultError(f"{path}: not a bench result (no {', '.join(missing)}); delete it to rerun that cell")
        rows.append(row)
    return rows


def _stats(values: Iterable[float | None], best: Callable[[list[float]], float], fmt: str) -> str:
    xs = [v for v in values if v is not None]
    if not xs:
        return "-"
    worst = min if best is max else max
    return " / ".join(format(v, fmt) for v in (statistics.mean(xs), statistics.median(xs), best(xs), worst(xs)))


def median_text(values: Iterable[float | None], fmt: str = ".0f") -> str:
    """The median of the known values, formatted; '-' when none is known."""
    xs = [v for v in values if v is not None]
    return format(statistics.median(xs), fmt) if xs else "-"


def _phase_split(rows: list[Row], key: str) -> str:
    phases = sorted({p for r in rows for p in r["phases"]})
    return " + ".join(f"{median_text([r['phases'].get(p, {}).get(key, 0) for r in rows])} {p}" for p in phases)


def markdown(results: list[Row]) -> str:
    """One table per (feedback, budget): rows are methods; accuracy/rank columns are mean / median / best /
    worst over seeds, the rest medians."""
    groups: dict[tuple[str, int], dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        groups[(r["feedback"], r["budget"])][r["method"]].append(r)
    out = []
    for (feedback, budget), methods in sorted(groups.items()):
        out += [f"### feedback = {feedback}, budget = {budget} evaluations", "", HEADER,
                "|---|---:|---|---|---|---:|---:|---:|---:|---|---|---|---|---|"]
        for name, rows in methods.items():
            top = [r["first_top10"] for r in rows]
            out.append(
                f"| {name} | {len(rows)} | {_stats((r['pick_acc'] for r in rows), max, '.2f')} "
                f"| {_stats((r['pick_rank'] for r in rows), min, '.0f')} "
                f"| {_stats((r['best_acc'] for r in rows), max, '.2f')} "
                f"| {median_text(r['pick_found_at'] for r in rows)} "
                f"| {sum(t is not None for t in top)}/{len(rows)} "
                f"| {median_text((t['seconds'] for t in top if t), '.1f')} "
                f"| {median_text((r['wall_s'] for r in rows), '.1f')} "
                f"| {_phase_split(rows, 'evaluations')} | {_phase_split(rows, 'neighbours')} "
                f"| {_phase_split(rows, 'llm_calls')} "
                f"| {_phase_split(rows, 'tokens')} | {_phase_split(rows, 'wall_s')} |")
        out.append("")
    return "\n".join(out)
