"""API keys never reach logs, records, error messages, tracebacks (even with locals) or model dumps."""

from __future__ import annotations

import logging
import traceback

import orjson
import pytest
import structlog
from langchain_core.load import dumpd
from langchain_core.messages import HumanMessage

from phasenas.llm import AuthFailed, ConfigError, LLMError, UsageRecorder, create_chat_model
from tests.llm.fault_server import FaultServer, openai_spec

ASK = [HumanMessage("propose")]


def _everything_said(error: BaseException) -> str:
    """An error as every reader may see it: message, repr, and a traceback printing each frame's locals.

    The traceback starts below the test function, whose own locals hold the key on purpose.
    """
    assert error.__traceback__ is not None
    frames = traceback.TracebackException(type(error), error, error.__traceback__.tb_next, capture_locals=True)
    return "\n".join([str(error), repr(error), *frames.format()])


@pytest.mark.parametrize("scenario", ["unauthorized", "always500", "ratelimit", "malformed", "ok"])
async def test_key_never_leaks(
    fault_server: FaultServer, api_key: str, scenario: str, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    model = create_chat_model(openai_spec(fault_server, scenario))
    recorder = UsageRecorder()
    said = []
    with structlog.testing.capture_logs() as logs:
        try:
            answer = await model.ainvoke(ASK, config={"callbacks": [recorder], "metadata": {"agent": "explorer"}})
            said.append(orjson.dumps(answer.model_dump(), default=str).decode())
        except LLMError as error:
            said.append(_everything_said(error))
    assert fault_server.auth_headers[0] == f"Bearer {api_key}"  # the key was really in play
    said += [repr(logs), caplog.text, *capsys.readouterr()]
    said += [r.model_dump_json() for r in recorder.records]
    said += [repr(model), orjson.dumps(dumpd(model), default=str).decode(), repr(model._identifying_params)]
    assert recorder.records, "the call was recorded"
    for text in said:
        assert api_key not in text


async def test_echoed_key_is_redacted_from_the_auth_error(fault_server: FaultServer, api_key: str) -> None:
    with pytest.raises(AuthFailed) as caught:
        await create_chat_model(openai_spec(fault_server, "unauthorized")).ainvoke(ASK)
    assert 'invalid key ***"' in str(caught.value)  # the server's text is kept, the key is not


def test_key_given_as_a_setting_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        create_chat_model({"provider": "openai", "model": "m", "api_key": "sk-should-not-appear"})
    assert "api_key" in str(caught.value)
    assert "sk-should-not-appear" not in str(caught.value) + repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # pydantic's echo is dropped
