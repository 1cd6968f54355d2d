"""The openai provider against a real llama.cpp OpenAI-compatible server serving the packaged small model."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import orjson
import pytest
from langchain_core.messages import HumanMessage

from phasenas.llm import OutputConstraint, create_chat_model, resolve_model_path
from phasenas.space import get_space
from tests.llm.arch_prompts import proposal_messages

pytestmark = pytest.mark.llm
STARTUP_TIMEOUT_S = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=1.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` on a free port; yields its /v1 base URL and always stops it."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_model_path("smollm2-135m-instruct")),
        "--host", "127.0.0.1", "--port", str(port), "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", "4096",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    with log_path.open("wb") as log:  # a file, not a pipe: llama.cpp logs ~200 KB while loading
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _ready(base_url):
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited early: {log_path.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server not ready after {STARTUP_TIMEOUT_S:g}s")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _spec(base_url: str, **settings: object) -> dict[str, object]:
    return {"provider": "openai", "base_url": base_url, "model": "smollm2", "api_key_env": None,
            "constraint_mode": "gbnf", "max_tokens": 384, "timeout_s": 120.0, **settings}


async def test_plain_chat(llama_server: str) -> None:
    answer = await create_chat_model(_spec(llama_server, max_tokens=16)).ainvoke([HumanMessage("Name a colour.")])
    assert isinstance(answer.content, str) and answer.content.strip()
    assert answer.usage_metadata is not None and 0 < answer.usage_metadata["output_tokens"] <= 16
    assert answer.response_metadata["tokens_estimated"] is False


async def test_grammar_field_constrains_the_server(llama_server: str) -> None:
    space = get_space("macro")  # the in-process tests cover zen-cifar's grammar too
    answer = await create_chat_model(_spec(llama_server, temperature=0.9)).ainvoke(
        proposal_messages("macro"), constraint=OutputConstraint(grammar=space.gbnf()))
    assert answer.response_metadata["constraint"] == "gbnf"
    assert space.validate(answer.content).valid, answer.content


async def test_json_object_schema_mode(llama_server: str) -> None:
    space = get_space("macro")
    model = create_chat_model(_spec(llama_server, constraint_mode="json_object", max_tokens=400))
    constraint = OutputConstraint(json_schema=space.json_schema())
    answer = await model.ainvoke(proposal_messages("macro"), constraint=constraint)
    assert space.validate(orjson.loads(answer.content)["architecture"]).valid


async def test_concurrent_requests_are_queued_and_all_answered(llama_server: str) -> None:
    model = create_chat_model(_spec(llama_server, max_tokens=12))
    answers = await asyncio.gather(*(model.ainvoke([HumanMessage(f"Say the number {i}.")]) for i in range(3)))
    assert all(isinstance(a.content, str) and a.content for a in answers)
    assert all(a.response_metadata["attempts"] == 1 for a in answers)
