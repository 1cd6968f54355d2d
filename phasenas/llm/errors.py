"""Typed provider errors, so callers decide on retry, fallback or abort by type instead of by message text."""

from __future__ import annotations


class LLMError(Exception):
    """Base of every error raised by the provider layer."""

    retryable: bool = False

    def __init__(self, message: str, *, provider: str = "", model: str = "") -> None:
        where = " ".join(p for p in (provider, model) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.provider = provider
        self.model = model
        self.attempts = 1


class ConfigError(LLMError):
    """A provider spec or setting is wrong (unknown provider, bad import path, missing field)."""


class ModelNotInstalled(ConfigError):
    """A packaged local model is missing; the message holds the exact pip command that installs it."""


class AuthFailed(LLMError):
    """401/403: the key is missing, wrong or lacks access. Never retried."""


class RequestRejected(LLMError):
    """Any other 4xx: the request itself is wrong (bad model name, bad field). Never retried."""

    def __init__(self, message: str, *, status: int, provider: str = "", model: str = "") -> None:
        super().__init__(message, provider=provider, model=model)
        self.status = status


class RateLimited(LLMError):
    """429: the provider asked us to slow down, possibly saying for how long (Retry-After)."""

    retryable = True

    def __init__(
        self, message: str, *, retry_after_s: float | None = None, provider: str = "", model: str = ""
    ) -> None:
        super().__init__(message, provider=provider, model=model)
        self.retry_after_s = retry_after_s


class ProviderUnavailable(LLMError):
    """5xx or a connection failure: the server is down or overloaded; retried."""

    retryable = True

    def __init__(
        self, message: str, *, status: int | None = None, retry_after_s: float | None = None,
        provider: str = "", model: str = "",
    ) -> None:
        super().__init__(message, provider=provider, model=model)
        self.status = status
        self.retry_after_s = retry_after_s


class ProviderTimeout(LLMError):
    """No complete answer within the configured timeout; retried."""

    retryable = True


class BadResponse(LLMError):
    """The answer could not be read (malformed JSON, truncated body, missing fields); retried."""

    retryable = True
