"""Scoring throughput on NAS-Bench-Macro networks (run by hand; numbers go to docs/scoring.md).

    python3 benchmarks/scoring.py --archs 40 --proxy naswot

(a) a plain in-process loop (torch's default thread count), (b) the queue with 1 worker (all cores),
(c) the queue with one worker per core (1 thread each), (d) cache hits. Worker start-up is excluded from (b)
and (c); every mode first scores two warm-up networks outside the timed set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path

import torch

from phasenas.scoring import ScoreSettings, ScoringQueue, SpaceRef, score_text
from phasenas.space.macro import canonical_code


def sample_codes(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    codes: list[str] = []
    while len(codes) < n:
        code = canonical_code("".join(rng.choice("012") for _ in range(8)))
        if code not in codes:
            codes.append(code)
    return codes


def build_seconds(codes: list[str]) -> float:
    """Mean time to parse, validate and build one network: the CPU work a GPU cannot take over."""
    space = SpaceRef("macro").resolve()
    start = time.perf_counter()
    for code in codes:
        space.build(space.validate(code).arch)
    return (time.perf_counter() - start) / len(codes)


def plain_loop(codes: list[str], warmup: list[str], proxy: str, settings: ScoreSettings) -> float:
    space = SpaceRef("macro").resolve()
    for code in warmup:
        score_text(space, code, proxy, settings)
    start = time.perf_counter()
    for code in codes:
        assert score_text(space, code, proxy, settings).error is None
    return len(codes) / (time.perf_counter() - start)


async def queued(codes: list[str], warmup: list[str], proxy: str, settings: ScoreSettings, workers: int,
                 cache_dir: Path) -> tuple[float, float]:
    """archs/s on a cold cache, then mean seconds per cache hit (awaited one at a time)."""
    async with ScoringQueue("macro", proxy, workers=workers, cache_dir=cache_dir, settings=settings) as queue:
        await queue.score_many(warmup)
        start = time.perf_counter()
        results = await queue.score_many(codes)
        rate = len(codes) / (time.perf_counter() - start)
        assert all(r.error is None and not r.cached for r in results)
        start = time.perf_counter()
        for code in codes:
            assert (await queue.score(code)).cached
        hit = (time.perf_counter() - start) / len(codes)
    return rate, hit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archs", type=int, default=40)
    parser.add_argument("--proxy", default="naswot")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0))
    codes = sample_codes(args.archs + 2, args.seed)
    warmup, codes = codes[:2], codes[2:]
    settings = ScoreSettings(batch_size=args.batch_size)
    a = plain_loop(codes, warmup, args.proxy, settings)
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as many:
        b, _ = asyncio.run(queued(codes, warmup, args.proxy, settings, 1, Path(one)))
        c, hit = asyncio.run(queued(codes, warmup, args.proxy, settings, cores, Path(many)))
    print(f"\n{args.archs} NAS-Bench-Macro networks, proxy {args.proxy}, batch {args.batch_size}, {cores} cores, "
          f"torch {torch.__version__}\n")
    print("| mode | archs/s | vs (a) |")
    print("|---|---|---|")
    print(f"| (a) in-process loop, {torch.get_num_threads()} threads | {a:.2f} | 1.00x |")
    print(f"| (b) queue, 1 worker x {cores} threads | {b:.2f} | {b / a:.2f}x |")
    print(f"| (c) queue, {cores} workers x 1 thread | {c:.2f} | {c / a:.2f}x |")
    print(f"| (d) cache hit (await queue.score) | {1 / hit:.0f} | {hit * 1e3:.3f} ms per hit |")
    print(f"\nbuilding one network (validate + torch modules, no proxy): {build_seconds(codes) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
