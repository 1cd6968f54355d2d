"""A backend-agnostic pool of scoring workers: batching, per-task timeouts, restarts and one retry.

Each worker has one serving coroutine. It takes up to ``batch`` waiting requests, sends them in one message, and
reads the replies in order; the timeout clock of a request starts when the reply before it arrives (the worker
runs a batch sequentially). A timeout kills and restarts the worker and fails only the running request; a
dead worker is restarted and its running request retried once; the rest of the batch goes back to the front.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from phasenas.scoring.protocol import ScoreReply, ScoreRequest
from phasenas.scoring.results import Failure

log = structlog.get_logger(__name__)


class WorkerDied(Exception):
    """The worker process or actor is gone (segfault, OOM kill, os._exit, actor error)."""


class WorkerHandle(Protocol):
    """One worker as the pool sees it; ``LocalWorker`` and ``RayWorker`` implement it."""

    name: str

    async def start(self) -> None:
        """Start (or restart) the worker and wait until it is ready; raises ``WorkerDied`` if it cannot."""

    def send(self, requests: Sequence[ScoreRequest]) -> None:
        """Hand a batch to the worker, which runs it in order."""

    async def receive(self, timeout: float) -> ScoreReply:
        """The next reply; raises ``TimeoutError`` or ``WorkerDied``."""

    async def kill(self) -> None:
        """Stop the worker now, whatever it is doing (a no-op when it is not running)."""


@dataclass(order=True)
class _Job:
    id: int
    request: ScoreRequest = field(compare=False)
    future: asyncio.Future[ScoreReply] = field(compare=False)
    attempts: int = field(default=0, compare=False)


class WorkerPool:
    """Runs ``ScoreRequest``s on workers; every submitted request resolves to a ``ScoreReply``."""

    def __init__(self, workers: Sequence[WorkerHandle], *, timeout: float, batch: int = 4,
                 max_attempts: int = 2) -> None:
        self._workers = list(workers)
        self._timeout = timeout
        self._batch = max(1, batch)
        self._max_attempts = max_attempts
        # ordered by job id: a requeued job is older than every new one, so it runs next
        self._pending: asyncio.PriorityQueue[_Job] = asyncio.PriorityQueue()
        self._ids = itertools.count()
        self._servers: list[asyncio.Task[None]] = []

    @property
    def size(self) -> int:
        return len(self._workers)

    def next_id(self) -> int:
        return next(self._ids)

    async def start(self) -> None:
        results = await asyncio.gather(*(w.start() for w in self._workers), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            await self.close()
            raise errors[0]
        self._servers = [asyncio.create_task(self._serve(w), name=f"serve-{w.name}") for w in self._workers]
        log.info("scoring.pool_started", workers=[w.name for w in self._workers])

    def submit(self, request: ScoreRequest) -> asyncio.Future[ScoreReply]:
        future: asyncio.Future[ScoreReply] = asyncio.get_running_loop().create_future()
        self._pending.put_nowait(_Job(request.id, request, future))
        return future

    async def close(self) -> None:
        """Stop serving, stop every worker, cancel what is still waiting."""
        for server in self._servers:
            server.cancel()
        await asyncio.gather(*self._servers, return_exceptions=True)
        self._servers = []
        await asyncio.gather(*(w.kill() for w in self._workers), return_exceptions=True)
        while not self._pending.empty():
            self._pending.get_nowait().future.cancel()
        log.info("scoring.pool_closed", workers=len(self._workers))

    async def _take_batch(self) -> list[_Job]:
        jobs = [await self._pending.get()]
        while len(jobs) < self._batch and not self._pending.empty():
            jobs.append(self._pending.get_nowait())
        return [job for job in jobs if not job.future.done()]  # callers may have given up on some

    async def _serve(self, worker: WorkerHandle) -> None:
        alive = True
        try:
            while True:
                jobs = await self._take_batch()
                if not jobs:
                    continue
                if not alive:
                    alive = await self._restart(worker, jobs)
                    if not alive:
                        continue
                alive = await self._run_batch(worker, jobs)
        except asyncio.CancelledError:
            await worker.kill()
            raise

    async def _run_batch(self, worker: WorkerHandle, jobs: list[_Job]) -> bool:
        """Run one batch; returns whether the worker is still usable."""
        try:
            worker.send([job.request for job in jobs])
        except WorkerDied as exc:
            log.warning("scoring.worker_send_failed", worker=worker.name, reason=str(exc))
            self._requeue(jobs)
            return await self._restart(worker, [])
        in_flight = deque(jobs)
        while in_flight:
            head = in_flight[0]
            try:
                reply = await worker.receive(self._timeout)
            except TimeoutError:
                log.warning("scoring.task_timeout", worker=worker.name, canonical=head.request.canonical,
                            proxy=head.request.proxy, timeout=self._timeout)
                await worker.kill()
                self._fail(head, Failure.TIMEOUT, f"no result within {self._timeout:g} s; worker restarted",
                           self._timeout)
                self._requeue(list(in_flight)[1:])
                return await self._restart(worker, [])
            except WorkerDied as exc:
                head.attempts += 1
                log.warning("scoring.worker_died", worker=worker.name, canonical=head.request.canonical,
                            proxy=head.request.proxy, attempt=head.attempts, reason=str(exc))
                await worker.kill()
                if head.attempts >= self._max_attempts:
                    self._fail(head, Failure.WORKER_DIED, f"worker died {head.attempts} times: {exc}")
                    self._requeue(list(in_flight)[1:])
                else:
                    self._requeue(list(in_flight))
                return await self._restart(worker, [])
            in_flight.popleft()
            if reply.id != head.id:  # a protocol bug, not a candidate's fault: say so loudly
                raise RuntimeError(f"worker {worker.name} answered request {reply.id}, expected {head.id}")
            if not head.future.done():
                head.future.set_result(reply)
        return True

    async def _restart(self, worker: WorkerHandle, waiting: list[_Job]) -> bool:
        try:
            await worker.start()
        except WorkerDied as exc:
            log.error("scoring.worker_restart_failed", worker=worker.name, reason=str(exc))
            for job in waiting:
                self._fail(job, Failure.WORKER_DIED, f"worker could not be restarted: {exc}")
            return False
        log.info("scoring.worker_restarted", worker=worker.name)
        return True

    def _requeue(self, jobs: list[_Job]) -> None:
        for job in jobs:
            if not job.future.done():
                self._pending.put_nowait(job)

    @staticmethod
    def _fail(job: _Job, failure: Failure, detail: str, seconds: float = 0.0) -> None:
        if not job.future.done():
            job.future.set_result(ScoreReply(job.id, None, str(failure), detail, seconds))
