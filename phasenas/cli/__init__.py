"""The ``phasenas`` command line: one typer app; each command lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(name="phasenas", help="LLM-driven neural architecture search in two phases (PhaseNAS).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def _root() -> None:
    """LLM-driven neural architecture search in two phases (PhaseNAS)."""
    from phasenas import logs

    logs.configure()  # library events go to stderr (warnings and up), never into a command's stdout


# Each module registers its commands on `app`.
from phasenas.cli import validate, score, search, runs, train  # noqa: E402,F401
from phasenas.cli import bench  # noqa: E402,F401


def main() -> None:
    app()
