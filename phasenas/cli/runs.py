"""``phasenas runs``, ``trace``, ``report`` and ``export``: read what a run recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from phasenas.cli import app
from phasenas.cli.common import echo_json
from phasenas.cli.errors import reported_errors
from phasenas.cli.search import RunsDirOption
from phasenas.store import RunStore

RunArgument = Annotated[str, typer.Argument(help="Run id (see `phasenas runs`).")]


def _run_row(directory: Path) -> dict[str, object]:
    from phasenas.runs import RUN_STORE_FILE, load_config

    config = load_config(directory.name, directory.parent)
    with RunStore(directory / RUN_STORE_FILE) as store:
        evaluations, best, latest = store.evaluation_count(), store.best(), store.latest()
        started, finished = store.first_event("run.started"), store.first_event("run.finished")
    return {"id": directory.name, "space": config.space, "status": "finished" if finished else "unfinished",
            "phase": latest.phase if latest else "explore", "evaluations": evaluations,
            "best_score": best.score if best else None, "best": best.canonical if best else None,
            "started": started.at if started else None}


@app.command()
def runs(runs_dir: RunsDirOption = Path("runs"), json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the runs in a runs directory: id, space, status, phase, evaluations, best, started."""
    import datetime as dt

    from rich.console import Console
    from rich.table import Table

    from phasenas.runs import CONFIG_FILE

    with reported_errors():
        rows = [_run_row(d) for d in sorted(runs_dir.glob("*")) if (d / CONFIG_FILE).is_file()]
        if json:
            echo_json(rows)
            return
        table = Table("id", "space", "status", "phase", "evals", "best score", "started")
        for r in rows:
            started = dt.datetime.fromtimestamp(r["started"]).strftime("%Y-%m-%d %H:%M") if r["started"] else "-"
            score = "-" if r["best_score"] is None else f"{r['best_score']:.5g}"
            table.add_row(str(r["id"]), str(r["space"]), str(r["status"]), str(r["phase"]), str(r["evaluations"]),
                          score, started)
        Console().print(table)


@app.command()
def trace(
    run: RunArgument,
    runs_dir: RunsDirOption = Path("runs"),
    node: Annotated[str | None, typer.Option("--node", help="Only this node (explorer, refiner, validator, "
                                                             "scorer, finish).")] = None,
    phase: Annotated[str | None, typer.Option("--phase", help="Only this phase (explore, refine).")] = None,
    show: Annotated[int | None, typer.Option("--show", help="Print the LLM exchanges of this step.")] = None,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The timeline of a run: every node with phase, models, prompts, latency, tokens, verdicts and scores."""
    from rich.console import Console
    from rich.table import Table

    from phasenas.runs import load_config, run_dir
    from phasenas.trace import exchanges, timeline

    with reported_errors():
        load_config(run, runs_dir)
        directory = run_dir(run, runs_dir)
        if show is not None:
            calls = exchanges(directory, show)
            if json:
                echo_json([{"agent": c.agent, "model": c.model, "prompt": c.prompt, "round": c.round,
                            "messages": c.messages, "response": c.response, "input_tokens": c.input_tokens,
                            "output_tokens": c.output_tokens, "latency_s": c.latency_s} for c in calls])
                return
            for c in calls:
                typer.echo(f"--- step {c.step} round {c.round} slot {c.slot}: {c.agent} {c.model} {c.prompt} "
                           f"({c.input_tokens}+{c.output_tokens} tokens, {c.latency_s:.2f} s)")
                for m in c.messages:
                    typer.echo(f"[{m.get('role', '?')}] {m.get('content', '')}")
                typer.echo(f"[response] {c.response}")
            return
        rows = timeline(directory, node=node, phase=phase)
        if json:
            echo_json([r.to_dict() for r in rows])
            return
        table = Table("step", "node", "phase", "rnd", "secs", "model / prompt", "calls", "tokens", "valid/inv/dup",
                      "errors", "scores", "events")
        for r in rows:
            scores = ", ".join("fail" if s is None else f"{s:.4g}" for s in r.scores[:6])
            verdicts = (f"{r.valid}/{r.invalid}/{r.duplicate}" + (f" +{r.neighbours} nbr" if r.neighbours else "")
                        if r.node == "validator" else "")
            table.add_row(str(r.step), r.node, r.phase, str(r.round), f"{r.seconds:.2f}",
                          " ".join(r.models + r.prompts), str(r.llm_calls or ""), str(r.tokens or ""), verdicts,
                          " ".join(f"{k}x{v}" for k, v in r.error_codes.items()), scores, " ".join(r.events))
        Console(width=200).print(table)


@app.command()
def report(
    run: RunArgument,
    runs_dir: RunsDirOption = Path("runs"),
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (default: <run>/report).")] = None,
    table: Annotated[Path | None, typer.Option("--table", help="NAS-Bench-Macro table "
                                               "(default: $PHASENAS_NBM_TABLE).")] = None,
) -> None:
    """Write a self-contained HTML report with PNG plots for a run."""
    from phasenas import report as reporting
    from phasenas.runs import load_config, run_dir
    from phasenas.space.macro import BenchmarkTable, TableError

    with reported_errors():
        config = load_config(run, runs_dir)
        bench = None
        if config.space == "macro":
            try:
                bench = BenchmarkTable.load(table)
            except TableError:
                if table is not None:
                    raise
        page = reporting.render(run_dir(run, runs_dir), run, config.space, out, table=bench)
        typer.echo(str(page))


@app.command()
def export(
    run: RunArgument,
    runs_dir: RunsDirOption = Path("runs"),
    fmt: Annotated[Literal["torch", "onnx", "ultralytics"],
                   typer.Option("--format", help="torch (.pt2), onnx, or ultralytics (model YAML, yolo space).")] = "torch",
    out: Annotated[Path | None, typer.Option("--out", help="Output file.")] = None,
) -> None:
    """Export the run's best architecture (untrained): PyTorch program, ONNX graph, or ultralytics YAML."""
    from phasenas.export import export as export_arch
    from phasenas.runs import load_config, run_dir
    from phasenas.space import get_space

    with reported_errors():
        config = load_config(run, runs_dir)
        row = _run_row(run_dir(run, runs_dir))
        if row["best"] is None:
            typer.echo(f"error: run {run} has no scored architecture yet", err=True)
            raise typer.Exit(1)
        suffix = {"torch": "pt2", "onnx": "onnx", "ultralytics": "yaml"}[fmt]
        target = out or run_dir(run, runs_dir) / f"best.{suffix}"
        typer.echo(str(export_arch(get_space(config.space), str(row["best"]), fmt, target)))
