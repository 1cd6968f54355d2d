"""OpenAI-compatible Chat Completions over aiohttp: OpenAI, vLLM, llama.cpp's server, Ollama's /v1, LM Studio, ...

The servers differ only in how they take a constraint, so that is one setting (`constraint_mode`):
"gbnf" sends llama.cpp's `grammar` field, "json_schema" sends OpenAI/vLLM's `response_format`
json_schema, "json_object" sends llama.cpp's `{"type": "json_object", "schema": ...}`, "none" sends neither.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import BaseMessage

from phasenas.llm.base import Completion, chat_role, message_text
from phasenas.llm.constraints import ConstraintKind, OutputConstraint
from phasenas.llm.errors import BadResponse
from phasenas.llm.registry import register_provider
from phasenas.llm.remote import HTTPChatModel
from phasenas.llm.transport import RequestHeaders

ConstraintMode = Literal["gbnf", "json_schema", "json_object", "none"]
@register_provider("openai")
class OpenAIChatModel(HTTPChatModel):
    """Any server speaking OpenAI's /chat/completions. The API key is read from `api_key_env` at request time."""

    provider = "openai"

    base_url: str = "https://api.openai.com/v1"
    api_key_env: str | None = "OPENAI_API_KEY"
    constraint_mode: ConstraintMode = "json_schema"

    @property
    def constraint_kinds(self) -> tuple[ConstraintKind, ...]:
        if self.constraint_mode == "gbnf":
            return (ConstraintKind.GBNF,)
        if self.constraint_mode in ("json_schema", "json_object"):
            return (ConstraintKind.JSON_SCHEMA,)
        return ()

    def _endpoint(self) -> str:
        return f"{self.base_url.rstrip('/')}/chat/completions"

    def _headers(self, api_key: str) -> RequestHeaders:
        bearer = f"Bearer {api_key}" if api_key else ""
        return RequestHeaders({"Content-Type": "application/json"}, {"Authorization": bearer})

    def _payload(
        self, messages: list[BaseMessage], stop: list[str] | None, kind: ConstraintKind,
        constraint: OutputConstraint | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": chat_role(m), "content": message_text(m)} for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if stop:
            payload["stop"] = stop
        if constraint is not None and kind is ConstraintKind.GBNF:
            payload["grammar"] = constraint.grammar
        elif constraint is not None and kind is ConstraintKind.JSON_SCHEMA:
            if self.constraint_mode == "json_object":
                payload["response_format"] = {"type": "json_object", "schema": constraint.json_schema}
            else:
                payload["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": constraint.name, "schema": constraint.json_schema,
                                    "strict": constraint.strict},
                }
        return payload

    async def _complete(
        self, messages: list[BaseMessage], stop: list[str] | None, kind: ConstraintKind,
        constraint: OutputConstraint | None,
    ) -> Completion:
        data = await self._post(self._payload(messages, stop, kind, constraint))
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise BadResponse("answer has no choices[0].message.content",
                              provider=self.provider, model=self.model) from None
        usage = data.get("usage") or {}
        return Completion(
            text=text, prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"),
            finish_reason=choice.get("finish_reason"),
        )
