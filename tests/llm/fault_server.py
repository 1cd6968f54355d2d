"""A scripted fault-injection server for the provider tests, and specs that point at it."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

TEST_KEY = "sk-test-Q7hN2vX9-DO-NOT-LEAK"


def completion_body(text: str = "ok", prompt_tokens: int = 11, completion_tokens: int = 3) -> bytes:
    return orjson.dumps({
        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
    })


@dataclass
class FaultServer:
    """An OpenAI/Anthropic look-alike whose first path segment picks a behaviour."""

    base: str = ""
    hits: Counter[str] = field(default_factory=Counter)
    requests: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    disconnected: int = 0
    slow_delay_s: float = 0.8

    def url(self, scenario: str) -> str:
        return f"{self.base}/{scenario}/v1"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        scenario = request.match_info["scenario"]
        self.hits[scenario] += 1
        n = self.hits[scenario]
        self.requests.append(orjson.loads(await request.read()))
        self.auth_headers.append(request.headers.get("Authorization", request.headers.get("x-api-key", "")))
        if scenario == "ok":
            return web.Response(body=completion_body(), content_type="application/json")
        if scenario == "echo":  # answers with the last user message, to check what was sent
            return web.Response(body=completion_body(self.requests[-1]["messages"][-1]["content"]),
                                content_type="application/json")
        if scenario == "nousage":
            return web.json_response({"choices": [{"message": {"content": "twelve chars"}, "finish_reason": "stop"}]})
        if scenario == "ratelimit":
            if n == 1:
                return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "1"})
            return web.Response(body=completion_body("after 429"), content_type="application/json")
        if scenario == "flaky500":
            if n == 1:
                return web.json_response({"error": "boom"}, status=500)
            return web.Response(body=completion_body("after 500"), content_type="application/json")
        if scenario == "always500":
            return web.json_response({"error": "down"}, status=503)
        if scenario == "unauthorized":  # echoes the key back, as some gateways do, to test redaction
            return web.json_response({"error": f"invalid key {self.auth_headers[-1]}"}, status=401)
        if scenario == "badrequest":
            return web.json_response({"error": "unknown model"}, status=404)
        if scenario == "malformed":
            return web.Response(body=b'{"choices": [ oops', content_type="application/json")
        if scenario == "truncated":
            response = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": "500"})
            await response.prepare(request)
            await response.write(b'{"choices": [{"message": ')
            raise ConnectionResetError("server dies mid-body")
        if scenario == "slow":
            await asyncio.sleep(self.slow_delay_s)
            return web.Response(body=completion_body("slow"), content_type="application/json")
        if scenario == "hang":
            while request.transport is not None and not request.transport.is_closing():
                await asyncio.sleep(0.02)
            self.disconnected += 1
            return web.Response(status=499)
        if scenario == "anthropic":
            return web.json_response({
                "content": [{"type": "text", "text": "claude says hi"}],
                "usage": {"input_tokens": 7, "output_tokens": 4}, "stop_reason": "end_turn",
            })
        raise web.HTTPNotFound()


FAST_RETRY = {"max_attempts": 3, "backoff_base_s": 0.01, "backoff_max_s": 0.05}


def openai_spec(server: FaultServer, scenario: str, **settings: Any) -> dict[str, Any]:
    """A spec for the openai provider against one scenario of the fault server, with quick retries."""
    return {
        "provider": "openai", "base_url": server.url(scenario), "model": "test-model",
        "api_key_env": "PHASENAS_TEST_KEY", "timeout_s": 2.0, "retry": FAST_RETRY, **settings,
    }


