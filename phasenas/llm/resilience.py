"""Retries, backoff, concurrency and rate limits for every provider, in one place.

Providers only say how to make one attempt; `resilient_call` decides whether and when to try again, and a
`Limiter` shared by every model instance with the same limit key keeps the total load on one endpoint within
its concurrency and requests-per-minute limits. Cancellation propagates: a cancelled call releases its slot
and its connection and is not retried.
"""

from __future__ import annotations

import asyncio
import random
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from pydantic import BaseModel, ConfigDict, Field

from phasenas.llm.errors import LLMError

log = structlog.get_logger(__name__)
T = TypeVar("T")


class RetryPolicy(BaseModel):
    """How often and how patiently to retry retryable errors (429, 5xx, connection errors, timeouts)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=4, ge=1)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    jitter: float = Field(default=0.5, ge=0, le=1)  # fraction of the delay that is randomised
    max_retry_after_s: float = Field(default=120.0, ge=0)  # never wait longer than this for a Retry-After

    def delay_s(self, attempt: int, error: LLMError, rng: random.Random) -> float:
        """Wait before attempt `attempt + 1`: exponential backoff with jitter, at least the server's Retry-After."""
        backoff = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        backoff *= 1 - self.jitter * rng.random()
        retry_after = getattr(error, "retry_after_s", None)
        if retry_after is not None:
            backoff = max(backoff, min(retry_after, self.max_retry_after_s))
        return backoff


class Limits(BaseModel):
    """Load limits on one endpoint, shared by all model instances with the same limit key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_concurrency: int = Field(default=8, ge=1)
    requests_per_minute: float | None = Field(default=None, gt=0)


class Limiter:
    """A concurrency semaphore plus request starts spaced evenly at the requests-per-minute rate."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.max_concurrency)
        self._rate_lock = asyncio.Lock()
        self._next_start = 0.0
        self.in_flight = 0

    async def _wait_for_rate(self) -> None:
        rpm = self.limits.requests_per_minute
        if rpm is None:
            return
        async with self._rate_lock:
            now = time.monotonic()
            if self._next_start > now:
                await asyncio.sleep(self._next_start - now)
            self._next_start = max(now, self._next_start) + 60.0 / rpm

    async def run(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run one attempt inside the limits."""
        async with self._slots:
            await self._wait_for_rate()
            self.in_flight += 1
            try:
                return await attempt()
            finally:
                self.in_flight -= 1


_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Limiter]] = weakref.WeakKeyDictionary()


def shared_limiter(key: str, limits: Limits) -> Limiter:
    """The current loop's limiter for `key`; the first caller's limits win, later ones must agree."""
    per_loop = _limiters.setdefault(asyncio.get_running_loop(), {})
    limiter = per_loop.get(key)
    if limiter is None:
        limiter = per_loop[key] = Limiter(limits)
    elif limiter.limits != limits:
        log.warning("llm.limits_conflict", key=key, kept=limiter.limits.model_dump(), ignored=limits.model_dump())
    return limiter


async def resilient_call(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    limiter: Limiter,
    rng: random.Random | None = None,
) -> tuple[T, int]:
    """Run `attempt` until it succeeds or fails for good; return (result, attempts used).

    A non-retryable error, or the last retryable one, is raised with `.attempts` set.
    """
    rng = rng or random.Random()
    number = 1
    while True:
        try:
            return await limiter.run(attempt), number
        except LLMError as error:
            error.attempts = number
            if not error.retryable or number >= policy.max_attempts:
                raise
            delay = policy.delay_s(number, error, rng)
            log.info(
                "llm.retry", provider=error.provider, model=error.model, attempt=number,
                error=type(error).__name__, delay_s=round(delay, 3),
            )
        await asyncio.sleep(delay)
        number += 1
