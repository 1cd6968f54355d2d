"""What the HTTP providers send and read: messages, constraints by mode, usage, Anthropic's format."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from phasenas.llm import (
    AnthropicChatModel,
    ConstraintKind,
    OutputConstraint,
    applied_constraint,
    create_chat_model,
    supported_constraints,
)
from phasenas.llm.constraints import ConstraintKind as Kind
from tests.llm.fault_server import FaultServer, openai_spec

GRAMMAR = 'root ::= "A" | "B"'
SCHEMA = {"type": "object", "properties": {"architecture": {"type": "string"}}, "required": ["architecture"]}
BOTH = OutputConstraint(grammar=GRAMMAR, json_schema=SCHEMA, name="arch")
CHAT = [SystemMessage("be brief"), HumanMessage("hi"), AIMessage("hello"), HumanMessage("again")]


async def test_openai_sends_messages_settings_and_extra_fields(fault_server: FaultServer) -> None:
    spec = openai_spec(fault_server, "echo", temperature=0.3, max_tokens=42, extra_body={"seed": 7})
    answer = await create_chat_model(spec).ainvoke(CHAT, stop=["\n"])
    sent = fault_server.requests[-1]
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "user"]
    assert sent["model"] == "test-model" and sent["temperature"] == 0.3 and sent["max_tokens"] == 42
    assert sent["seed"] == 7 and sent["stop"] == ["\n"]
    assert "grammar" not in sent and "response_format" not in sent
    assert answer.content == "again"
    assert answer.usage_metadata == {"input_tokens": 11, "output_tokens": 3, "total_tokens": 14}
    assert answer.response_metadata["tokens_estimated"] is False


@pytest.mark.parametrize(
    ("mode", "expected_kind", "check"),
    [
        ("gbnf", Kind.GBNF, lambda sent: sent["grammar"] == GRAMMAR),
        ("json_schema", Kind.JSON_SCHEMA, lambda sent: sent["response_format"] == {
            "type": "json_schema", "json_schema": {"name": "arch", "schema": SCHEMA, "strict": False}}),
        ("json_object", Kind.JSON_SCHEMA, lambda sent: sent["response_format"] == {
            "type": "json_object", "schema": SCHEMA}),
        ("none", Kind.NONE, lambda sent: "grammar" not in sent and "response_format" not in sent),
    ],
)
async def test_openai_applies_the_constraint_its_mode_supports(
    fault_server: FaultServer, mode: str, expected_kind: ConstraintKind, check: object
) -> None:
    model = create_chat_model(openai_spec(fault_server, "ok", constraint_mode=mode))
    assert applied_constraint(model, BOTH) is expected_kind
    answer = await model.ainvoke([HumanMessage("x")], constraint=BOTH)
    assert check(fault_server.requests[-1])  # type: ignore[operator]
    assert answer.response_metadata["constraint"] == expected_kind.value


async def test_constraint_without_the_supported_form_falls_back_to_plain_text(fault_server: FaultServer) -> None:
    model = create_chat_model(openai_spec(fault_server, "ok", constraint_mode="gbnf"))
    answer = await model.ainvoke([HumanMessage("x")], constraint=OutputConstraint(json_schema=SCHEMA))
    assert "grammar" not in fault_server.requests[-1]
    assert answer.response_metadata["constraint"] == "none"


async def test_unknown_invoke_argument_is_rejected(fault_server: FaultServer) -> None:
    with pytest.raises(TypeError, match="constraints"):
        await create_chat_model(openai_spec(fault_server, "ok")).ainvoke([HumanMessage("x")], constraints=BOTH)


async def test_missing_usage_is_estimated_and_flagged(fault_server: FaultServer) -> None:
    answer = await create_chat_model(openai_spec(fault_server, "nousage")).ainvoke([HumanMessage("12345678")])
    assert answer.usage_metadata["output_tokens"] == 3  # "twelve chars" at four characters per token
    assert answer.usage_metadata["input_tokens"] == 2
    assert answer.response_metadata["tokens_estimated"] is True


async def test_anthropic_messages_format(fault_server: FaultServer, api_key: str) -> None:
    model = create_chat_model({
        "provider": "anthropic", "base_url": f"{fault_server.base}/anthropic", "model": "claude-test",
        "api_key_env": "PHASENAS_TEST_KEY", "max_tokens": 64,
    })
    assert isinstance(model, AnthropicChatModel) and supported_constraints(model) == ()
    answer = await model.ainvoke(CHAT, constraint=BOTH, stop=["END"])
    sent = fault_server.requests[-1]
    assert sent["system"] == "be brief"
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["max_tokens"] == 64 and sent["stop_sequences"] == ["END"]
    assert fault_server.auth_headers[-1] == api_key  # x-api-key
    assert answer.content == "claude says hi"
    assert answer.usage_metadata == {"input_tokens": 7, "output_tokens": 4, "total_tokens": 11}
    assert answer.response_metadata["constraint"] == "none"


async def test_unset_key_variable_sends_no_auth_header(fault_server: FaultServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHASENAS_TEST_KEY", raising=False)
    await create_chat_model(openai_spec(fault_server, "ok")).ainvoke([HumanMessage("x")])
    assert fault_server.auth_headers[-1] == ""


async def test_key_is_sent_as_bearer(fault_server: FaultServer, api_key: str) -> None:
    await create_chat_model(openai_spec(fault_server, "ok")).ainvoke([HumanMessage("x")])
    assert fault_server.auth_headers[-1] == f"Bearer {api_key}"
