"""One place that turns phasenas's own errors into a clear line and an exit code, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from phasenas.errors import PhaseNASError, UsageError

USAGE = 2  # bad config, bad arguments, a run id that does not exist
FAILED = 1  # the command ran and could not do its job


@contextmanager
def reported_errors() -> Iterator[None]:
    """Run a command body; our errors become one line on stderr with exit 2 (usage) or 1 (failure)."""
    try:
        yield
    except PhaseNASError as exc:
        message = str(exc)
        typer.echo(message if message.startswith("config error") else f"error: {message}", err=True)
        raise typer.Exit(USAGE if isinstance(exc, UsageError) else FAILED) from None
    except KeyboardInterrupt:
        typer.echo("interrupted; resume with `phasenas resume RUN`", err=True)
        raise typer.Exit(130) from None
