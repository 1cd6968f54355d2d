"""The graph state: small, flat, orjson-serialisable; everything that grows lives in the run store.

No reducers: every node returns a partial update that replaces the keys it names. Lists here are bounded
(the pool by K, a batch by k, `progress` by the plateau window), so a checkpoint is the same size at
evaluation 10 and at evaluation 10,000.
"""

from __future__ import annotations

from typing import Literal, TypedDict

Phase = Literal["explore", "refine"]
Agent = Literal["explorer", "refiner"]
CandidateStatus = Literal["pending", "valid", "invalid", "duplicate", "failed"]

AGENT_OF_PHASE: dict[str, Agent] = {"explore": "explorer", "refine": "refiner"}


class PoolEntry(TypedDict):
    """A scored architecture kept in the top-K pool."""

    canonical: str
    score: float
    step: int
    agent: str


class Candidate(TypedDict):
    """One LLM answer on its way through validation and scoring (bounded: k per step)."""

    slot: int
    round: int
    step: int
    phase: str
    agent: str
    model: str
    prompt: str
    call_key: str
    text: str
    canonical: str | None
    status: CandidateStatus
    errors: list[str]
    input_tokens: int
    output_tokens: int
    latency_s: float


class Usage(TypedDict):
    """Budgets used so far (evaluations count when submitted for scoring)."""

    evaluations: int
    llm_calls: int
    tokens: int
    cost_usd: float
    elapsed_s: float


class SearchState(TypedDict):
    """Phase, counters, thresholds, budgets used, pool, and the batch in progress."""

    step: int
    round: int
    phase: Phase
    best: str | None
    best_score: float | None
    pool: list[PoolEntry]
    gamma_trans: float | None
    gamma_stop: float | None
    stuck: int
    progress: list[float]
    usage: Usage
    batch: list[Candidate]
    repair_slots: list[int]
    in_flight: list[Candidate]
    switched_at_step: int | None
    stop_reason: str | None


def initial_state(gamma_trans: float | None, gamma_stop: float | None) -> SearchState:
    """The state a new run starts from."""
    return SearchState(
        step=0, round=0, phase="explore", best=None, best_score=None, pool=[], gamma_trans=gamma_trans,
        gamma_stop=gamma_stop, stuck=0, progress=[],
        usage=Usage(evaluations=0, llm_calls=0, tokens=0, cost_usd=0.0, elapsed_s=0.0),
        batch=[], repair_slots=[], in_flight=[], switched_at_step=None, stop_reason=None,
    )
