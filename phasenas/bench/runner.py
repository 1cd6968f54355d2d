"""Runs the benchmark grid (feedback x method x seed x budget) and writes one JSON of metrics per run.

Finished runs (their JSON exists) are skipped, and a graph run killed midway is resumed from its checkpoint,
so a long benchmark can be run in pieces with the same command.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import structlog

from phasenas.bench import table_proxy
from phasenas.bench.baselines import BASELINES
from phasenas.bench.methods import METHODS, Feedback, Method, graph_config
from phasenas.bench.metrics import grade, prefix
from phasenas.bench.trajectory import Trajectory, from_run_store
from phasenas.config import SearchConfig
from phasenas.llm.replay import RUN_STORE_FILE
from phasenas.runs import CONFIG_FILE, aresume, asearch
from phasenas.scoring import ScoreSettings, ScoringQueue
from phasenas.space import get_space
from phasenas.space.macro import TABLE_ENV
from phasenas.store import RunStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class BenchSettings:
    """The grid and where it goes. `base` carries the agents' models (tests swap in scripted ones)."""

    table: Path
    out: Path
    seeds: int = 5
    budgets: Sequence[int] = (100,)
    methods: Sequence[str] = ("random", "evolution")
    feedback: Sequence[Feedback] = ("table",)
    proxy: str = "naswot"
    proxy_batch: int = 16
    base: SearchConfig = field(default_factory=SearchConfig)


def result_path(out: Path, feedback: str, method: str, budget: int, seed: int) -> Path:
    return out / "results" / feedback / method / f"b{budget}-s{seed}.json"


async def run_bench(settings: BenchSettings) -> list[Path]:
    """Run every missing cell of the grid; returns the result files written."""
    unknown = set(settings.methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; known: {', '.join(METHODS)}")
    os.environ[TABLE_ENV] = str(settings.table)  # the in-process nbm-table proxy reads the table from here
    table = table_proxy.load_table(str(settings.table))
    written: list[Path] = []
    for feedback in settings.feedback:
        for name in settings.methods:
            for seed in range(settings.seeds):
                runs = await _run_method(METHODS[name], feedback, seed, settings)
                for budget, traj in runs.items():
                    path = result_path(settings.out, feedback, name, budget, seed)
                    metrics = {"method": name, "feedback": feedback, "budget": budget, "seed": seed,
                               **grade(traj, table)}
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(orjson.dumps(metrics))
                    log.info("bench.run_done", method=name, feedback=feedback, budget=budget, seed=seed,
                             pick_rank=metrics["pick_rank"], best_rank=metrics["best_rank"], wall_s=metrics["wall_s"])
                    written.append(path)
    return written


def _proxy(feedback: Feedback, settings: BenchSettings) -> str:
    return table_proxy.TABLE_PROXY if feedback == "table" else settings.proxy


async def _run_method(method: Method, feedback: Feedback, seed: int,
                      settings: BenchSettings) -> dict[int, Trajectory]:
    missing = [b for b in settings.budgets
               if not result_path(settings.out, feedback, method.name, b, seed).exists()]
    if not missing:
        return {}
    if method.kind == "baseline":
        traj = await _run_baseline(method.name, feedback, seed, max(missing), settings)
        return {b: prefix(traj, b) for b in missing}
    return {b: await _run_graph(method, feedback, seed, b, settings) for b in missing}


async def _run_baseline(name: str, feedback: Feedback, seed: int, budget: int,
                        settings: BenchSettings) -> Trajectory:
    """Baselines get their own score cache per run, like a graph run, so wall times are comparable."""
    space = get_space("macro")
    cache = settings.out / "caches" / f"{feedback}-{name}-b{budget}-s{seed}"
    async with ScoringQueue(space="macro", proxy=_proxy(feedback, settings), cache_dir=cache,
                            workers=1 if feedback == "table" else None,
                            settings=ScoreSettings(batch_size=settings.proxy_batch)) as queue:
        return await BASELINES[name](space, queue.score_many, budget, seed)


async def _run_graph(method: Method, feedback: Feedback, seed: int, budget: int,
                     settings: BenchSettings) -> Trajectory:
    run_id = f"{feedback}-{method.name}-b{budget}-s{seed}"
    runs_dir = settings.out / "runs"
    base = settings.base.model_copy(update={
        "runs_dir": runs_dir,
        "scoring": settings.base.scoring.model_copy(update={
            "batch_size": settings.proxy_batch, "workers": 1 if feedback == "table" else settings.base.scoring.workers,
        }),
    })
    config = graph_config(method, base, feedback, proxy=_proxy(feedback, settings), budget=budget, seed=seed,
                          run_id=run_id)
    if (runs_dir / run_id / CONFIG_FILE).exists():
        result = await aresume(run_id, runs_dir)
    else:
        result = await asearch(config)
    extra: dict[str, Any] = {"run_id": run_id, "stop_reason": result.stop_reason,
                             "switched_at_step": result.switched_at_step, "steps": result.steps}
    with RunStore(result.run_dir / RUN_STORE_FILE) as store:
        extra["gamma_trans_set"] = [e.data for e in store.events() if e.kind == "thresholds.set"]
        return from_run_store(store, result.best, extra)
