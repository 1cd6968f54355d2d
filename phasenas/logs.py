"""structlog setup: JSON events with stable names to ``runs/<id>/events.jsonl``, warnings and errors to stderr."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

import structlog

_open_files: list[TextIO] = []


def configure(events_file: Path | None = None, console_level: int = logging.WARNING) -> None:
    """Route structlog: every event as one JSON line into ``events_file``; console only at ``console_level``+."""
    for handle in _open_files:
        handle.close()
    _open_files.clear()
    sinks: list[tuple[TextIO | None, int]] = [(None, console_level)]  # None: whatever sys.stderr is at the time
    if events_file is not None:
        events_file.parent.mkdir(parents=True, exist_ok=True)
        handle = events_file.open("a", encoding="utf-8")
        _open_files.append(handle)
        sinks.append((handle, logging.DEBUG))
    renderer = structlog.processors.JSONRenderer()

    def fan_out(logger: object, method: str, event: dict[str, object]) -> str:
        level = logging.getLevelNamesMapping().get(method.upper(), logging.INFO)
        line = renderer(logger, method, dict(event))
        for sink, threshold in sinks:
            if level >= threshold:
                stream = sys.stderr if sink is None else sink
                stream.write(f"{line}\n")
                stream.flush()
        raise structlog.DropEvent

    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True), structlog.processors.format_exc_info,
                    fan_out],
        cache_logger_on_first_use=False,
    )
