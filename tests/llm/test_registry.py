"""Provider names, import paths and entry points all become chat models through one function."""

from __future__ import annotations

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from phasenas.llm import (
    ConfigError,
    LocalChatModel,
    OpenAIChatModel,
    create_chat_model,
    default_models,
    list_providers,
    register_provider,
)
from phasenas.llm.registry import _PROVIDERS


def test_builtin_providers_are_registered() -> None:
    assert {"openai", "anthropic", "local", "replay"} <= set(list_providers())
    assert list_providers("open*") == ["openai"]


def test_spec_settings_reach_the_model_and_fallback_is_built_recursively() -> None:
    model = create_chat_model({
        "provider": "openai", "model": "gpt-x", "base_url": "http://h/v1", "temperature": 0.1,
        "retry": {"max_attempts": 7}, "limits": {"max_concurrency": 2, "requests_per_minute": 30},
        "fallback": {"provider": "local", "model": "smollm2-135m-instruct"},
    })
    assert isinstance(model, OpenAIChatModel)
    assert (model.model, model.base_url, model.temperature) == ("gpt-x", "http://h/v1", 0.1)
    assert model.retry.max_attempts == 7 and model.limits.requests_per_minute == 30
    assert isinstance(model.fallback, LocalChatModel)


def test_import_path_builds_any_langchain_chat_model() -> None:
    spec = {"provider": "langchain_core.language_models.fake_chat_models:FakeListChatModel", "responses": ["x"]}
    assert isinstance(create_chat_model(spec), FakeListChatModel)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nonexistent", "unknown provider 'nonexistent'"),
        ("no_such_module_xyz:Model", "cannot import 'no_such_module_xyz'"),
        ("langchain_core.messages:NoSuchClass", "has no attribute 'NoSuchClass'"),
        ("langchain_core.messages:HumanMessage", "invalid settings"),
        ({"model": "m"}, "needs a 'provider'"),
        ({"provider": "openai", "model": "m", "temprature": 0.2}, "temprature: Extra inputs are not permitted"),
        ({"provider": "openai"}, "model: Field required"),
    ],
)
def test_bad_specs_raise_config_errors(spec: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_chat_model(spec)  # type: ignore[arg-type]


def test_builder_must_return_a_chat_model() -> None:
    with pytest.raises(ConfigError, match="not a LangChain BaseChatModel"):
        create_chat_model("collections:OrderedDict")


def test_registering_a_builder_function() -> None:
    @register_provider("test-canned")
    def canned(answer: str) -> BaseChatModel:
        return FakeListChatModel(responses=[answer])

    try:
        model = create_chat_model({"provider": "test-canned", "answer": "hello"})
        assert model.invoke("hi").content == "hello"
        with pytest.raises(ConfigError, match="already registered"):
            register_provider("test-canned")(lambda: None)
    finally:
        _PROVIDERS.pop("test-canned")


def test_default_models_are_local_and_build() -> None:
    defaults = default_models()
    assert set(defaults) == {"explorer", "refiner"}
    explorer, refiner = (create_chat_model(defaults[k]) for k in ("explorer", "refiner"))
    assert isinstance(explorer, LocalChatModel) and isinstance(refiner, LocalChatModel)
    assert explorer.model == "smollm2-135m-instruct" and refiner.model == "qwen2.5-coder-1.5b-instruct"
    assert explorer.n_threads == 1 and explorer.limits.max_concurrency == 1
