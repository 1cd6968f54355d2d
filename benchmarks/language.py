"""Parse + validate throughput and build time of the architecture language (run by hand; numbers go to docs/).

    python3 benchmarks/language.py
"""

from __future__ import annotations

import platform
import random
import time
import timeit

import torch

from phasenas.space import get_space, validate


def per_call_us(fn, number: int) -> float:
    """CPU time per call in microseconds, best of 7 repeats: on a shared box, process time and the minimum
    are the least noisy estimates (wall time also counts the other processes' turns)."""
    return min(timeit.repeat(fn, number=number, repeat=7, timer=time.process_time)) / number * 1e6


def twenty_block_string() -> str:
    blocks = ["ConvK3BNRELU(3,32,1,1)"]
    channels = 32
    for i in range(18):
        out = 32 + 8 * (i % 5)
        stride = 2 if i in (3, 8, 13) else 1
        blocks.append(f"ResK1K3K1({channels},{out},{stride},16,2)")
        channels = out
    blocks.append(f"ConvK1BNRELU({channels},512,1,1)")
    return "".join(blocks)


def main() -> None:
    torch.set_num_threads(1)
    text = twenty_block_string()
    assert validate(text).valid
    huge, wide = "x" * 1_000_000, "ConvK3BNRELU(3,999999999,1,1)"
    rows = [
        ("validate 20-block zen string", per_call_us(lambda: validate(text), 2000)),
        ("validate macro code via space", per_call_us(lambda: get_space("macro").validate("22212220"), 2000)),
        ("reject 1 MB string", per_call_us(lambda: validate(huge), 2000)),
        ("reject 10^9 channels", per_call_us(lambda: validate(wide), 2000)),
    ]
    zen, macro = get_space("zen-cifar"), get_space("macro")
    rng = random.Random(0)
    zen_archs = [zen.sample(rng) for _ in range(20)]
    macro_archs = [macro.sample(rng) for _ in range(20)]
    for label, space, archs in (("build zen-cifar network (random, <=1M params)", zen, zen_archs),
                                ("build NAS-Bench-Macro network", macro, macro_archs)):
        start = time.perf_counter()
        for arch in archs:
            space.build(arch)
        rows.append((label, (time.perf_counter() - start) / len(archs) * 1e6))
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"torch {torch.__version__}, 1 thread")
    print("| operation | time per call |\n|---|---|")
    for label, us in rows:
        print(f"| {label} | {us:,.1f} µs |" if us < 10_000 else f"| {label} | {us / 1000:,.1f} ms |")
    print(f"\nthroughput: {1e6 / rows[0][1]:,.0f} validations/s of a 20-block string")


if __name__ == "__main__":
    main()
