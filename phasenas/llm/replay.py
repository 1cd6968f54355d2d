"""The `replay` provider: a chat model that answers with the recorded responses of an earlier run.

Re-running a search with every agent on `replay` needs no LLM and, since routing, pool and prompts are
deterministic and the score cache holds the scores, reaches the same evaluations and best architecture:
the debugging and determinism story of phasenas. Inside the graph each call carries its call key
(step/agent/round/slot) in the run metadata and gets exactly the answer recorded under that key, whatever
order concurrent calls finish in; outside the graph answers are served in recorded order.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

import structlog
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from phasenas.llm.base import message_text
from phasenas.llm.constraints import ConstraintKind
from phasenas.llm.errors import LLMError
from phasenas.llm.registry import register_provider
from phasenas.store import LLMExchange, RunStore

log = structlog.get_logger(__name__)
RUN_STORE_FILE = "run.sqlite"


class ReplayMismatch(LLMError):
    """The replayed run asked for a call the recording does not have (it diverged), or ran out of answers."""


class RecordedFailure(LLMError):
    """The recorded call failed; replaying it fails the same way."""


@register_provider("replay")
class ReplayChatModel(BaseChatModel):
    """Answers from a run directory's store; `agent` limits it to one agent's calls."""

    provider: ClassVar[str] = "replay"

    run_dir: str
    agent: str | None = None

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _by_key: dict[str, LLMExchange] | None = PrivateAttr(default=None)
    _in_order: list[LLMExchange] = PrivateAttr(default_factory=list)
    _served: set[str] = PrivateAttr(default_factory=set)

    @property
    def _llm_type(self) -> str:
        return "phasenas-replay"

    @property
    def model(self) -> str:
        return f"{Path(self.run_dir).name}/{self.agent or 'all'}"

    @property
    def constraint_kinds(self) -> tuple[ConstraintKind, ...]:
        """The kinds the recorded model applied, so prompts render with the same answer format."""
        kinds = dict.fromkeys(ConstraintKind(e.constraint_kind) for e in self._recording().values())
        return tuple(k for k in kinds if k is not ConstraintKind.NONE)

    def _recording(self) -> dict[str, LLMExchange]:
        with self._lock:
            if self._by_key is None:
                path = Path(self.run_dir) / RUN_STORE_FILE
                if not path.is_file():
                    raise ReplayMismatch(f"no run store at {path} to replay")
                with RunStore(path) as store:
                    self._in_order = store.llm_calls(self.agent)
                self._by_key = {e.call_key: e for e in self._in_order}
            return self._by_key

    def _pick(self, call_key: str | None) -> LLMExchange:
        recording = self._recording()
        with self._lock:
            if call_key is not None:
                exchange = recording.get(call_key)
                if exchange is None:
                    raise ReplayMismatch(f"the recording has no call {call_key!r}: the replay diverged")
            else:
                exchange = next((e for e in self._in_order if e.call_key not in self._served), None)
                if exchange is None:
                    raise ReplayMismatch("every recorded answer has been served")
            self._served.add(exchange.call_key)
        return exchange

    def _answer(self, messages: list[BaseMessage], metadata: dict[str, Any] | None) -> ChatResult:
        exchange = self._pick((metadata or {}).get("call_key"))
        sent = [message_text(m) for m in messages]
        if sent != [m["content"] for m in exchange.messages]:
            log.warning("replay.prompt_changed", call_key=exchange.call_key, prompt=exchange.prompt)
        if exchange.error is not None:
            raise RecordedFailure(f"recorded failure replayed: {exchange.error}", provider="replay")
        message = AIMessage(
            content=exchange.response,
            usage_metadata={"input_tokens": exchange.input_tokens, "output_tokens": exchange.output_tokens,
                            "total_tokens": exchange.input_tokens + exchange.output_tokens},
            response_metadata={"provider": "replay", "model_name": exchange.model,
                               "constraint": exchange.constraint_kind, "replayed": exchange.call_key},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return self._answer(messages, run_manager.metadata if run_manager else None)

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return self._answer(messages, run_manager.metadata if run_manager else None)
