"""``ScoringQueue``: the asyncio front of scoring. Validates, consults the cache, dispatches to workers.

    async with ScoringQueue(space="macro", proxy="naswot", cache_dir="runs/cache") as queue:
        result = await queue.score("22212220")
        results = await queue.score_many(candidates)

Every call returns a ``ScoreResult``; failures (invalid text, too large, timeout, crash, NaN) are results too.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import structlog

from phasenas.scoring.cache import CacheKey, ScoreCache
from phasenas.scoring.ensemble import ENSEMBLE, EnsembleRanker
from phasenas.scoring.pipeline import SpaceRef, check_valid, evaluate, guard_memory
from phasenas.scoring.pool import WorkerHandle, WorkerPool
from phasenas.scoring.protocol import ScoreRequest
from phasenas.scoring.registry import Proxy, UnknownProxy, get_proxy
from phasenas.scoring.results import CandidateRejected, Failure, Outcome, ScoreResult
from phasenas.scoring.settings import ScoreSettings
from phasenas.space import ValidationReport

log = structlog.get_logger(__name__)

Backend = Literal["local", "ray"]
DEFAULT_ENSEMBLE = ("naswot", "flops")
CACHE_ENV = "PHASENAS_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$PHASENAS_CACHE_DIR``, else ``$XDG_CACHE_HOME/phasenas``, else ``~/.cache/phasenas``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "phasenas"


class ScoringQueue:
    """Scores architectures of one space on a pool of workers, with a persistent cache.

    ``proxy`` defaults to the space's measured default (``naswot`` on NAS-Bench-Macro). ``workers``: local
    backend, default one per CUDA device or one per CPU core; Ray backend, default one per GPU (else CPU) in the
    cluster. ``imports``: modules every worker (and this process) imports first, e.g. ones registering extra
    proxies. ``timeout``: seconds one candidate may run before its worker is killed and restarted.
    """

    def __init__(self, space: str = "macro", proxy: str | None = None, *, backend: Backend = "local",
                 workers: int | None = None, cache_dir: str | Path | None = None,
                 settings: ScoreSettings | None = None, resolution: int | None = None, classes: int | None = None,
                 timeout: float = 120.0, memory_limit: int | None = None, batch: int = 4,
                 imports: Sequence[str] = (), ensemble: Sequence[str] = DEFAULT_ENSEMBLE,
                 ray_address: str | None = None) -> None:
        for module in imports:
            importlib.import_module(module)
        self.space_ref = SpaceRef(space, resolution, classes)
        self.space = self.space_ref.resolve()
        self.proxy = proxy or self.space.default_proxy
        self.settings = settings or ScoreSettings()
        if backend not in ("local", "ray"):
            raise ValueError(f"unknown backend {backend!r}; use 'local' or 'ray'")
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._workers = workers
        self._timeout = timeout
        self._memory_limit = memory_limit
        self._batch = batch
        self._imports = tuple(imports)
        self._ray_address = ray_address
        self._ranker = EnsembleRanker(ensemble)
        self._pool: WorkerPool | None = None
        self._cache: ScoreCache | None = None
        self._in_flight: dict[CacheKey, asyncio.Task[ScoreResult]] = {}

    # --- lifecycle -------------------------------------------------------------------------------------------------
    async def __aenter__(self) -> ScoringQueue:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Open the cache and start the workers (this takes seconds: each imports torch)."""
        self._cache = ScoreCache(self.cache_dir)
        workers = self._make_workers()
        self._pool = WorkerPool(workers, timeout=self._timeout, batch=self._batch)
        try:
            await self._pool.start()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop every worker and cancel scoring still in flight; safe to call twice and after cancellation."""
        for task in list(self._in_flight.values()):
            task.cancel()
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        self._in_flight.clear()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self.backend == "ray":
            from phasenas.scoring.ray_backend import release_ray

            release_ray()
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def _make_workers(self) -> list[WorkerHandle]:
        if self.backend == "ray":
            from phasenas.scoring.ray_backend import make_ray_workers

            workers, limit = make_ray_workers(self._workers, self._imports, self._ray_address)
        else:
            from phasenas.scoring.local import LocalWorker, plan_slots
            from phasenas.scoring.memory import default_memory_limit

            slots = plan_slots(self._workers)
            workers = [LocalWorker(i, slot, self._imports) for i, slot in enumerate(slots)]
            limit = default_memory_limit(slots[0].device, len(slots))
        if self._memory_limit is None:
            self._memory_limit = limit
        return list(workers)

    @property
    def workers(self) -> int:
        return 0 if self._pool is None else self._pool.size

    # --- scoring ---------------------------------------------------------------------------------------------------
    async def score(self, arch: str, proxy: str | None = None) -> ScoreResult:
        """Score one architecture (text, code or canonical form) with ``proxy`` (default: the queue's)."""
        name = proxy or self.proxy
        if name == ENSEMBLE:
            return await self._score_ensemble(arch)
        try:
            chosen = get_proxy(name)
        except UnknownProxy as exc:
            return ScoreResult(None, name, None, str(Failure.UNKNOWN_PROXY), 0.0, detail=str(exc))
        try:
            report = check_valid(self.space, arch)
        except CandidateRejected as exc:
            return ScoreResult(None, name, None, str(exc.failure), 0.0, detail=exc.detail)
        canonical = report.canonical
        try:
            guard_memory(report, chosen, self.settings, self._memory_limit, self.space.task.resolution)
        except CandidateRejected as exc:
            return ScoreResult(canonical, name, None, str(exc.failure), 0.0, detail=exc.detail)
        if chosen.analytic:
            return self._score_analytic(report, chosen)

        key = CacheKey.for_candidate(canonical, chosen, self.settings, self.space.task)
        hit = self._require_cache().get(key)
        if hit is not None:
            return _result(canonical, name, hit, cached=True)
        running = self._in_flight.get(key)
        if running is None:
            running = asyncio.create_task(self._score_on_worker(key))
            self._in_flight[key] = running
            running.add_done_callback(lambda _t, k=key: self._in_flight.pop(k, None))
        return await asyncio.shield(running)  # a cancelled caller must not cancel others waiting on the same key

    async def score_many(self, archs: Iterable[str], proxy: str | None = None) -> list[ScoreResult]:
        """Score many architectures concurrently; results in input order."""
        return list(await asyncio.gather(*(self.score(arch, proxy) for arch in archs)))

    def ensemble_ranking(self) -> dict[str, float]:
        """Rank-averages of every candidate scored with ``ensemble`` so far, re-ranked against the full history."""
        return self._ranker.ranking()

    async def _score_on_worker(self, key: CacheKey) -> ScoreResult:
        if self._pool is None:
            raise RuntimeError("ScoringQueue is not started; use `async with ScoringQueue(...)`")
        request = ScoreRequest(self._pool.next_id(), self.space_ref.name, self.space_ref.resolution,
                               self.space_ref.classes, key.canonical, key.proxy, self.settings.to_dict())
        reply = await self._pool.submit(request)
        outcome = Outcome(reply.score, reply.error, reply.detail, reply.seconds)
        self._require_cache().put(key, outcome)
        log.info("scoring.task_done", canonical=key.canonical, proxy=key.proxy, score=outcome.score,
                 error=outcome.error, seconds=round(outcome.seconds, 4))
        return _result(key.canonical, key.proxy, outcome, cached=False)

    def _score_analytic(self, report: ValidationReport, proxy: Proxy) -> ScoreResult:
        """Analytic proxies read the validation report: computed here, exact, not worth a worker or the cache."""
        start = time.perf_counter()
        try:
            score = evaluate(self.space, report, proxy, self.settings)
        except CandidateRejected as exc:
            return ScoreResult(report.canonical, proxy.name, None, str(exc.failure), time.perf_counter() - start,
                               detail=exc.detail)
        return ScoreResult(report.canonical, proxy.name, score, None, time.perf_counter() - start)

    async def _score_ensemble(self, arch: str) -> ScoreResult:
        parts = await asyncio.gather(*(self.score(arch, name) for name in self._ranker.components))
        seconds = sum(p.seconds for p in parts)
        failed = next((p for p in parts if not p.ok), None)
        if failed is not None:
            return ScoreResult(failed.canonical, ENSEMBLE, None, failed.error, seconds,
                               detail=f"{failed.proxy}: {failed.detail}")
        canonical = parts[0].canonical
        assert canonical is not None and all(p.score is not None for p in parts)
        score = self._ranker.add(canonical, [p.score for p in parts])  # type: ignore[misc]
        no_worker_ran = all(p.cached or get_proxy(p.proxy).analytic for p in parts)
        return ScoreResult(canonical, ENSEMBLE, score, None, seconds, cached=no_worker_ran)

    def _require_cache(self) -> ScoreCache:
        if self._cache is None:
            raise RuntimeError("ScoringQueue is not started; use `async with ScoringQueue(...)`")
        return self._cache


def _result(canonical: str, proxy: str, outcome: Outcome, *, cached: bool) -> ScoreResult:
    return ScoreResult(canonical, proxy, outcome.score, outcome.error, outcome.seconds, cached, outcome.detail)
