"""``phasenas validate ARCH``: parse and check one architecture; exit 0 valid, 1 invalid, 2 usage error."""

from __future__ import annotations

from typing import Annotated

import typer

from phasenas.cli import app
from phasenas.cli.common import ClassesOption, JsonOption, ResolutionOption, SpaceOption, echo_json, space_for


@app.command()
def validate(
    arch: Annotated[str, typer.Argument(help="Architecture string (or an 8-digit code for --space macro).")],
    space: SpaceOption = "zen-cifar",
    classes: ClassesOption = None,
    resolution: ResolutionOption = None,
    max_params: Annotated[int | None, typer.Option("--max-params", min=1, help="Parameter budget.")] = None,
    max_flops: Annotated[int | None, typer.Option("--max-flops", min=1,
                                                  help="FLOPs budget (multiply-accumulates).")] = None,
    json: JsonOption = False,
) -> None:
    """Validate an architecture: channels chain, strides, spatial size and budgets, without building it."""
    the_space = space_for(space, classes, resolution)
    budget = {k: v for k, v in (("max_params", max_params), ("max_flops", max_flops)) if v is not None}
    if budget:
        the_space = the_space.with_budget(**budget)
    report = the_space.validate(arch)
    if json:
        echo_json(report.to_dict())
    elif report.valid:
        typer.echo(f"valid  {report.canonical}\nparams {report.params:,}  flops {report.flops:,}  "
                   f"conv layers {report.depth}")
    else:
        typer.echo("invalid", err=False)
        for issue in report.errors:
            typer.echo(f"  {issue}")
    raise typer.Exit(0 if report.valid else 1)
