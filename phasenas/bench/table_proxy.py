"""`nbm-table`: the NAS-Bench-Macro table's mean accuracy as a "proxy", for the table-feedback benchmark mode.

LLM-NAS papers on this benchmark (GENIUS, PhaseNAS) let the agents see the trained accuracy; this proxy does
that through the ordinary scoring path. It is analytic (no model, no worker, no cache), so it runs in the
process that scores and reads the table named by ``PHASENAS_NBM_TABLE`` once per path.
"""

from __future__ import annotations

import functools
import os

from phasenas.scoring.registry import ProxyInput, register_proxy
from phasenas.space.macro import TABLE_ENV, BenchmarkTable, MacroSpace

TABLE_PROXY = "nbm-table"


@functools.lru_cache(maxsize=4)
def load_table(path: str) -> BenchmarkTable:
    """One parsed table per path per process (parsing 6561 entries takes ~50 ms; scoring is per candidate)."""
    return BenchmarkTable.load(path)


def macro_code(canonical: str) -> str:
    """The 8-digit NAS-Bench-Macro code of a canonical architecture string (a code stays as it is)."""
    return canonical if len(canonical) == 8 else MacroSpace.to_code(MacroSpace().parse(canonical))


def true_accuracy(canonical: str, table: BenchmarkTable) -> tuple[float, int]:
    """(mean accuracy, rank) of a canonical macro architecture string or 8-digit code."""
    entry = table.entry(macro_code(canonical))
    return entry.mean_acc, entry.rank


@register_proxy(TABLE_PROXY, analytic=True)
def nbm_table(inp: ProxyInput) -> float:
    """NAS-Bench-Macro CIFAR-10 mean test accuracy from the table (table feedback; not zero-shot)."""
    assert inp.report is not None and inp.report.canonical is not None
    return true_accuracy(inp.report.canonical, load_table(os.environ.get(TABLE_ENV, "")))[0]
