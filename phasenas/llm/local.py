"""An in-process llama.cpp model (llama-cpp-python), so the default search needs no server and no network.

Generation runs in a worker thread to keep the event loop responsive. One `Llama` instance per
(file, context, threads, GPU layers, chat format) is shared by every model object in the process and used
by one call at a time (llama.cpp contexts are not thread-safe). Cancelling a call stops its generation at
the next token.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from pathlib import Path
from typing import Any

import orjson
from langchain_core.messages import BaseMessage
from pydantic import Field

from phasenas.llm.base import Completion, PhaseChatModel, chat_role, message_text
from phasenas.llm.constraints import ConstraintKind, OutputConstraint
from phasenas.llm.errors import BadResponse, ConfigError, ModelNotInstalled
from phasenas.llm.packaged import resolve_model_path
from phasenas.llm.registry import register_provider
from phasenas.llm.resilience import Limits

_INSTALL_HINT = 'pip install "phasenas[local]"  (builds llama-cpp-python)'
_instances: dict[tuple[Any, ...], _SharedLlama] = {}
_instances_lock = threading.Lock()


class _Cancelled(Exception):
    """A generation stopped because its caller went away."""


class _SharedLlama:
    """One loaded model, used by one call at a time, whose running decode can be aborted.

    llama.cpp checks an abort callback during every decode; ours reads the running call's cancel flag,
    so a cancelled call stops within one token instead of generating up to max_tokens.
    """

    def __init__(self, llama: Any, llama_cpp: Any) -> None:
        self.llama = llama
        self.lock = threading.Lock()
        self.cancel = threading.Event()
        self._abort = llama_cpp.ggml_abort_callback(lambda _data: self.cancel.is_set())  # kept alive here
        llama_cpp.llama_set_abort_callback(llama._ctx.ctx, self._abort, None)

    def generate(self, cancel: threading.Event, **request: Any) -> dict[str, Any]:
        with self.lock:
            if cancel.is_set():
                raise _Cancelled
            self.cancel = cancel
            try:
                return self.llama.create_chat_completion(**request)
            except RuntimeError:
                if cancel.is_set():  # llama_decode reports the abort as a failed decode
                    raise _Cancelled from None
                raise
            finally:
                self.cancel = threading.Event()


def _llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise ModelNotInstalled(
            f"the local provider needs llama-cpp-python; install it with: {_INSTALL_HINT}"
        ) from None
    return llama_cpp


def _consume_outcome(work: asyncio.Future[Any]) -> None:
    """Mark an abandoned generation's outcome as seen (it ends in _Cancelled, which nobody awaits)."""
    if not work.cancelled():
        work.exception()


@functools.lru_cache(maxsize=16)
def _grammar(gbnf: str | None = None, schema_json: str | None = None) -> Any:
    """A parsed llama.cpp grammar, reused across calls (a space's grammar is parsed once, used thousands of times)."""
    grammar_cls = _llama_cpp().LlamaGrammar
    try:
        if schema_json is not None:
            return grammar_cls.from_json_schema(schema_json, verbose=False)
        return grammar_cls.from_string(gbnf, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise ConfigError(f"llama.cpp cannot use this constraint: {exc}") from None


@register_provider("local")
class LocalChatModel(PhaseChatModel):
    """A GGUF model run in this process; `model` is a packaged model name or a path to a .gguf file."""

    provider = "local"

    model_dir: str | None = None  # where multi-part packaged models are assembled (default $PHASENAS_MODEL_DIR)
    n_ctx: int = Field(default=4096, ge=256)
    n_threads: int = Field(default=1, ge=1)  # more threads stall llama.cpp on small, shared machines
    n_gpu_layers: int | None = None  # None: all layers on the GPU when llama.cpp was built with GPU support
    chat_format: str | None = None  # None: the template stored in the GGUF file
    seed: int | None = None
    limits: Limits = Field(default_factory=lambda: Limits(max_concurrency=1))

    @property
    def constraint_kinds(self) -> tuple[ConstraintKind, ...]:
        return (ConstraintKind.GBNF, ConstraintKind.JSON_SCHEMA)

    def _endpoint(self) -> str:
        return f"{self.model}@{self.n_threads}t"

    def _instance(self) -> _SharedLlama:
        """The shared model for this object's settings, loaded on first use (blocking: call from a thread)."""
        path = resolve_model_path(self.model, self.model_dir)
        llama_cpp = _llama_cpp()
        gpu_layers = self.n_gpu_layers
        if gpu_layers is None:
            gpu_layers = -1 if llama_cpp.llama_supports_gpu_offload() else 0
        key = (str(Path(path).resolve()), self.n_ctx, self.n_threads, gpu_layers, self.chat_format)
        with _instances_lock:
            if key not in _instances:
                try:
                    llama = llama_cpp.Llama(
                        model_path=str(path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                        n_threads_batch=self.n_threads, n_gpu_layers=gpu_layers, chat_format=self.chat_format,
                        verbose=False,
                    )
                except ValueError as exc:  # llama-cpp-python's "Failed to load model from file"
                    raise ConfigError(
                        f"llama.cpp cannot load {path}: {exc}", provider="local", model=self.model
                    ) from None
                _instances[key] = _SharedLlama(llama, llama_cpp)
            return _instances[key]

    def _generate_blocking(
        self, messages: list[dict[str, str]], stop: list[str] | None, grammar: Any, cancel: threading.Event
    ) -> dict[str, Any]:
        return self._instance().generate(
            cancel, messages=messages, temperature=self.temperature, max_tokens=self.max_tokens, stop=stop or [],
            seed=self.seed, grammar=grammar,
        )

    async def _complete(
        self, messages: list[BaseMessage], stop: list[str] | None, kind: ConstraintKind,
        constraint: OutputConstraint | None,
    ) -> Completion:
        grammar = None
        if constraint is not None and kind is ConstraintKind.GBNF:
            grammar = _grammar(gbnf=constraint.grammar)
        elif constraint is not None and kind is ConstraintKind.JSON_SCHEMA:
            grammar = _grammar(schema_json=orjson.dumps(constraint.json_schema).decode())
        wire = [{"role": chat_role(m), "content": message_text(m)} for m in messages]
        cancel = threading.Event()
        work = asyncio.ensure_future(asyncio.to_thread(self._generate_blocking, wire, stop, grammar, cancel))
        try:
            data = await asyncio.shield(work)
        except asyncio.CancelledError:
            cancel.set()  # the running decode aborts and the model is free for the next caller
            work.add_done_callback(_consume_outcome)
            raise
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise BadResponse("llama.cpp returned no message", provider="local",
                              model=self.model) from None
        usage = data.get("usage") or {}
        return Completion(
            text=text, prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"),
            finish_reason=choice.get("finish_reason"),
        )
