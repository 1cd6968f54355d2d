"""``phasenas search``, ``resume``, ``replay`` and ``config``: commands that run (or configure) the graph."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import orjson
import typer

from phasenas.cli import app
from phasenas.cli.common import echo_json
from phasenas.cli.errors import reported_errors

if TYPE_CHECKING:  # the heavy modules (torch, langgraph) load inside the commands, so `--help` stays fast
    from phasenas.config import SearchConfig
    from phasenas.runs import SearchResult

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file (see phasenas.example.toml).",
                                                   dir_okay=False)]
RunsDirOption = Annotated[Path, typer.Option("--runs-dir", help="Where runs live (one folder per run id).")]
T = TypeVar("T")


def _model_spec(value: str | None) -> Any:
    """A provider name, 'module:Class', or a JSON object spec."""
    if value is None or not value.lstrip().startswith("{"):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise typer.BadParameter(f"not a JSON object: {exc}") from None


async def _with_progress(work: Awaitable[T], config: SearchConfig, run_id: str, runs_dir: Path, quiet: bool) -> T:
    """Await the search while a live view reads its run store."""
    from rich.console import Console

    from phasenas.progress import watch
    from phasenas.runs import RUN_STORE_FILE, run_dir

    if quiet:
        return await work
    console = Console(stderr=False)
    viewer = asyncio.create_task(watch(run_dir(run_id, runs_dir) / RUN_STORE_FILE, config, run_id, console))
    try:
        return await work
    finally:
        viewer.cancel()
        await asyncio.gather(viewer, return_exceptions=True)


def _print_result(result: SearchResult, space_name: str, json: bool) -> None:
    from phasenas.space import get_space
    from phasenas.space.macro import BenchmarkTable, TableError

    data: dict[str, Any] = {"run_id": result.run_id, "best": result.best, "score": result.best_score,
                            "phase": result.phase, "switched_at_step": result.switched_at_step,
                            "stop_reason": result.stop_reason, "evaluations": result.usage["evaluations"]}
    if space_name == "macro" and result.best:
        try:
            table = BenchmarkTable.load()
            arch = get_space("macro").parse(result.best)
            data["accuracy"], data["rank"] = table.accuracy(arch), table.rank(arch)
        except TableError:
            pass  # no table configured: the benchmark columns are simply absent
    if json:
        echo_json(data)
        return
    typer.echo(f"run {result.run_id} finished ({result.stop_reason}); phase switch at step "
               f"{result.switched_at_step if result.switched_at_step is not None else '-'}")
    typer.echo(f"best   {result.best}\nscore  {result.best_score}")
    if "accuracy" in data:
        typer.echo(f"NAS-Bench-Macro accuracy {data['accuracy']:.2f}% (rank {data['rank']} of 6561)")


@app.command()
def search(
    config: ConfigOption = None,
    space: Annotated[str | None, typer.Option("--space", help="Search space: macro, zen-cifar, ...")] = None,
    budget_evals: Annotated[int | None, typer.Option("--budget-evals", min=1, help="Scored architectures.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the run.")] = None,
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir", help="Where runs live.")] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="Name the run (default: time-based).")] = None,
    explorer: Annotated[str | None, typer.Option("--explorer", help="Explorer model: provider name, "
                                                 "'module:Class', or a JSON spec.")] = None,
    refiner: Annotated[str | None, typer.Option("--refiner", help="Refiner model (same forms).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No live progress view.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
) -> None:
    """Run a search. With no config: NAS-Bench-Macro on the embedded local models."""
    from phasenas import logs
    from phasenas.config_file import load_search_config
    from phasenas.runs import asearch, new_run_id, run_dir

    with reported_errors():
        settings = load_search_config(config, {
            "space": space, "budget.evaluations": budget_evals, "seed": seed, "runs_dir": runs_dir,
            "run_id": run_id or None, "explorer.model": _model_spec(explorer), "refiner.model": _model_spec(refiner)})
        settings = settings.model_copy(update={"run_id": settings.run_id or new_run_id()})
        assert settings.run_id is not None
        logs.configure(run_dir(settings.run_id, settings.runs_dir) / "events.jsonl")
        typer.echo(f"run {settings.run_id} in {run_dir(settings.run_id, settings.runs_dir)}", err=json)
        result = asyncio.run(_with_progress(asearch(settings), settings, settings.run_id, settings.runs_dir, quiet))
        _print_result(result, settings.space, json)


@app.command()
def resume(
    run: Annotated[str, typer.Argument(help="Run id.")],
    runs_dir: RunsDirOption = Path("runs"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Continue a run that was interrupted (Ctrl-C, kill, crash) from its last checkpoint."""
    from phasenas import logs
    from phasenas.runs import aresume, load_config, run_dir

    with reported_errors():
        settings = load_config(run, runs_dir)
        logs.configure(run_dir(run, runs_dir) / "events.jsonl")
        result = asyncio.run(_with_progress(aresume(run, runs_dir), settings, run, runs_dir, quiet))
        _print_result(result, settings.space, json)


@app.command()
def replay(
    run: Annotated[str, typer.Argument(help="Run id to re-execute from its recorded LLM answers.")],
    runs_dir: RunsDirOption = Path("runs"),
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-execute a run without any LLM; exit 0 when it reproduced the same evaluations and result, else 1."""
    from phasenas.runs import areplay, load_config

    with reported_errors():
        load_config(run, runs_dir)
        report = asyncio.run(areplay(run, runs_dir))
        if json:
            echo_json({"run_id": run, "replay_id": report.replayed.run_id, "matched": report.matched,
                       "differences": report.differences, "best": report.replayed.best})
        else:
            verdict = "matched" if report.matched else "DIFFERED: " + "; ".join(report.differences)
            typer.echo(f"replay {report.replayed.run_id} of {run}: {verdict}")
        raise typer.Exit(0 if report.matched else 1)


@app.command("config")
def show_config(
    config: ConfigOption = None,
    show: Annotated[bool, typer.Option("--show", help="Print the effective config (file + environment).")] = True,
) -> None:
    """Validate a config file and print the effective configuration as JSON."""
    from phasenas.config_file import load_search_config

    with reported_errors():
        settings = load_search_config(config)
        if show:
            typer.echo(orjson.dumps(settings.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode())
