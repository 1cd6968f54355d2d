"""One pooled aiohttp session per event loop, and a JSON POST that turns every failure into a typed error.

aiohttp sessions are bound to the loop that created them, so the pool is keyed by loop; a search running in
one loop reuses connections across all its calls and providers.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

import aiohttp
import orjson

from phasenas.llm.errors import (
    AuthFailed,
    BadResponse,
    LLMError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)
_BODY_SNIPPET = 300


def shared_session() -> aiohttp.ClientSession:
    """The current loop's session, created on first use."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100, limit_per_host=32),
            json_serialize=lambda obj: orjson.dumps(obj).decode(),
        )
        _sessions[loop] = session
    return session


async def close_shared_session() -> None:
    """Close the current loop's session (call before the loop ends to avoid 'unclosed session' warnings)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None and not session.closed:
        await session.close()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RequestHeaders(Mapping[str, str]):
    """HTTP headers whose secret values never show in repr, tracebacks with locals, or quoted server text."""

    def __init__(self, plain: Mapping[str, str], secret: Mapping[str, str]) -> None:
        self._plain = dict(plain)
        self._secret = {k: v for k, v in secret.items() if v}

    def __getitem__(self, key: str) -> str:
        return self._secret[key] if key in self._secret else self._plain[key]

    def __iter__(self) -> Iterator[str]:
        return iter({**self._plain, **self._secret})

    def __len__(self) -> int:
        return len({**self._plain, **self._secret})

    def __repr__(self) -> str:
        return repr({**self._plain, **{k: "***" for k in self._secret}})

    def redact(self, text: str) -> str:
        """`text` with every secret (and its bare token after 'Bearer ') replaced by ***."""
        for value in self._secret.values():
            for secret in (value, value.split(" ")[-1]):
                text = text.replace(secret, "***")
        return text


async def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    headers: RequestHeaders,
    timeout_s: float,
    connect_timeout_s: float,
    provider: str,
    model: str,
    auth_hint: str = "",
) -> dict[str, Any]:
    """POST `payload` as JSON and return the decoded JSON object, or raise the matching typed error.

    The answer is redacted of the secrets in `headers` as soon as it is read, so no error message, log
    line or traceback local ever holds a key the server echoed back.
    """
    timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=connect_timeout_s)
    try:
        async with shared_session().post(url, data=orjson.dumps(payload), headers=headers, timeout=timeout) as resp:
            text = headers.redact((await resp.read()).decode("utf-8", errors="replace"))
            status = resp.status
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    except TimeoutError:
        raise ProviderTimeout(f"no answer from {url} within {timeout_s:g}s", provider=provider, model=model) from None
    except aiohttp.ClientPayloadError as exc:
        raise BadResponse(
            f"truncated answer from {url} ({type(exc).__name__})", provider=provider, model=model
        ) from None
    except aiohttp.ClientError as exc:
        raise ProviderUnavailable(
            f"cannot reach {url} ({type(exc).__name__}: {headers.redact(str(exc))})", provider=provider, model=model
        ) from None
    if status >= 400:
        raise _status_error(status, text[:_BODY_SNIPPET], retry_after, url, auth_hint, provider, model)
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise BadResponse(
            f"answer from {url} is not JSON: {text[:_BODY_SNIPPET]!r}", provider=provider, model=model
        ) from None
    if not isinstance(data, dict):
        raise BadResponse(f"answer from {url} is not a JSON object", provider=provider, model=model)
    return data


def _status_error(
    status: int, snippet: str, retry_after: float | None, url: str, auth_hint: str, provider: str, model: str
) -> LLMError:
    head = f"HTTP {status} from {url}"
    if status in (401, 403):
        return AuthFailed(
            f"{head}: the API key is missing, invalid or not allowed this model ({auth_hint}): {snippet}",
            provider=provider, model=model,
        )
    if status == 429:
        return RateLimited(
            f"{head}: rate limited: {snippet}", retry_after_s=retry_after, provider=provider, model=model
        )
    if status >= 500:
        return ProviderUnavailable(
            f"{head}: {snippet}", status=status, retry_after_s=retry_after, provider=provider, model=model
        )
    return RequestRejected(f"{head}: {snippet}", status=status, provider=provider, model=model)
