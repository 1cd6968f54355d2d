"""LLM providers: LangChain chat models with async paths, limits, retries, constrained output and accounting.

    from phasenas.llm import create_chat_model, default_models, OutputConstraint, UsageRecorder
    explorer = create_chat_model(default_models()["explorer"])
    answer = await explorer.ainvoke(messages, constraint=OutputConstraint(grammar=space.gbnf()),
                                    config={"callbacks": [recorder], "metadata": {"prompt": "explore@1"}})
"""

from phasenas.llm.accounting import CallRecord, Price, UsageRecorder
from phasenas.llm.anthropic import AnthropicChatModel
from phasenas.llm.base import PhaseChatModel
from phasenas.llm.constraints import ConstraintKind, OutputConstraint, applied_constraint, supported_constraints
from phasenas.llm.errors import (
    AuthFailed,
    BadResponse,
    ConfigError,
    LLMError,
    ModelNotInstalled,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)
from phasenas.llm.local import LocalChatModel
from phasenas.llm.openai import OpenAIChatModel
from phasenas.llm.packaged import PACKAGED_MODELS, default_models, resolve_model_path
from phasenas.llm.registry import ChatModelSpec, create_chat_model, list_providers, register_provider
from phasenas.llm.resilience import Limits, RetryPolicy
from phasenas.llm.transport import close_shared_session

__all__ = [
    "PACKAGED_MODELS",
    "AnthropicChatModel",
    "AuthFailed",
    "BadResponse",
    "CallRecord",
    "ChatModelSpec",
    "ConfigError",
    "ConstraintKind",
    "LLMError",
    "Limits",
    "LocalChatModel",
    "ModelNotInstalled",
    "OpenAIChatModel",
    "OutputConstraint",
    "PhaseChatModel",
    "Price",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "RequestRejected",
    "RetryPolicy",
    "UsageRecorder",
    "applied_constraint",
    "close_shared_session",
    "create_chat_model",
    "default_models",
    "list_providers",
    "register_provider",
    "resolve_model_path",
    "supported_constraints",
]
