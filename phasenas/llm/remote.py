"""What the HTTP providers share: where the server is, where the key comes from, and one POST."""

from __future__ import annotations

import os
from abc import abstractmethod
from typing import Any

from pydantic import Field

from phasenas.llm.base import PhaseChatModel
from phasenas.llm.transport import RequestHeaders, post_json


class HTTPChatModel(PhaseChatModel):
    """A chat model behind an HTTP API. The key is read from the environment at request time and never stored."""

    base_url: str
    api_key_env: str | None = None  # name of the environment variable holding the key; unset variable = no key
    connect_timeout_s: float = Field(default=10.0, gt=0)
    extra_body: dict[str, Any] = Field(default_factory=dict)  # merged into every request (top_p, seed, ...)

    @abstractmethod
    def _headers(self, api_key: str) -> RequestHeaders:
        """Request headers, with the key among the secret ones."""

    def _api_key(self) -> str:
        return os.environ.get(self.api_key_env, "") if self.api_key_env else ""

    def _auth_hint(self) -> str:
        if not self.api_key_env:
            return "no api_key_env is configured"
        state = "set" if self._api_key() else "not set"
        return f"the key is read from ${self.api_key_env}, which is {state}"

    async def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        return await post_json(
            self._endpoint(), {**payload, **self.extra_body}, headers=self._headers(self._api_key()),
            timeout_s=self.timeout_s, connect_timeout_s=self.connect_timeout_s, provider=self.provider,
            model=self.model, auth_hint=self._auth_hint(),
        )
