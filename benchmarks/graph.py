"""The graph's two structural claims, measured (run by hand; numbers go to docs/graph.md).

    PYTHONPATH=. python3 benchmarks/graph.py checkpoints   # checkpoint size at 16 / 160 / 1600 evaluations
    PYTHONPATH=. python3 benchmarks/graph.py overlap --llm simulated --latency 2.0 [--batch-size 16]
    PYTHONPATH=. python3 benchmarks/graph.py overlap --llm local    # the embedded SmolLM2 explorer

`checkpoints` drives the graph with the scripted test model and the exact FLOPs proxy (no LLM: only the
state machine is measured). `overlap` runs the same search with `scoring.overlap` off and on and reports
wall time; `simulated` stands in for a remote API model by answering after a fixed latency (the scripted
test model, not an LLM), `local` uses the real llama.cpp explorer, which competes with scoring for the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from phasenas.config import SearchConfig
from phasenas.runs import CHECKPOINT_FILE, RUN_STORE_FILE, asearch

SCRIPTED = "tests.graph.fakes:SamplingChatModel"


def config(runs_dir: Path, explorer: dict[str, Any], evaluations: int, proxy: str, overlap: bool, k: int,
           batch_size: int | None = None) -> SearchConfig:
    return SearchConfig.model_validate({
        "runs_dir": runs_dir,
        "explorer": {"model": explorer, "prompt": "explore@1", "temperature": 0.9, "proposals": k},
        "refiner": {"model": explorer, "prompt": "refine@1", "temperature": 0.3, "proposals": k},
        "scoring": {"proxy": proxy, "workers": 1, "overlap": overlap, "batch_size": batch_size},
        "budget": {"evaluations": evaluations},
        "thresholds": {"stuck_steps": 0},
    })


def checkpoint_bytes(run_dir: Path) -> tuple[int, int, int]:
    with sqlite3.connect(run_dir / CHECKPOINT_FILE) as db:
        sizes = [r[0] for r in db.execute("SELECT length(checkpoint) + length(metadata) FROM checkpoints")]
    return len(sizes), max(sizes), sizes[-1]


async def checkpoints() -> None:
    print("| evaluations | checkpoints | largest checkpoint (bytes) | last checkpoint (bytes) | run store (bytes) |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for evaluations in (16, 160, 1600):
            result = await asearch(config(Path(tmp), {"provider": SCRIPTED}, evaluations, "flops", True, 8))
            count, largest, last = checkpoint_bytes(result.run_dir)
            store = (result.run_dir / RUN_STORE_FILE).stat().st_size
            print(f"| {evaluations} | {count} | {largest} | {last} | {store} |")


async def overlap(llm: str, latency: float, evaluations: int, k: int, batch_size: int | None) -> None:
    explorer: dict[str, Any] = ({"provider": SCRIPTED, "delay_s": latency} if llm == "simulated"
                                else {"provider": "local", "model": "smollm2-135m-instruct"})
    print("| llm | overlap | evaluations | wall seconds | seconds per evaluation |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for on in (False, True):
            start = time.perf_counter()
            result = await asearch(config(Path(tmp), explorer, evaluations, "naswot", on, k, batch_size))
            wall = time.perf_counter() - start
            print(f"| {llm} | {'on' if on else 'off'} | {result.usage['evaluations']} | {wall:.1f} | "
                  f"{wall / max(result.usage['evaluations'], 1):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("checkpoints")
    lap = sub.add_parser("overlap")
    lap.add_argument("--llm", choices=("simulated", "local"), default="simulated")
    lap.add_argument("--latency", type=float, default=1.0, help="seconds per simulated LLM call")
    lap.add_argument("--evaluations", type=int, default=24)
    lap.add_argument("-k", type=int, default=4, help="proposals per step")
    lap.add_argument("--batch-size", type=int, default=None, help="NASWOT input batch (default: scoring's)")
    args = parser.parse_args()
    if args.what == "checkpoints":
        asyncio.run(checkpoints())
    else:
        asyncio.run(overlap(args.llm, args.latency, args.evaluations, args.k, args.batch_size))


if __name__ == "__main__":
    main()
