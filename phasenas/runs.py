"""The public API: run a PhaseNAS search, resume a killed one, replay a recorded one, read a run's result.

A run lives in `<runs_dir>/<run_id>/`: `config.json` (the snapshot that resume and replay start from),
`run.sqlite` (the append-only run store), `checkpoints.sqlite` (LangGraph's checkpoints, one per step)
and `score-cache/` (unless `scoring.cache_dir` points elsewhere).
"""

from __future__ import annotations

import asyncio
import fcntl
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import structlog
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from phasenas.agents.pipeline import ScoringPipeline
from phasenas.config import AgentSettings, SearchConfig
from phasenas.errors import UsageError
from phasenas.graph.build import build_graph
from phasenas.graph.context import SearchContext
from phasenas.graph.routing import RoutingPolicy
from phasenas.graph.state import PoolEntry, SearchState, Usage, initial_state
from phasenas.llm import close_shared_session
from phasenas.llm.constraints import OutputConstraint
from phasenas.llm.registry import create_chat_model
from phasenas.llm.replay import RUN_STORE_FILE, ReplayChatModel
from phasenas.prompts import load_prompt
from phasenas.scoring import ScoreSettings, ScoringQueue
from phasenas.space import Space, get_space
from phasenas.store import RunStore

log = structlog.get_logger(__name__)

CONFIG_FILE = "config.json"
CHECKPOINT_FILE = "checkpoints.sqlite"
LOCK_FILE = ".lock"
SCORE_CACHE_DIR = "score-cache"
_RECURSION_LIMIT = 1_000_000  # steps are bounded by the budgets, not by LangGraph's default of 25


class RunNotFound(UsageError):
    """No run directory (or no config snapshot in it) for this run id."""


class RunExists(UsageError):
    """A new search was asked to use the id of an existing run."""


class RunBusy(UsageError):
    """Another process is running this run right now (two writers would corrupt its history)."""


@contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """Hold the run's lock; the OS releases it when the holder dies, so a SIGKILLed run can be resumed."""
    with (directory / LOCK_FILE).open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunBusy(f"run {directory.name!r} is being run by another process") from None
        yield


