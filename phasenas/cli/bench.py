"""``phasenas bench macro``: PhaseNAS against baselines on NAS-Bench-Macro (docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from phasenas.cli import app
from phasenas.cli.errors import reported_errors

bench_app = typer.Typer(help="Benchmarks of the search against baselines.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

ALL_METHODS = "random,evolution,static-small,static-large,phasenas,phasenas-auto"


@bench_app.command("macro")
def macro(
    table: Annotated[Path, typer.Option("--table", exists=True, dir_okay=False,
                                        help="nas-bench-macro_cifar10.json (public NAS-Bench-Macro repository).")],
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Seeds 0..N-1 per method.")] = 5,
    budget_evals: Annotated[list[int], typer.Option("--budget-evals", min=1,
                                                    help="Scored architectures per run (repeatable).")] = [100],  # noqa: B006
    methods: Annotated[str, typer.Option("--methods", help=f"Comma-separated subset of {ALL_METHODS}.")] = ALL_METHODS,
    feedback: Annotated[list[str], typer.Option("--feedback", help="proxy or table (repeatable).")] = ["table"],  # noqa: B006
    proxy: Annotated[str, typer.Option("--proxy", help="Zero-shot proxy of --feedback proxy.")] = "naswot",
    proxy_batch: Annotated[int, typer.Option("--proxy-batch", min=2, help="Proxy input batch.")] = 16,
    config: Annotated[Path | None, typer.Option("--config", "-c", dir_okay=False,
                                                help="TOML config for the agents' models (default: embedded).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Results, run stores, report.md and curves.png.")] = Path("bench-out"),
    report_only: Annotated[bool, typer.Option("--report-only", help="Only re-aggregate existing results.")] = False,
) -> None:
    """Run the missing cells of the grid (finished ones are kept), then write report.md and curves.png."""
    from phasenas.bench.aggregate import load_results, markdown
    from phasenas.bench.plot import plot_curves
    from phasenas.bench.runner import BenchSettings, run_bench
    from phasenas.bench.targets import markdown as targets_markdown
    from phasenas.config_file import load_search_config

    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    bad = [f for f in feedback if f not in ("proxy", "table")]
    if bad:
        raise typer.BadParameter(f"unknown feedback {bad}; use proxy or table", param_hint="--feedback")
    with reported_errors():
        if not report_only:
            settings = BenchSettings(table=table, out=out, seeds=seeds, budgets=tuple(budget_evals),
                                     methods=tuple(chosen), feedback=tuple(feedback),  # type: ignore[arg-type]
                                     proxy=proxy, proxy_batch=proxy_batch, base=load_search_config(config))
            try:
                asyncio.run(run_bench(settings))
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--methods") from exc
        results = load_results(out)
        (out / "report.md").write_text(markdown(results) + "\n" + targets_markdown(results))
        plot_curves(results, out / "curves.png")
    typer.echo(f"{len(results)} runs; wrote {out / 'report.md'} and {out / 'curves.png'}")
