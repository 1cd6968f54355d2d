"""Live progress of a running search, read from its run store (so the graph needs no UI hooks).

On a terminal: a rich live panel. Otherwise: one plain line whenever the numbers change.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table

from phasenas.config import SearchConfig


@dataclass(frozen=True)
class Snapshot:
    phase: str
    step: int
    evaluations: int
    best: float | None
    llm_calls: int
    tokens: int
    cost_usd: float
    elapsed_s: float

    def line(self, budget: int | None) -> str:
        best = "-" if self.best is None else f"{self.best:.4g}"
        left = "" if budget is None else f" ({max(budget - self.evaluations, 0)} left)"
        return (f"phase={self.phase} step={self.step} evaluations={self.evaluations}{left} best={best} "
                f"llm_calls={self.llm_calls} tokens={self.tokens} elapsed={self.elapsed_s:.0f}s")


def read_snapshot(store_path: Path, started: float) -> Snapshot | None:
    """Aggregate counters straight from SQLite (read-only; the search writes concurrently in WAL mode)."""
    if not store_path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, timeout=1.0) as db:
            evaluations, best = db.execute("SELECT COUNT(*), MAX(score) FROM evaluations").fetchone()
            calls, tokens, cost = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(input_tokens + output_tokens), 0), COALESCE(SUM(cost_usd), 0) "
                "FROM llm_calls").fetchone()
            last = db.execute("SELECT step, phase FROM nodes ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.Error:  # tables not created yet, or a write in progress: try again next tick
        return None
    step, phase = last if last else (0, "explore")
    return Snapshot(phase, step, evaluations, best, calls, tokens, cost, time.time() - started)


def _panel(s: Snapshot, config: SearchConfig, run_id: str) -> Table:
    table = Table(title=f"phasenas search {run_id} ({config.space})", show_header=False)
    best = "-" if s.best is None else f"{s.best:.5g}"
    budget = config.budget.evaluations
    rows = [("phase", s.phase), ("step", str(s.step)), ("best score", best),
            ("evaluations", f"{s.evaluations}" + ("" if budget is None else f" / {budget}")),
            ("LLM calls", str(s.llm_calls)), ("tokens", f"{s.tokens:,}"), ("cost", f"${s.cost_usd:.4f}"),
            ("elapsed", f"{s.elapsed_s:.0f} s")]
    for key, value in rows:
        table.add_row(key, value)
    return table


async def watch(store_path: Path, config: SearchConfig, run_id: str, console: Console,
                interval: float = 0.5) -> None:
    """Show progress until cancelled."""
    started = time.time()
    if console.is_terminal:
        with Live(console=console, refresh_per_second=4, transient=False) as live:
            while True:
                snap = read_snapshot(store_path, started)
                if snap is not None:
                    live.update(_panel(snap, config, run_id))
                await asyncio.sleep(interval)
    last = ""
    while True:
        snap = read_snapshot(store_path, started)
        if snap is not None:
            line = snap.line(config.budget.evaluations)
            if line.split(" elapsed=")[0] != last:
                console.print(line, highlight=False, soft_wrap=True)
                last = line.split(" elapsed=")[0]
        await asyncio.sleep(interval * 4)