@dataclass(frozen=True)
class SearchResult:
    """Where a run ended (or stands): best architecture, pool, phase switch, why it stopped, what it used."""

    run_id: str
    run_dir: Path
    finished: bool
    best: str | None
    best_score: float | None
    pool: list[PoolEntry]
    phase: str
    switched_at_step: int | None
    stop_reason: str | None
    steps: int
    usage: Usage
    rerank: dict[str, Any] | None = None  # the proxy-mismatch guard's picks, when it ran

    @classmethod
    def from_state(cls, run_id: str, run_dir: Path, state: SearchState) -> SearchResult:
        return cls(run_id=run_id, run_dir=run_dir, finished=state["stop_reason"] is not None, best=state["best"],
                   best_score=state["best_score"], pool=list(state["pool"]), phase=state["phase"],
                   switched_at_step=state["switched_at_step"], stop_reason=state["stop_reason"],
                   steps=state["step"], usage=dict(state["usage"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ReplayReport:
    """A replay next to its original: whether evaluations and best architecture came out the same."""

    original: SearchResult
    replayed: SearchResult
    differences: list[str]

    @property
    def matched(self) -> bool:
        return not self.differences


def new_run_id() -> str:
    """Sortable by start time, unique enough for concurrent runs on one machine."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


def run_dir(run_id: str, runs_dir: Path | str = "runs") -> Path:
    return Path(runs_dir) / run_id


def load_config(run_id: str, runs_dir: Path | str = "runs") -> SearchConfig:
    """The config snapshot of a run."""
    path = run_dir(run_id, runs_dir) / CONFIG_FILE
    if not path.is_file():
        raise RunNotFound(f"no run {run_id!r} in {runs_dir} (missing {path})")
    return SearchConfig.from_snapshot(path.read_bytes())


def model_spec(settings: AgentSettings) -> dict[str, Any]:
    """The agent's model as a provider spec (a bare provider name becomes ``{"provider": name}``)."""
    return {"provider": settings.model} if isinstance(settings.model, str) else dict(settings.model)


def chat_model(settings: AgentSettings) -> BaseChatModel:
    """The agent's chat model: its spec, with the agent's temperature and token limit (replay has neither)."""
    spec = model_spec(settings)
    if spec.get("provider") == "replay":
        return ReplayChatModel(**{k: v for k, v in spec.items() if k != "provider"})
    return create_chat_model({**spec, "temperature": settings.temperature, "max_tokens": settings.max_tokens})


def output_constraint(space: Space, kind: str) -> OutputConstraint | None:
    """What the agents' answers are held to: a grammar (with the JSON schema as second choice), JSON, or nothing."""
    if kind == "grammar":
        return OutputConstraint(grammar=space.gbnf(), json_schema=space.json_schema(), name="architecture")
    if kind == "json":
        return OutputConstraint(json_schema=space.json_schema(), name="architecture")
    return None


async def asearch(config: SearchConfig) -> SearchResult:
    """Run a new search to its end (a stop threshold or a budget)."""
    run_id = config.run_id or new_run_id()
    directory = run_dir(run_id, config.runs_dir)
    if (directory / CONFIG_FILE).exists():
        raise RunExists(f"run {run_id!r} already exists in {config.runs_dir}; resume it or choose another id")
    directory.mkdir(parents=True, exist_ok=True)
    config = config.model_copy(update={"run_id": run_id})
    (directory / CONFIG_FILE).write_bytes(config.snapshot())
    log.info("search.started", run_id=run_id, run_dir=str(directory), space=config.space)
    return await _execute(config, directory)


async def aresume(run_id: str, runs_dir: Path | str = "runs") -> SearchResult:
    """Continue a run from its last checkpoint (after a crash, SIGKILL or Ctrl-C); a finished run is returned as is."""
    config = load_config(run_id, runs_dir).model_copy(update={"runs_dir": Path(runs_dir)})
    log.info("search.resumed", run_id=run_id)
    return await _execute(config, run_dir(run_id, runs_dir))


async def aload_result(run_id: str, runs_dir: Path | str = "runs") -> SearchResult:
    """The result of a run as its last checkpoint has it (finished or not), without running anything."""
    directory = run_dir(run_id, runs_dir)
    load_config(run_id, runs_dir)
    async with AsyncSqliteSaver.from_conn_string(str(directory / CHECKPOINT_FILE)) as saver:
        saved = await saver.aget_tuple({"configurable": {"thread_id": run_id}})
    if saved is None:
        raise RunNotFound(f"run {run_id!r} has no checkpoint yet")
    return SearchResult.from_state(run_id, directory, saved.checkpoint["channel_values"])  # type: ignore[arg-type]


async def areplay(run_id: str, runs_dir: Path | str = "runs", replay_id: str | None = None) -> ReplayReport:
    """Re-execute a run from its recorded LLM answers (no LLM) in a new run, and compare the two."""
    source = run_dir(run_id, runs_dir)
    config = load_config(run_id, runs_dir)
    original = await aload_result(run_id, runs_dir)

    def replaying(agent: str, settings: AgentSettings) -> AgentSettings:
        return settings.model_copy(update={"model": {"provider": "replay", "run_dir": str(source), "agent": agent}})

    replay_config = config.model_copy(update={
        "run_id": replay_id or f"{run_id}-replay-{secrets.token_hex(2)}",
        "runs_dir": Path(runs_dir),
        "explorer": replaying("explorer", config.explorer),
        "refiner": replaying("refiner", config.refiner),
        "scoring": config.scoring.model_copy(update={"cache_dir": _cache_dir(config, source)}),
    })
    replayed = await asearch(replay_config)
    return ReplayReport(original=original, replayed=replayed, differences=_differences(original, replayed))


def search(config: SearchConfig) -> SearchResult:
    """Blocking form of `asearch` (for scripts and notebooks without a running event loop)."""
    return asyncio.run(asearch(config))


def resume(run_id: str, runs_dir: Path | str = "runs") -> SearchResult:
    """Blocking form of `aresume`."""
    return asyncio.run(aresume(run_id, runs_dir))


def replay(run_id: str, runs_dir: Path | str = "runs", replay_id: str | None = None) -> ReplayReport:
    """Blocking form of `areplay`."""
    return asyncio.run(areplay(run_id, runs_dir, replay_id))


def load_result(run_id: str, runs_dir: Path | str = "runs") -> SearchResult:
    """Blocking form of `aload_result`."""
    return asyncio.run(aload_result(run_id, runs_dir))


def _cache_dir(config: SearchConfig, directory: Path) -> Path:
    return config.scoring.cache_dir or directory / SCORE_CACHE_DIR


def _score_settings(config: SearchConfig) -> ScoreSettings:
    if config.scoring.batch_size is None:
        return ScoreSettings()
    return ScoreSettings(batch_size=config.scoring.batch_size)


def _evaluations(directory: Path) -> list[tuple[int, str, float | None]]:
    with RunStore(directory / RUN_STORE_FILE) as store:
        return sorted((e.step, e.canonical, e.score) for e in store.evaluations())


def _differences(original: SearchResult, replayed: SearchResult) -> list[str]:
    found = []
    if _evaluations(original.run_dir) != _evaluations(replayed.run_dir):
        found.append("evaluations differ")
    for name in ("best", "best_score", "stop_reason", "switched_at_step"):
        if getattr(original, name) != getattr(replayed, name):
            found.append(f"{name}: {getattr(original, name)!r} != {getattr(replayed, name)!r}")
    return found


async def _execute(config: SearchConfig, directory: Path) -> SearchResult:
    with _exclusive(directory):
        result = await _run_graph(config, directory)
        if config.rerank.enabled and result.finished and result.pool:
            result = await _rerank_guard(config, result)
        return result


async def _rerank_guard(config: SearchConfig, result: SearchResult) -> SearchResult:
    """Proxy-mismatch guard: short-train the top-K and let validation accuracy pick the winner (once per run)."""
    with RunStore(result.run_dir / RUN_STORE_FILE) as store:
        done = next((e.data for e in store.events() if e.kind == "rerank.done"), None)
        if done is None:
            from phasenas.train.rerank import rerank_pool  # training stack only when the guard is on

            outcome = await asyncio.to_thread(rerank_pool, config.rerank, get_space(config.space), result.pool,
                                              result.run_dir / RUN_STORE_FILE)
            done = outcome.to_dict()
            store.record_event("rerank.done", step=result.steps, **done)
    winner = str(done["winner"])
    score = next((p["proxy_score"] for p in done["picks"] if p["canonical"] == winner), result.best_score)
    log.info("search.reranked", run_id=result.run_id, winner=winner, changed=done["changed"])
    return replace(result, best=winner, best_score=score, rerank=done)


async def _run_graph(config: SearchConfig, directory: Path) -> SearchResult:
    """Build everything the nodes need from the config, then run (or continue) the graph to its end."""
    assert config.run_id is not None
    space = get_space(config.space)
    models = {"explorer": chat_model(config.explorer), "refiner": chat_model(config.refiner)}
    prompts = {
        "explorer": load_prompt("explorer", config.explorer.prompt, space=config.space, user_dir=config.prompt_dir),
        "refiner": load_prompt("refiner", config.refiner.prompt, space=config.space, user_dir=config.prompt_dir),
        "repair": load_prompt("repair", config.repair_prompt, space=config.space, user_dir=config.prompt_dir),
    }
    policy = RoutingPolicy(budget=config.budget, thresholds=config.thresholds)
    run_config = {"configurable": {"thread_id": config.run_id}, "max_concurrency": config.max_concurrency,
                  "recursion_limit": _RECURSION_LIMIT}
    async with AsyncSqliteSaver.from_conn_string(str(directory / CHECKPOINT_FILE)) as saver:
        app = build_graph(policy).compile(checkpointer=saver)
        saved = await app.aget_state(run_config)
        if saved.values and not saved.next:
            log.info("search.already_finished", run_id=config.run_id)
            return SearchResult.from_state(config.run_id, directory, saved.values)  # type: ignore[arg-type]
        fresh = not saved.values
        with RunStore(directory / RUN_STORE_FILE) as store:
            async with ScoringQueue(space=config.space, proxy=config.scoring.proxy, backend=config.scoring.backend,
                                    workers=config.scoring.workers, cache_dir=_cache_dir(config, directory),
                                    settings=_score_settings(config)) as queue:
                pipeline = ScoringPipeline(queue, store, queue.proxy)
                context = SearchContext(config=config, space=space, store=store, models=models, prompts=prompts,
                                        pipeline=pipeline, constraint=output_constraint(space, config.constraint),
                                        policy=policy)
                store.record_event("run.started" if fresh else "run.resumed",
                                   step=None if fresh else saved.values["step"], proxy=queue.proxy)
                start = initial_state(config.thresholds.gamma_trans, config.thresholds.gamma_stop) if fresh else None
                try:
                    # sync: each step's checkpoint is committed before the next step starts; with the default
                    # (async) a SIGKILL mid-write can leave a latest checkpoint with no next node (seen once in CI)
                    state = await app.ainvoke(start, config=run_config, context=context, durability="sync")
                finally:
                    await pipeline.aclose()
                    await close_shared_session()  # this loop's pooled HTTP session (remote providers)
    log.info("search.finished", run_id=config.run_id, best=state["best"], best_score=state["best_score"],
             stop_reason=state["stop_reason"])
    return SearchResult.from_state(config.run_id, directory, state)
