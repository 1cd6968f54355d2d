"""The shared shape of phasenas's chat models: one attempt per provider, everything else here.

A provider subclass implements `_complete` (one request, one typed error on failure) and says which
constraint kinds it enforces. This base turns that into a LangChain chat model with retries, limits,
fallback, usage metadata and a sync path, so the graph sees one interface for every backend.
"""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import structlog
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from phasenas.llm.constraints import ConstraintKind, OutputConstraint, applied_constraint
from phasenas.llm.errors import ConfigError, LLMError
from phasenas.llm.resilience import Limits, RetryPolicy, resilient_call, shared_limiter
from phasenas.llm.transport import close_shared_session

log = structlog.get_logger(__name__)
T = TypeVar("T")
_CHARS_PER_TOKEN = 4  # rough English/code average, used only when a backend reports no usage


@dataclass(frozen=True)
class Completion:
    """What one successful attempt produced."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None


def estimate_tokens(text: str) -> int:
    """A token count for backends that report none (about four characters per token)."""
    return max(1, -(-len(text) // _CHARS_PER_TOKEN)) if text else 0


def message_text(message: BaseMessage) -> str:
    """The plain text of a message whose content may be a string or a list of content blocks."""
    if isinstance(message.content, str):
        return message.content
    return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in message.content)


_ROLES: dict[type[BaseMessage], str] = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}


def chat_role(message: BaseMessage) -> str:
    """The wire role of a LangChain message."""
    for cls, role in _ROLES.items():
        if isinstance(message, cls):
            return role
    raise ConfigError(f"message type {type(message).__name__} is not supported by the chat providers")


class PhaseChatModel(BaseChatModel):
    """Base of the built-in providers: retries, limits, fallback and usage around one `_complete`."""

    model_config = ConfigDict(extra="forbid")  # a misspelt setting is an error, not silently ignored

    provider: ClassVar[str]

    model: str
    temperature: float = 0.7
    max_tokens: int = Field(default=512, ge=1)
    timeout_s: float = Field(default=120.0, gt=0)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    limits: Limits = Field(default_factory=Limits)
    limit_key: str | None = None  # models with the same key share limits; default: one per endpoint
    fallback: BaseChatModel | None = None  # used when a call still fails with a retryable error after all retries

    @property
    @abstractmethod
    def constraint_kinds(self) -> tuple[ConstraintKind, ...]:
        """Constraint kinds this model enforces, best first."""

    @abstractmethod
    async def _complete(
        self, messages: list[BaseMessage], stop: list[str] | None, kind: ConstraintKind,
        constraint: OutputConstraint | None,
    ) -> Completion:
        """One attempt; raises a typed `LLMError` on failure."""

    def _endpoint(self) -> str:
        """Where requests go, for limit keys and logs (never holds a secret)."""
        return self.model

    @property
    def _llm_type(self) -> str:
        return f"phasenas-{self.provider}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "endpoint": self._endpoint()}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=self.provider, ls_model_name=self.model, ls_model_type="chat",
            ls_temperature=self.temperature, ls_max_tokens=self.max_tokens,
        )
        if stop:
            params["ls_stop"] = stop
        return params

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        *,
        constraint: OutputConstraint | None = None,
        **unexpected: Any,
    ) -> ChatResult:
        if unexpected:
            raise TypeError(f"{self._llm_type} got unexpected invoke arguments: {sorted(unexpected)}")
        kind = applied_constraint(self, constraint)
        limiter = shared_limiter(self.limit_key or f"{self.provider}|{self._endpoint()}", self.limits)
        started = time.perf_counter()
        try:
            completion, attempts = await resilient_call(
                lambda: self._complete(messages, stop, kind, constraint), policy=self.retry, limiter=limiter
            )
        except LLMError as error:
            if self.fallback is None or not error.retryable:
                raise
            log.warning(
                "llm.fallback_used", provider=self.provider, model=self.model,
                error=type(error).__name__, attempts=error.attempts,
            )
            return await self._fallback_result(messages, stop, constraint, error.attempts, started)
        latency = time.perf_counter() - started
        estimated = completion.prompt_tokens is None or completion.completion_tokens is None
        prompt_tokens = (
            completion.prompt_tokens
            if completion.prompt_tokens is not None
            else sum(estimate_tokens(message_text(m)) for m in messages)
        )
        completion_tokens = (
            completion.completion_tokens
            if completion.completion_tokens is not None
            else estimate_tokens(completion.text)
        )
        message = AIMessage(
            content=completion.text,
            usage_metadata={
                "input_tokens": prompt_tokens,
                "output_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            response_metadata={
                "provider": self.provider,
                "model_name": self.model,
                "finish_reason": completion.finish_reason,
                "constraint": kind.value,
                "attempts": attempts,
                "latency_s": latency,
                "tokens_estimated": estimated,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _fallback_result(
        self, messages: list[BaseMessage], stop: list[str] | None, constraint: OutputConstraint | None,
        attempts: int, started: float,
    ) -> ChatResult:
        """Answer from the fallback model, recorded as one call of this model (no nested callbacks)."""
        assert self.fallback is not None
        extra = {"constraint": constraint} if isinstance(self.fallback, PhaseChatModel) else {}
        answer = await self.fallback.ainvoke(messages, config={"callbacks": []}, stop=stop, **extra)
        metadata = {
            "provider": getattr(self.fallback, "provider", type(self.fallback).__name__),
            "model_name": getattr(self.fallback, "model", ""),
            "constraint": ConstraintKind.NONE.value,
            **answer.response_metadata,
            "attempts": attempts + answer.response_metadata.get("attempts", 1),
            "latency_s": time.perf_counter() - started,
            "fallback_from": f"{self.provider}:{self.model}",
        }
        message = AIMessage(content=answer.content, usage_metadata=answer.usage_metadata, response_metadata=metadata)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return run_blocking(self._agenerate(messages, stop, None, **kwargs))


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion from sync code, in its own loop whose HTTP session is closed afterwards."""

    async def scoped() -> T:
        try:
            return await coro
        finally:
            await close_shared_session()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(scoped())
    # Called synchronously from inside a running loop: run on a separate thread rather than deadlock it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scoped()).result()
