"""The in-process llama.cpp provider on the packaged SmolLM2-135M: plain, constrained, shared, cancellable."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import pytest
from langchain_core.messages import HumanMessage

from phasenas.llm import (
    ConfigError,
    ConstraintKind,
    LocalChatModel,
    OutputConstraint,
    applied_constraint,
    create_chat_model,
    default_models,
)
from phasenas.space import get_space
from tests.llm.arch_prompts import proposal_messages

pytestmark = pytest.mark.llm
SMALL = {"provider": "local", "model": "smollm2-135m-instruct", "max_tokens": 160, "seed": 1}


async def test_plain_generation_reports_usage() -> None:
    answer = await create_chat_model({**SMALL, "max_tokens": 24}).ainvoke([HumanMessage("Name three colours.")])
    assert isinstance(answer.content, str) and answer.content.strip()
    usage = answer.usage_metadata
    assert usage is not None and usage["input_tokens"] > 5 and 0 < usage["output_tokens"] <= 24
    assert answer.response_metadata["constraint"] == "none"
    assert answer.response_metadata["tokens_estimated"] is False


@pytest.mark.parametrize("space_name", ["macro", "zen-cifar"])
async def test_grammar_constrained_answers_parse(space_name: str) -> None:
    space = get_space(space_name)
    model = create_chat_model({**SMALL, "max_tokens": 384, "temperature": 0.9})
    constraint = OutputConstraint(grammar=space.gbnf(), json_schema=space.json_schema())
    assert applied_constraint(model, constraint) is ConstraintKind.GBNF
    answer = await model.ainvoke(proposal_messages(space_name), constraint=constraint)
    assert answer.response_metadata["constraint"] == "gbnf"
    report = space.validate(answer.content)
    assert report.arch is not None, (answer.content, report.errors)  # parsed; zen may still mis-chain
    assert report.valid or space_name != "macro"  # the macro grammar admits valid networks only


async def test_json_schema_constraint_gives_the_schema_shape() -> None:
    space = get_space("macro")
    answer = await create_chat_model({**SMALL, "max_tokens": 400}).ainvoke(
        proposal_messages("macro"), constraint=OutputConstraint(json_schema=space.json_schema()))
    assert answer.response_metadata["constraint"] == "json_schema"
    data = orjson.loads(answer.content)
    assert set(data) == {"architecture"}
    assert space.validate(data["architecture"]).valid


async def test_model_objects_with_the_same_settings_share_one_llama() -> None:
    first, second = create_chat_model(SMALL), create_chat_model({**SMALL, "temperature": 0.1})
    assert isinstance(first, LocalChatModel) and isinstance(second, LocalChatModel)
    assert await asyncio.to_thread(first._instance) is await asyncio.to_thread(second._instance)


async def test_event_loop_stays_responsive_while_generating() -> None:
    model = create_chat_model({**SMALL, "max_tokens": 48})
    await model.ainvoke([HumanMessage("hi")])  # load the model outside the measurement
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await model.ainvoke([HumanMessage("Write a sentence about rivers.")])
    elapsed = time.perf_counter() - started
    ticker.cancel()
    assert ticks >= 0.25 * elapsed / 0.01  # the loop kept ticking (a blocked loop would not tick at all)


async def test_cancelled_generation_stops_and_frees_the_model() -> None:
    model = create_chat_model({**SMALL, "max_tokens": 3000, "temperature": 1.0})
    await create_chat_model({**SMALL, "max_tokens": 4}).ainvoke([HumanMessage("hi")])  # loads the shared model
    long_call = asyncio.create_task(model.ainvoke([HumanMessage("Count from 1 to 2000, one number per line.")]))
    await asyncio.sleep(0.5)
    long_call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await long_call
    shared = await asyncio.to_thread(model._instance)
    deadline = time.perf_counter() + 2.0
    while shared.lock.locked() and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
    assert not shared.lock.locked()  # the abandoned generation stopped within a token or two
    answer = await create_chat_model({**SMALL, "max_tokens": 8}).ainvoke([HumanMessage("Say yes.")])
    assert answer.usage_metadata is not None and 0 < answer.usage_metadata["output_tokens"] <= 8


def test_sync_invoke_works() -> None:
    answer = create_chat_model({**SMALL, "max_tokens": 8}).invoke([HumanMessage("Say yes.")])
    assert answer.usage_metadata is not None and answer.usage_metadata["output_tokens"] > 0


@pytest.mark.slow
async def test_default_refiner_proposes_a_valid_macro_network() -> None:
    refiner = create_chat_model({**default_models()["refiner"], "seed": 3})
    space = get_space("macro")
    answer = await refiner.ainvoke(proposal_messages("macro"), constraint=OutputConstraint(grammar=space.gbnf()))
    assert space.validate(answer.content).valid, answer.content


async def test_a_file_that_is_not_a_model_is_a_config_error(tmp_path: Path) -> None:
    fake = tmp_path / "not-a-model.gguf"
    fake.write_bytes(b"GGUF but not really")
    with pytest.raises(ConfigError, match="cannot load"):
        await create_chat_model({"provider": "local", "model": str(fake)}).ainvoke([HumanMessage("hi")])
