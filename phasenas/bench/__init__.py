"""Benchmarking the search on NAS-Bench-Macro: baselines, method definitions, metrics, aggregation, plot.

Importing `phasenas.bench.table_proxy` registers the `nbm-table` proxy (table feedback), so the runner
imports it before any search starts.
"""

from phasenas.bench.methods import METHODS, Method, method_names
from phasenas.bench.runner import BenchSettings, run_bench

__all__ = ["METHODS", "BenchSettings", "Method", "method_names", "run_bench"]
