"""Concurrent LLM calls of one step: bounded, recorded, and reused when a crashed step runs again.

Each call has a stable key (step/agent/round/slot). Its exchange is appended to the run store as soon as
it returns, so a step re-executed after SIGKILL takes the recorded answers instead of asking again, and
the replay provider can serve the same answers to a later run.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import structlog
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from phasenas.graph.state import Candidate
from phasenas.llm.accounting import Price, UsageRecorder
from phasenas.llm.base import chat_role, message_text
from phasenas.llm.constraints import OutputConstraint, applied_constraint, supported_constraints
from phasenas.llm.errors import LLMError
from phasenas.prompts import Prompt
from phasenas.store import LLMExchange, RunStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CallRequest:
    """One LLM call to make: who asks, with which prompt and inputs, where in the run."""

    agent: str
    phase: str
    step: int
    round: int
    slot: int
    prompt: Prompt
    inputs: dict[str, Any]

    @property
    def call_key(self) -> str:
        return f"{self.step}/{self.agent}/{self.round}/{self.slot}"


@dataclass(frozen=True)
class CallSettings:
    """How to call: the model, its constraint, and prices for the cost budget."""

    model: BaseChatModel
    model_name: str
    constraint: OutputConstraint | None
    prices: dict[str, Price]


def model_name(model: BaseChatModel) -> str:
    """A readable model id for records: provider:model where the model says so."""
    provider = getattr(model, "provider", None) or type(model).__name__
    name = getattr(model, "model", None) or getattr(model, "model_name", None) or ""
    return f"{provider}:{name}" if name else str(provider)


def _message_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _role(m), "content": message_text(m)} for m in messages]


def _role(message: BaseMessage) -> str:
    try:
        return chat_role(message)
    except LLMError:
        return message.type


async def _call(request: CallRequest, settings: CallSettings, messages: list[BaseMessage]) -> LLMExchange:
    recorder = UsageRecorder(prices=settings.prices)
    metadata = {"prompt": request.prompt.ref, "agent": request.agent, "call_key": request.call_key}
    kwargs: dict[str, Any] = {}
    if settings.constraint is not None and supported_constraints(settings.model):
        kwargs["constraint"] = settings.constraint
    started_at, started = time.time(), time.perf_counter()
    error: str | None = None
    text = ""
    try:
        answer = await settings.model.ainvoke(
            messages, config={"callbacks": [recorder], "metadata": metadata, "run_name": request.agent}, **kwargs
        )
        text = message_text(answer)
    except LLMError as exc:  # recorded as a failed proposal; the search goes on
        error = f"{type(exc).__name__}: {exc}"
        log.warning("agent.llm_call_failed", call_key=request.call_key, error=error)
    record = recorder.records[-1] if recorder.records else None
    return LLMExchange(
        call_key=request.call_key, step=request.step, round=request.round, slot=request.slot, phase=request.phase,
        agent=request.agent, model=settings.model_name, prompt=request.prompt.ref,
        messages=_message_dicts(messages), response=text,
        input_tokens=record.prompt_tokens if record else 0, output_tokens=record.completion_tokens if record else 0,
        cost_usd=record.cost_usd if record else 0.0, latency_s=time.perf_counter() - started,
        started_at=started_at, constraint_kind=applied_constraint(settings.model, kwargs.get("constraint")).value,
        error=error,
    )


async def _ask(request: CallRequest, settings: CallSettings, store: RunStore, gate: asyncio.Semaphore,
               ) -> tuple[Candidate, LLMExchange, bool]:
    exchange = store.llm_call(request.call_key)
    reused = exchange is not None
    if exchange is None:
        messages = request.prompt.render(**request.inputs)
        async with gate:
            exchange = await _call(request, settings, messages)
        store.record_llm_call(exchange)
    else:
        log.info("agent.llm_call_reused", call_key=request.call_key)
    candidate = Candidate(
        slot=request.slot, round=request.round, step=request.step, phase=request.phase, agent=request.agent,
        model=exchange.model, prompt=exchange.prompt, call_key=exchange.call_key, text=exchange.response,
        canonical=None, status="failed" if exchange.error else "pending",
        errors=[exchange.error] if exchange.error else [], input_tokens=exchange.input_tokens,
        output_tokens=exchange.output_tokens, latency_s=exchange.latency_s,
    )
    return candidate, exchange, reused


@dataclass(frozen=True)
class StepCalls:
    """The answers of one step, in slot order, with what they cost."""

    candidates: list[Candidate]
    calls: int
    tokens: int
    cost_usd: float


async def ask_all(requests: list[CallRequest], settings: CallSettings, store: RunStore,
                  max_concurrency: int) -> StepCalls:
    """Make all calls concurrently, at most `max_concurrency` at once; results in request order."""
    gate = asyncio.Semaphore(max_concurrency)
    results = await asyncio.gather(*(_ask(r, settings, store, gate) for r in requests))
    return StepCalls(
        candidates=[c for c, _, _ in results],
        calls=len(results),
        tokens=sum(e.input_tokens + e.output_tokens for _, e, _ in results),
        cost_usd=sum(e.cost_usd for _, e, _ in results),
    )
