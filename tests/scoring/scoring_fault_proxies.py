"""Test-only proxies that misbehave on purpose; workers import this module by name (``imports=``).

They read their control files from environment variables, which spawned workers inherit.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from phasenas.scoring import ProxyInput, register_proxy

CALLS_ENV = "PHASENAS_TEST_CALLS"          # a file each counting proxy appends one line to per call
CRASH_MARK_ENV = "PHASENAS_TEST_CRASH_MARK"  # crash_once dies only while this file does not exist


def _count_call(tag: str) -> None:
    with Path(os.environ[CALLS_ENV]).open("a") as f:
        f.write(f"{tag} {os.getpid()}\n")


@register_proxy("test_counting")
def counting(inp: ProxyInput) -> float:
    """Counts its calls in a file, returns the parameter count of the built model."""
    _count_call("counting")
    assert inp.model is not None
    return float(sum(p.numel() for p in inp.model.parameters()))


@register_proxy("test_sleep")
def sleep(inp: ProxyInput) -> float:
    """Hangs (far longer than any test's timeout)."""
    time.sleep(600)
    return 0.0


@register_proxy("test_exit")
def exit_always(inp: ProxyInput) -> float:
    """Kills its worker process every time."""
    _count_call("exit")
    os._exit(3)


@register_proxy("test_crash_once")
def crash_once(inp: ProxyInput) -> float:
    """Kills its worker the first time, then works (the retry succeeds)."""
    mark = Path(os.environ[CRASH_MARK_ENV])
    if not mark.exists():
        mark.touch()
        os._exit(3)
    return 1.0


@register_proxy("test_nan")
def nan(inp: ProxyInput) -> float:
    """Returns NaN."""
    return float("nan")
