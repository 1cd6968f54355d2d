"""Per-call usage records (who asked, with which prompt, what it cost) through a LangChain callback.

The graph hands a `UsageRecorder` in `config={"callbacks": [recorder], "metadata": {"prompt": "explore@1",
"agent": "explorer"}}`; it works for phasenas's providers and for any LangChain chat model that reports
`usage_metadata`. Records hold names, counts and times only: never message text, headers or keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import structlog
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from pydantic import BaseModel, ConfigDict, Field

from phasenas.llm.base import estimate_tokens, message_text

log = structlog.get_logger(__name__)


class Price(BaseModel):
    """US dollars per 1,000 tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_per_1k: float = Field(default=0.0, ge=0)
    completion_per_1k: float = Field(default=0.0, ge=0)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt_per_1k + completion_tokens * self.completion_per_1k) / 1000


class CallRecord(BaseModel):
    """One chat-model call as the run store keeps it."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    started_at: float  # unix seconds
    provider: str
    model: str
    agent: str | None = None
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_estimated: bool = False
    latency_s: float
    attempts: int = 1
    retries: int = 0
    cost_usd: float = 0.0  # 0 when no price is configured for the model
    constraint: str | None = None
    finish_reason: str | None = None
    fallback_from: str | None = None
    error: str | None = None  # the error type when the call failed


def split_prompt_id(prompt: str | None) -> tuple[str | None, str | None]:
    """'explore@1' -> ('explore', '1'); a name without '@' has no version."""
    if not prompt:
        return None, None
    name, at, version = prompt.rpartition("@")
    return (name, version) if at else (prompt, None)


class _Pending(BaseModel):
    started_at: float
    started: float
    provider: str
    model: str
    agent: str | None
    prompt: str | None
    prompt_tokens_estimate: int


class UsageRecorder(AsyncCallbackHandler):
    """Collects a `CallRecord` per chat-model call; `on_record` forwards each one (e.g. to the run store)."""

    def __init__(
        self,
        prices: Mapping[str, Price] | None = None,
        on_record: Callable[[CallRecord], None] | None = None,
    ) -> None:
        self.prices = dict(prices or {})  # keyed by "provider:model" or by model name
        self.on_record = on_record
        self.records: list[CallRecord] = []
        self._pending: dict[UUID, _Pending] = {}

    def price_for(self, provider: str, model: str) -> Price:
        return self.prices.get(f"{provider}:{model}") or self.prices.get(model) or Price()

    async def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        invocation_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        metadata = metadata or {}
        params = invocation_params or {}
        self._pending[run_id] = _Pending(
            started_at=time.time(),
            started=time.perf_counter(),
            provider=str(metadata.get("ls_provider") or params.get("_type") or "unknown"),
            model=str(metadata.get("ls_model_name") or params.get("model") or params.get("model_name") or "unknown"),
            agent=metadata.get("agent"),
            prompt=metadata.get("prompt"),
            prompt_tokens_estimate=sum(estimate_tokens(message_text(m)) for batch in messages for m in batch),
        )

    async def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        pending = self._pending.pop(run_id, None)
        if pending is None:
            return
        generation = response.generations[0][0] if response.generations and response.generations[0] else None
        message = generation.message if isinstance(generation, ChatGeneration) else None
        self._emit(run_id, pending, message, error=None)

    async def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        pending = self._pending.pop(run_id, None)
        if pending is None:
            return
        self._emit(run_id, pending, None, error=error)

    def _emit(
        self, run_id: UUID, pending: _Pending, message: BaseMessage | None, error: BaseException | None
    ) -> None:
        meta = message.response_metadata if message is not None else {}
        usage = message.usage_metadata if isinstance(message, AIMessage) else None
        provider = str(meta.get("provider") or pending.provider)
        model = str(meta.get("model_name") or meta.get("model") or pending.model)
        if usage:
            prompt_tokens, completion_tokens = usage["input_tokens"], usage["output_tokens"]
            estimated = bool(meta.get("tokens_estimated", False))
        elif message is not None:
            prompt_tokens, completion_tokens = pending.prompt_tokens_estimate, estimate_tokens(message_text(message))
            estimated = True
        else:
            prompt_tokens, completion_tokens, estimated = 0, 0, False
        attempts = int(meta.get("attempts") or getattr(error, "attempts", None) or 1)
        name, version = split_prompt_id(pending.prompt)
        record = CallRecord(
            run_id=str(run_id),
            started_at=pending.started_at,
            provider=provider,
            model=model,
            agent=pending.agent,
            prompt_name=name,
            prompt_version=version,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            tokens_estimated=estimated,
            latency_s=time.perf_counter() - pending.started,
            attempts=attempts,
            retries=attempts - 1,
            cost_usd=self.price_for(provider, model).cost(prompt_tokens, completion_tokens),
            constraint=meta.get("constraint"),
            finish_reason=meta.get("finish_reason"),
            fallback_from=meta.get("fallback_from"),
            error=type(error).__name__ if error is not None else None,
        )
        self.records.append(record)
        log.info("llm.call_recorded", **record.model_dump(exclude={"run_id", "started_at"}))
        if self.on_record is not None:
            self.on_record(record)
