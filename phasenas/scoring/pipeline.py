"""Scoring one candidate in the current process: validate, guard memory, seed, build, run the proxy.

Workers (local processes, Ray actors), the CLI and the benchmarks' plain loop all go through ``score_text``,
so a score means the same thing wherever it was computed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import torch

from phasenas.scoring.cache import CacheKey, ScoreCache
from phasenas.scoring.memory import estimate_bytes
from phasenas.scoring.registry import Proxy, ProxyInput, UnknownProxy, get_proxy
from phasenas.scoring.results import CandidateRejected, Failure, Outcome, ScoreResult
from phasenas.scoring.seeding import derive_seed, seed_torch
from phasenas.scoring.settings import ScoreSettings
from phasenas.space import Space, ValidationReport, get_space


@dataclass(frozen=True, slots=True)
class SpaceRef:
    """A space by name plus the task options that change it; what crosses process boundaries."""

    name: str
    resolution: int | None = None
    classes: int | None = None

    def resolve(self) -> Space:
        return _space(self.name, self.resolution, self.classes)


@lru_cache(maxsize=16)
def _space(name: str, resolution: int | None, classes: int | None) -> Space:
    space = get_space(name)
    changes = {k: v for k, v in (("resolution", resolution), ("classes", classes)) if v is not None}
    return space.with_task(**changes) if changes else space


def check_valid(space: Space, text: str) -> ValidationReport:
    """Validate ``text`` in the space; raises ``CandidateRejected(invalid)`` listing every issue."""
    report = space.validate(text)
    if not report.valid:
        raise CandidateRejected(Failure.INVALID, "; ".join(str(issue) for issue in report.errors) or "invalid")
    return report


def guard_memory(report: ValidationReport, proxy: Proxy, settings: ScoreSettings, memory_limit: int | None,
                 resolution: int) -> None:
    """Refuse (``too_large``) a candidate whose estimated activation memory exceeds the limit, before building.

    The estimate uses what the proxy really feeds: at most ``proxy.max_batch`` images of at most
    ``proxy.max_resolution`` pixels (activations scale with the pixel count).
    """
    if proxy.analytic or memory_limit is None or report.activations is None:
        return
    batch = min(settings.batch_size, proxy.max_batch or settings.batch_size)
    side = min(resolution, proxy.max_resolution or resolution)
    activations = report.activations * side * side // (resolution * resolution)
    need = estimate_bytes(activations, replace(settings, batch_size=batch))
    if need > memory_limit:
        raise CandidateRejected(Failure.TOO_LARGE, f"needs about {need / 2**30:.2f} GiB of activations; "
                                                   f"the limit is {memory_limit / 2**30:.2f} GiB")


def evaluate(space: Space, report: ValidationReport, proxy: Proxy, settings: ScoreSettings,
             device: torch.device | None = None) -> float:
    """Seed from the canonical form, build, run the proxy; raises ``CandidateRejected`` on failure."""
    model = None
    if not proxy.analytic:
        seed_torch(derive_seed(report.canonical, settings.seed))
        try:
            model = space.build(report.arch)
            if device is not None:
                model = model.to(device)
        except Exception as exc:  # noqa: BLE001  (any failure of the space's builder is this candidate's failure)
            raise CandidateRejected(Failure.BUILD_FAILED, f"{type(exc).__name__}: {exc}") from exc
    task = space.task
    inp = ProxyInput(model, report, task.image_channels, task.resolution, task.classes, settings, device)
    try:
        score = float(proxy(inp))
    except CandidateRejected:
        raise
    except Exception as exc:  # noqa: BLE001  (proxies may be user plugins: their errors fail the candidate only)
        raise CandidateRejected(Failure.PROXY_FAILED, f"{type(exc).__name__}: {exc}") from exc
    if not math.isfinite(score):
        raise CandidateRejected(Failure.NON_FINITE, f"{proxy.name} returned {score}")
    return score


def score_once(space: Space, text: str, proxy_name: str, settings: ScoreSettings, *,
               device: torch.device | None = None, memory_limit: int | None = None,
               cache: ScoreCache | None = None) -> ScoreResult:
    """Score one candidate in this process through ``cache`` (the CLI's path; the queue does this on workers)."""
    report = space.validate(text)
    key = None
    if cache is not None and report.valid:
        try:
            key = CacheKey.for_candidate(report.canonical, get_proxy(proxy_name), settings, space.task)
        except UnknownProxy:
            key = None
    hit = cache.get(key) if cache is not None and key is not None else None
    if hit is not None:
        return ScoreResult(report.canonical, proxy_name, hit.score, hit.error, hit.seconds, True, hit.detail)
    outcome = score_text(space, text, proxy_name, settings, device, memory_limit)
    if cache is not None and key is not None:
        cache.put(key, outcome)
    return ScoreResult(report.canonical, proxy_name, outcome.score, outcome.error, outcome.seconds, False,
                       outcome.detail)


def score_text(space: Space, text: str, proxy_name: str, settings: ScoreSettings,
               device: torch.device | None = None, memory_limit: int | None = None) -> Outcome:
    """Score one architecture string here and now; every failure comes back as an ``Outcome``."""
    start = time.perf_counter()
    try:
        proxy = get_proxy(proxy_name)
        report = check_valid(space, text)
        guard_memory(report, proxy, settings, memory_limit, space.task.resolution)
        score = evaluate(space, report, proxy, settings, device)
    except UnknownProxy as exc:
        return Outcome.failed(Failure.UNKNOWN_PROXY, str(exc), time.perf_counter() - start)
    except CandidateRejected as exc:
        return Outcome.failed(exc.failure, exc.detail, time.perf_counter() - start)
    return Outcome(score, None, None, time.perf_counter() - start)
