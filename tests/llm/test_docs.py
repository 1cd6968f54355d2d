"""The configuration snippets in docs/llm.md (merged into the README) are valid TOML that builds models."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel

from phasenas.llm import create_chat_model

DOC = Path(__file__).resolve().parents[2] / "docs" / "llm.md"
BLOCKS = [block.split("```")[0] for block in DOC.read_text().split("```toml")[1:]]


def test_the_doc_has_a_snippet_per_backend() -> None:
    providers = {agent["model"]["provider"] for b in BLOCKS for agent in tomllib.loads(b).values()}
    assert {"local", "openai", "anthropic", "langchain_ollama:ChatOllama"} <= providers


@pytest.mark.parametrize("block", BLOCKS)
def test_snippet_builds_a_chat_model(block: str) -> None:
    for agent in tomllib.loads(block).values():
        spec = agent["model"]
        if spec["provider"].startswith("langchain_ollama:"):
            continue  # an optional third-party package, not installed with phasenas
        assert isinstance(create_chat_model(spec), BaseChatModel)
