"""Test doubles for the graph: scripted chat models that are clearly not LLMs.

`SamplingChatModel` answers each call with an architecture drawn from the space by a generator seeded
with the call key (so answers do not depend on the order concurrent calls run in), and can be told to
answer invalid text in early repair rounds, to repeat one architecture, or to take time.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, ClassVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from phasenas.space import get_space

BROKEN = "ConvK3BNRELU(3,32,1,1)MB6K5(32,64,2)"  # parses, but is not a NAS-Bench-Macro network
IN_FLIGHT: dict[str, int] = {}
MAX_IN_FLIGHT: dict[str, int] = {}
CALLS: dict[str, list[str]] = {}


class SamplingChatModel(BaseChatModel):
    """A scripted stand-in for a chat model in graph tests (no language model involved)."""

    provider: ClassVar[str] = "fake"

    model: str = "sampler"
    space: str = "macro"
    temperature: float = 0.0
    max_tokens: int = 0
    delay_s: float = 0.0
    invalid_rounds: int = 0  # answer BROKEN for calls of repair rounds below this
    repeat: bool = False  # always the same architecture (tests duplicate dropping)
    probe: str = "default"  # key of the concurrency counters above

    @property
    def _llm_type(self) -> str:
        return "fake-sampler"

    def _text(self, key: str) -> str:
        step, agent, round_, slot = key.split("/")
        if int(round_) < self.invalid_rounds:
            return f"Here you go: {BROKEN}"
        space = get_space(self.space)
        rng = random.Random(0 if self.repeat else f"{agent}:{step}:{round_}:{slot}")
        return f"```\n{space.canonical(space.sample(rng))}\n```"

    def _result(self, text: str) -> ChatResult:
        message = AIMessage(content=text, usage_metadata={"input_tokens": 100, "output_tokens": 50,
                                                          "total_tokens": 150})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        raise NotImplementedError("the graph calls chat models asynchronously")

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        key = (run_manager.metadata or {})["call_key"]
        CALLS.setdefault(self.probe, []).append(key)
        IN_FLIGHT[self.probe] = IN_FLIGHT.get(self.probe, 0) + 1
        MAX_IN_FLIGHT[self.probe] = max(MAX_IN_FLIGHT.get(self.probe, 0), IN_FLIGHT[self.probe])
        try:
            await asyncio.sleep(self.delay_s)
            return self._result(self._text(key))
        finally:
            IN_FLIGHT[self.probe] -= 1


def sampler(**settings: Any) -> dict[str, Any]:
    """A model spec for SearchConfig that builds a SamplingChatModel."""
    return {"provider": "tests.graph.fakes:SamplingChatModel", **settings}
