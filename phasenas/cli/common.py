"""Options and helpers shared by commands that take an architecture in a search space."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from phasenas.errors import PhaseNASError
from phasenas.space import Space, get_space

SpaceOption = Annotated[str, typer.Option("--space", help="Search space: macro or zen-cifar.")]
ClassesOption = Annotated[int | None, typer.Option("--classes", min=1, help="Number of classes (space default).")]
ResolutionOption = Annotated[int | None, typer.Option("--resolution", min=1,
                                                      help="Input resolution (space default).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def space_for(name: str, classes: int | None, resolution: int | None) -> Space:
    """The named space with the task overrides applied; a bad name is a usage error (exit 2)."""
    try:
        space = get_space(name)
    except PhaseNASError as exc:
        raise typer.BadParameter(str(exc), param_hint="--space") from exc
    changes = {k: v for k, v in (("classes", classes), ("resolution", resolution)) if v is not None}
    return space.with_task(**changes) if changes else space


def echo_json(data: object) -> None:
    typer.echo(orjson.dumps(data).decode())
