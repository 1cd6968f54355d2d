"""Per-call records through the callback the graph hands in: names, tokens, retries, cost, failures."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import HumanMessage

from phasenas.llm import CallRecord, Price, ProviderUnavailable, UsageRecorder, create_chat_model
from phasenas.llm.accounting import split_prompt_id
from tests.llm.fault_server import FaultServer, openai_spec

ASK = [HumanMessage("propose an architecture")]
CONFIG_METADATA = {"prompt": "explore@1", "agent": "explorer"}


async def test_record_has_names_tokens_retries_and_cost(fault_server: FaultServer) -> None:
    forwarded: list[CallRecord] = []
    recorder = UsageRecorder(prices={"test-model": Price(prompt_per_1k=2.0, completion_per_1k=10.0)},
                             on_record=forwarded.append)
    model = create_chat_model(openai_spec(fault_server, "flaky500"))
    await model.ainvoke(ASK, config={"callbacks": [recorder], "metadata": CONFIG_METADATA})
    (record,) = recorder.records
    assert forwarded == [record]
    assert (record.provider, record.model, record.agent) == ("openai", "test-model", "explorer")
    assert (record.prompt_name, record.prompt_version) == ("explore", "1")
    assert (record.prompt_tokens, record.completion_tokens, record.tokens_estimated) == (11, 3, False)
    assert (record.attempts, record.retries) == (2, 1)
    assert record.cost_usd == pytest.approx((11 * 2.0 + 3 * 10.0) / 1000)
    assert record.constraint == "none" and record.finish_reason == "stop" and record.error is None
    assert 0 < record.latency_s < 5


async def test_failed_call_is_recorded_with_its_error_type(fault_server: FaultServer) -> None:
    recorder = UsageRecorder()
    with pytest.raises(ProviderUnavailable):
        await create_chat_model(openai_spec(fault_server, "always500")).ainvoke(
            ASK, config={"callbacks": [recorder], "metadata": CONFIG_METADATA})
    (record,) = recorder.records
    assert record.error == "ProviderUnavailable" and record.attempts == 3 and record.retries == 2
    assert record.completion_tokens == 0 and record.cost_usd == 0


async def test_provider_qualified_price_wins_over_model_name(fault_server: FaultServer) -> None:
    recorder = UsageRecorder(prices={"openai:test-model": Price(prompt_per_1k=1.0), "test-model": Price()})
    await create_chat_model(openai_spec(fault_server, "ok")).ainvoke(ASK, config={"callbacks": [recorder]})
    assert recorder.records[0].cost_usd == pytest.approx(11 / 1000)
    assert recorder.records[0].prompt_name is None and recorder.records[0].agent is None


async def test_any_langchain_model_is_recorded_with_counted_tokens() -> None:
    model = create_chat_model({"provider": "langchain_core.language_models.fake_chat_models:FakeListChatModel",
                               "responses": ["MB3K3 everywhere"]})
    assert isinstance(model, FakeListChatModel)
    recorder = UsageRecorder()
    await model.ainvoke(ASK, config={"callbacks": [recorder], "metadata": {"prompt": "refine@2", "agent": "refiner"}})
    (record,) = recorder.records
    assert record.tokens_estimated and record.completion_tokens == 4 and record.prompt_tokens == 6
    assert (record.prompt_name, record.prompt_version, record.agent) == ("refine", "2", "refiner")


def test_prompt_ids_split_on_the_last_at() -> None:
    assert split_prompt_id("explore@1") == ("explore", "1")
    assert split_prompt_id("a@b@3") == ("a@b", "3")
    assert split_prompt_id("plain") == ("plain", None)
    assert split_prompt_id(None) == (None, None)
