"""Scoring in the graph: batches go to the scoring queue in the background, results come back one step later.

`ScoringPipeline` lets the scorer node hand batch n to the queue and return at once, so the agents write
batch n+1 while batch n is scored (`scoring.overlap`); the next scorer node collects batch n. Each result
is appended to the run store the moment it arrives, so a SIGKILL loses no finished evaluation, and a batch
whose task died with its process is simply submitted again on resume (the score cache answers repeats).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

import structlog
from langgraph.runtime import Runtime

from phasenas.config import SearchConfig
from phasenas.graph.pool import insert, topk_mean
from phasenas.graph.routing import auto_thresholds
from phasenas.graph.state import Candidate, PoolEntry, SearchState
from phasenas.scoring import ScoreResult
from phasenas.store import EvaluationRecord, NodeRecord, RunStore

log = structlog.get_logger(__name__)


class ScoreService(Protocol):
    """What the pipeline needs from phasenas.scoring.ScoringQueue."""

    async def score(self, arch: str, proxy: str | None = None) -> ScoreResult: ...


class ScoringPipeline:
    """Batches in flight, keyed by step; one per run, living only as long as its process."""

    def __init__(self, service: ScoreService, store: RunStore, proxy: str) -> None:
        self._service = service
        self._store = store
        self._proxy = proxy
        self._tasks: dict[int, asyncio.Task[list[EvaluationRecord]]] = {}

    def submit(self, batch: list[Candidate]) -> None:
        """Start scoring a batch (all of one step) without waiting for it."""
        if batch:
            step = batch[0]["step"]
            self._tasks[step] = asyncio.create_task(self._score_batch(batch), name=f"score-step-{step}")

    async def collect(self, batch: list[Candidate]) -> list[EvaluationRecord]:
        """The batch's evaluations in slot order; re-submits a batch this process never started (resume)."""
        if not batch:
            return []
        step = batch[0]["step"]
        if step not in self._tasks:
            log.info("scoring.batch_resubmitted", step=step, size=len(batch))
            self.submit(batch)
        return await self._tasks.pop(step)

    async def aclose(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def _score_batch(self, batch: list[Candidate]) -> list[EvaluationRecord]:
        return list(await asyncio.gather(*(self._score_one(c) for c in batch)))

    async def _score_one(self, candidate: Candidate) -> EvaluationRecord:
        canonical = candidate["canonical"]
        assert canonical is not None, "only validated candidates are scored"
        submitted = time.time()
        result = await self._service.score(canonical, self._proxy)
        record = EvaluationRecord(
            canonical=canonical, step=candidate["step"], phase=candidate["phase"], agent=candidate["agent"],
            model=candidate["model"], prompt=candidate["prompt"], call_key=candidate["call_key"], proxy=result.proxy,
            score=result.score, error=None if result.error is None else f"{result.error}: {result.detail or ''}",
            seconds=result.seconds, cached=result.cached, input_tokens=candidate["input_tokens"],
            output_tokens=candidate["output_tokens"], llm_latency_s=candidate["latency_s"], submitted_at=submitted,
            finished_at=time.time(),
        )
        self._store.record_evaluation(record)
        return record


def absorb(state: SearchState, records: list[EvaluationRecord], config: SearchConfig) -> dict[str, Any]:
    """Pool, best, stuck counter, progress and thresholds after these evaluations (pure)."""
    entries = [PoolEntry(canonical=r.canonical, score=r.score, step=r.step, agent=r.agent)
               for r in records if r.score is not None]
    pool = insert(state["pool"], entries, config.pool.size, config.pool.max_similarity)
    best = pool[0] if pool else None
    best_score = best["score"] if best else None
    improved = best_score is not None and (state["best_score"] is None or best_score > state["best_score"])
    stuck = 0 if improved else state["stuck"] + (1 if state["phase"] == "explore" else 0)
    mean = topk_mean(pool)
    window = config.thresholds.plateau_window
    progress = (state["progress"] + [mean])[-(window + 1):] if mean is not None else state["progress"]
    update: dict[str, Any] = {"pool": pool, "best": best["canonical"] if best else None, "best_score": best_score,
                              "stuck": stuck, "progress": progress}
    gamma_trans, gamma_stop = auto_thresholds({**state, **update}, config.thresholds)  # type: ignore[typeddict-item]
    if (gamma_trans, gamma_stop) != (state["gamma_trans"], state["gamma_stop"]):
        log.info("graph.thresholds_set", gamma_trans=gamma_trans, gamma_stop=gamma_stop, step=state["step"])
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
    from phasenas.graph.routing import stop_reason

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
