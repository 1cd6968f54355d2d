"""The scorer node: send validated proposals to scoring, fold results into pool, best, counters, thresholds.

With `scoring.overlap` the node submits this step's batch and collects the previous one, so scoring runs
while the agents write the next batch (see `phasenas.agents.pipeline`); `finish` drains the last batch.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from langgraph.runtime import Runtime

from phasenas.config import SearchConfig
from phasenas.graph.context import SearchContext
from phasenas.graph.pool import insert
from phasenas.graph.routing import auto_thresholds, stop_reason
from phasenas.graph.state import PoolEntry, SearchState
from phasenas.store import EvaluationRecord, NodeRecord

log = structlog.get_logger(__name__)


def absorb(state: SearchState, records: list[EvaluationRecord], config: SearchConfig) -> dict[str, Any]:
    """Pool, best, stuck counter, progress and thresholds after these evaluations (pure)."""
    entries = [PoolEntry(canonical=r.canonical, score=r.score, step=r.step, agent=r.agent)
               for r in records if r.score is not None]
    pool = insert(state["pool"], entries, config.pool.size, config.pool.max_similarity)
    best = pool[0] if pool else None
    best_score = best["score"] if best else None
    improved = best_score is not None and (state["best_score"] is None or best_score > state["best_score"])
    stuck = 0 if improved else state["stuck"] + (1 if state["phase"] == "explore" else 0)
    window = config.thresholds.plateau_window
    progress = (state["progress"] + [best_score])[-(window + 1):] if best_score is not None else state["progress"]
    update: dict[str, Any] = {"pool": pool, "best": best["canonical"] if best else None, "best_score": best_score,
                              "stuck": stuck, "progress": progress}
    gamma_trans, gamma_stop = auto_thresholds({**state, **update}, config.thresholds)  # type: ignore[typeddict-item]
    return {**update, "gamma_trans": gamma_trans, "gamma_stop": gamma_stop}


async def scorer(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Graph node: submit this step's valid proposals (within the budget), collect the previous batch."""
    ctx = runtime.context
    started = time.time()
    limit = ctx.policy.budget.evaluations
    valid = [c for c in state["batch"] if c["status"] == "valid"]
    room = len(valid) if limit is None else max(0, limit - state["usage"]["evaluations"])
    submitting = valid[:room]
    ctx.pipeline.submit(submitting)
    records = await ctx.pipeline.collect(state["in_flight"])
    in_flight = submitting
    if not ctx.config.scoring.overlap:
        records += await ctx.pipeline.collect(submitting)
        in_flight = []
    update = absorb(state, records, ctx.config)
    if (update["gamma_trans"], update["gamma_stop"]) != (state["gamma_trans"], state["gamma_stop"]):
        ctx.store.record_event("thresholds.set", step=state["step"], gamma_trans=update["gamma_trans"],
                               gamma_stop=update["gamma_stop"], evaluations=state["usage"]["evaluations"])
        log.info("graph.thresholds_set", gamma_trans=update["gamma_trans"], gamma_stop=update["gamma_stop"],
                 step=state["step"])
    finished = time.time()
    ctx.store.record_node(NodeRecord(
        step=state["step"], node="scorer", phase=state["phase"], round=state["round"], started_at=started,
        finished_at=finished, data={"submitted": [c["canonical"] for c in submitting],
                                    "scored": [[r.canonical, r.score, r.error] for r in records]}))
    usage = {**state["usage"], "evaluations": state["usage"]["evaluations"] + len(submitting),
             "elapsed_s": state["usage"]["elapsed_s"] + finished - started}
    return {**update, "in_flight": in_flight, "batch": [], "round": 0, "usage": usage}


async def finish(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Graph node at the end: drain the batch still being scored and record why the search stopped."""
    ctx = runtime.context
    reason = stop_reason(state, ctx.policy) or "unknown"
    started = time.time()
    records = await ctx.pipeline.collect(state["in_flight"])
    update = absorb(state, records, ctx.config)
    finished = time.time()
    ctx.store.record_node(NodeRecord(step=state["step"], node="finish", phase=state["phase"], round=0,
                                     started_at=started, finished_at=finished,
                                     data={"scored": [[r.canonical, r.score, r.error] for r in records]}))
    ctx.store.record_event("run.finished", step=state["step"], reason=reason, best=update["best"],
                           best_score=update["best_score"])
    usage = {**state["usage"], "elapsed_s": state["usage"]["elapsed_s"] + finished - started}
    return {**update, "in_flight": [], "stop_reason": reason, "usage": usage}
