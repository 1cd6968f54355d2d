"""What scoring one candidate produces: a score or a typed failure, never an exception that escapes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Failure(StrEnum):
    """Why a candidate has no score; stable strings a search can route on."""

    INVALID = "invalid"              # the text does not validate in the space
    UNKNOWN_PROXY = "unknown_proxy"  # no proxy of that name is registered
    TOO_LARGE = "too_large"          # the memory guard refused it before building
    BUILD_FAILED = "build_failed"    # the space could not build a torch module from it
    PROXY_FAILED = "proxy_failed"    # the proxy raised (shape error, CUDA OOM, ...)
    NON_FINITE = "non_finite"        # the proxy returned NaN or +-inf
    TIMEOUT = "timeout"              # the worker ran past the per-task limit and was restarted
    WORKER_DIED = "worker_died"      # the worker process died twice on this candidate


# Failures that are a property of the candidate itself, so caching them saves a rerun; timeouts and worker deaths
# can depend on load, and invalid/too_large cost nothing to recompute.
CACHEABLE_FAILURES = frozenset({Failure.BUILD_FAILED, Failure.PROXY_FAILED, Failure.NON_FINITE})


class CandidateRejected(Exception):
    """Raised inside the scoring pipeline; turned into a failed ``Outcome`` at its boundary."""

    def __init__(self, failure: Failure, detail: str) -> None:
        super().__init__(f"{failure}: {detail}")
        self.failure = failure
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a worker sends back for one task (crosses processes as orjson)."""

    score: float | None
    error: str | None
    detail: str | None
    seconds: float

    @classmethod
    def failed(cls, failure: Failure, detail: str, seconds: float = 0.0) -> Outcome:
        return cls(None, str(failure), detail, seconds)


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The answer to ``ScoringQueue.score``: ``score`` is None exactly when ``error`` says why.

    ``seconds`` is the time the score took to compute (for a cache hit, the original computation's).
    """

    canonical: str | None
    proxy: str
    score: float | None
    error: str | None
    seconds: float
    cached: bool = False
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of ``phasenas score --json``."""
        return {"canonical": self.canonical, "proxy": self.proxy, "score": self.score, "seconds": self.seconds,
                "error": self.error}
