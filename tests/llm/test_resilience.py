"""Retries, typed errors, limits and cancellation against a real aiohttp server that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from langchain_core.messages import HumanMessage

from phasenas.llm import (
    AuthFailed,
    BadResponse,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    RetryPolicy,
    create_chat_model,
)
from phasenas.llm.resilience import Limits, shared_limiter
from tests.llm.fault_server import FaultServer, openai_spec

ASK = [HumanMessage("propose an architecture")]


async def test_429_waits_for_retry_after_then_succeeds(fault_server: FaultServer) -> None:
    model = create_chat_model(openai_spec(fault_server, "ratelimit"))
    started = time.perf_counter()
    answer = await model.ainvoke(ASK)
    assert answer.content == "after 429"
    assert answer.response_metadata["attempts"] == 2
    assert time.perf_counter() - started >= 0.95  # Retry-After: 1 beats the 10 ms backoff
    assert fault_server.hits["ratelimit"] == 2


async def test_429_beyond_attempts_raises_rate_limited(fault_server: FaultServer) -> None:
    model = create_chat_model(openai_spec(fault_server, "ratelimit", retry={"max_attempts": 1}))
    with pytest.raises(RateLimited) as caught:
        await model.ainvoke(ASK)
    assert caught.value.retry_after_s == pytest.approx(1.0)
    assert caught.value.attempts == 1


async def test_500_then_success_is_retried(fault_server: FaultServer) -> None:
    answer = await create_chat_model(openai_spec(fault_server, "flaky500")).ainvoke(ASK)
    assert answer.content == "after 500"
    assert answer.response_metadata["attempts"] == 2


async def test_persistent_5xx_gives_up_after_max_attempts(fault_server: FaultServer) -> None:
    with pytest.raises(ProviderUnavailable) as caught:
        await create_chat_model(openai_spec(fault_server, "always500")).ainvoke(ASK)
    assert caught.value.status == 503
    assert caught.value.attempts == 3
    assert fault_server.hits["always500"] == 3


async def test_hang_past_timeout_raises_provider_timeout(fault_server: FaultServer) -> None:
    model = create_chat_model(openai_spec(fault_server, "hang", timeout_s=0.3, retry={"max_attempts": 2}))
    started = time.perf_counter()
    with pytest.raises(ProviderTimeout):
        await model.ainvoke(ASK)
    assert 0.55 <= time.perf_counter() - started < 3.0
    assert fault_server.hits["hang"] == 2


async def test_malformed_json_is_a_bad_response(fault_server: FaultServer) -> None:
    with pytest.raises(BadResponse, match="not JSON"):
        await create_chat_model(openai_spec(fault_server, "malformed")).ainvoke(ASK)
    assert fault_server.hits["malformed"] == 3


async def test_truncated_body_is_a_bad_response(fault_server: FaultServer) -> None:
    with pytest.raises(BadResponse, match="truncated"):
        await create_chat_model(openai_spec(fault_server, "truncated")).ainvoke(ASK)


async def test_401_fails_at_once_with_a_clear_message(fault_server: FaultServer, api_key: str) -> None:
    with pytest.raises(AuthFailed) as caught:
        await create_chat_model(openai_spec(fault_server, "unauthorized")).ainvoke(ASK)
    assert fault_server.hits["unauthorized"] == 1
    assert "HTTP 401" in str(caught.value)
    assert "$PHASENAS_TEST_KEY, which is set" in str(caught.value)


async def test_other_4xx_is_not_retried(fault_server: FaultServer) -> None:
    with pytest.raises(RequestRejected) as caught:
        await create_chat_model(openai_spec(fault_server, "badrequest")).ainvoke(ASK)
    assert caught.value.status == 404
    assert fault_server.hits["badrequest"] == 1


async def test_connection_refused_is_provider_unavailable() -> None:
    spec = {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m", "retry": {"max_attempts": 2,
            "backoff_base_s": 0.01}}
    with pytest.raises(ProviderUnavailable, match="cannot reach"):
        await create_chat_model(spec).ainvoke(ASK)


async def test_concurrent_calls_to_slow_endpoint_overlap(fault_server: FaultServer) -> None:
    model = create_chat_model(openai_spec(fault_server, "slow"))
    started = time.perf_counter()
    answers = await asyncio.gather(*(model.ainvoke(ASK) for _ in range(8)))
    elapsed = time.perf_counter() - started
    assert [a.content for a in answers] == ["slow"] * 8
    assert elapsed < 2 * fault_server.slow_delay_s  # about one delay, not eight


async def test_concurrency_limit_caps_parallel_requests(fault_server: FaultServer) -> None:
    model = create_chat_model(openai_spec(fault_server, "slow", limits={"max_concurrency": 2}))
    started = time.perf_counter()
    await asyncio.gather(*(model.ainvoke(ASK) for _ in range(4)))
    assert time.perf_counter() - started >= 2 * fault_server.slow_delay_s - 0.05  # two waves of two


async def test_requests_per_minute_spaces_request_starts(fault_server: FaultServer) -> None:
    model = create_chat_model(openai_spec(fault_server, "ok", limits={"requests_per_minute": 600}))
    started = time.perf_counter()
    await asyncio.gather(*(model.ainvoke(ASK) for _ in range(5)))
    assert time.perf_counter() - started >= 0.4 - 0.02  # 600/min = one start every 0.1 s


async def test_cancellation_closes_requests_and_frees_slots(fault_server: FaultServer) -> None:
    spec = openai_spec(fault_server, "hang", timeout_s=30.0, limits={"max_concurrency": 3})
    model = create_chat_model(spec)
    tasks = [asyncio.create_task(model.ainvoke(ASK)) for _ in range(5)]
    while fault_server.hits["hang"] < 3:
        await asyncio.sleep(0.01)
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    deadline = time.perf_counter() + 2.0
    while fault_server.disconnected < 3 and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
    assert fault_server.disconnected == 3  # every open request was closed, none left pending on the server
    assert fault_server.hits["hang"] == 3  # queued calls never started
    limiter = shared_limiter(f"openai|{fault_server.url('hang')}/chat/completions", Limits(max_concurrency=3))
    assert limiter.in_flight == 0


async def test_fallback_answers_after_primary_exhausts_retries(fault_server: FaultServer) -> None:
    spec = openai_spec(fault_server, "always500", fallback=openai_spec(fault_server, "ok"))
    answer = await create_chat_model(spec).ainvoke(ASK)
    assert answer.content == "ok"
    assert answer.response_metadata["fallback_from"] == "openai:test-model"
    assert answer.response_metadata["attempts"] == 4  # three failed on the primary, one on the fallback
    assert fault_server.hits["always500"] == 3 and fault_server.hits["ok"] == 1


async def test_fallback_is_not_used_for_auth_failures(fault_server: FaultServer) -> None:
    spec = openai_spec(fault_server, "unauthorized", fallback=openai_spec(fault_server, "ok"))
    with pytest.raises(AuthFailed):
        await create_chat_model(spec).ainvoke(ASK)
    assert fault_server.hits["ok"] == 0


def test_backoff_grows_exponentially_with_jitter_and_respects_retry_after() -> None:
    policy = RetryPolicy(backoff_base_s=1.0, backoff_max_s=5.0, jitter=0.5)
    rng = random.Random(0)
    plain = ProviderUnavailable("x")
    delays = [policy.delay_s(n, plain, rng) for n in (1, 2, 3, 4, 5)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0 and 2.0 <= delays[2] <= 4.0
    assert all(2.5 <= d <= 5.0 for d in delays[3:])  # capped at backoff_max_s
    assert policy.delay_s(1, RateLimited("x", retry_after_s=7.0), rng) == 7.0
    assert policy.delay_s(1, RateLimited("x", retry_after_s=900.0), rng) == policy.max_retry_after_s


def test_sync_invoke_uses_its_own_loop(fault_server_sync: str) -> None:
    model = create_chat_model({"provider": "openai", "base_url": fault_server_sync, "model": "m"})
    assert model.invoke(ASK).content == "ok"


async def test_sync_invoke_from_inside_a_running_loop(fault_server_sync: str) -> None:
    model = create_chat_model({"provider": "openai", "base_url": fault_server_sync, "model": "m"})
    assert model.invoke(ASK).content == "ok"  # runs on a helper thread instead of deadlocking this loop
