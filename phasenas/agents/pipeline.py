"""Scoring in the background: batches go to the scoring queue now, their results are collected one step later.

`ScoringPipeline` lets the scorer node hand batch n to the queue and return at once, so the agents write
batch n+1 while batch n is scored (`scoring.overlap`); the next scorer node collects batch n. Each result
is appended to the run store the moment it arrives, so a SIGKILL loses no finished evaluation, and a batch
whose task died with its process is simply submitted again on resume (the score cache answers repeats).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import structlog

from phasenas.graph.state import Candidate
from phasenas.scoring import ScoreResult
from phasenas.store import EvaluationRecord, RunStore

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
