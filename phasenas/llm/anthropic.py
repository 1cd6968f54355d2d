"""Anthropic's Messages API over aiohttp. Answers are free text (the caller extracts the architecture)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage, SystemMessage

from phasenas.llm.base import Completion, chat_role, message_text
from phasenas.llm.constraints import ConstraintKind, OutputConstraint
from phasenas.llm.errors import BadResponse
from phasenas.llm.registry import register_provider
from phasenas.llm.remote import HTTPChatModel
from phasenas.llm.transport import RequestHeaders


@register_provider("anthropic")
class AnthropicChatModel(HTTPChatModel):
    """Claude models via /v1/messages; the key is read from `api_key_env` at request time."""

    provider = "anthropic"

    base_url: str = "https://api.anthropic.com"
    api_key_env: str | None = "ANTHROPIC_API_KEY"
    api_version: str = "2023-06-01"

    @property
    def constraint_kinds(self) -> tuple[ConstraintKind, ...]:
        return ()

    def _endpoint(self) -> str:
        return f"{self.base_url.rstrip('/')}/v1/messages"

    def _headers(self, api_key: str) -> RequestHeaders:
        return RequestHeaders(
            {"Content-Type": "application/json", "anthropic-version": self.api_version}, {"x-api-key": api_key}
        )

    def _payload(self, messages: list[BaseMessage], stop: list[str] | None) -> dict[str, Any]:
        system = "\n\n".join(message_text(m) for m in messages if isinstance(m, SystemMessage))
        payload: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "messages": [
                {"role": chat_role(m), "content": message_text(m)}
                for m in messages
                if not isinstance(m, SystemMessage)
            ],
        }
        if system:
            payload["system"] = system
        if stop:
            payload["stop_sequences"] = stop
        return payload

    async def _complete(
        self, messages: list[BaseMessage], stop: list[str] | None, kind: ConstraintKind,
        constraint: OutputConstraint | None,
    ) -> Completion:
        data = await self._post(self._payload(messages, stop))
        try:
            text = "".join(block["text"] for block in data["content"] if block.get("type") == "text")
        except (KeyError, TypeError):
            raise BadResponse("answer has no text content",
                              provider=self.provider, model=self.model) from None
        usage = data.get("usage") or {}
        return Completion(
            text=text, prompt_tokens=usage.get("input_tokens"), completion_tokens=usage.get("output_tokens"),
            finish_reason=data.get("stop_reason"),
        )
