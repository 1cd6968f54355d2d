"""Tokens per second and latency of each packaged local model (llama.cpp in-process, 1 thread by default).

    python3 benchmarks/llm_speed.py --runs 3 --out docs/llm_speed.json
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import orjson
from langchain_core.messages import HumanMessage, SystemMessage

from phasenas.llm import PACKAGED_MODELS, create_chat_model

MESSAGES = [
    SystemMessage("You design convolutional neural networks."),
    HumanMessage("Explain in detail, step by step, how a residual block with a bottleneck works."),
]


async def measure(model_name: str, runs: int, max_tokens: int, n_threads: int) -> dict[str, object]:
    spec = {"provider": "local", "model": model_name, "temperature": 0.0, "max_tokens": max_tokens,
            "n_threads": n_threads}
    started = time.perf_counter()
    await create_chat_model({**spec, "max_tokens": 1}).ainvoke([HumanMessage("hi")])
    load_s = time.perf_counter() - started
    latencies, rates, prompt_tokens, completion_tokens = [], [], 0, 0
    for _ in range(runs):
        started = time.perf_counter()
        answer = await create_chat_model(spec).ainvoke(MESSAGES)
        latency = time.perf_counter() - started
        usage = answer.usage_metadata or {"input_tokens": 0, "output_tokens": 0}
        prompt_tokens, completion_tokens = usage["input_tokens"], usage["output_tokens"]
        latencies.append(latency)
        rates.append(completion_tokens / latency)
    return {
        "model": model_name, "n_threads": n_threads, "load_s": load_s, "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens, "latency_s_median": statistics.median(latencies),
        "tokens_per_s_median": statistics.median(rates),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(PACKAGED_MODELS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = [asyncio.run(measure(m, args.runs, args.max_tokens, args.threads)) for m in args.models]
    lines = ["| model | threads | load | prompt tok | completion tok | median latency | median tok/s |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| {r['model']} | {r['n_threads']} | {r['load_s']:.1f} s | {r['prompt_tokens']} "
            f"| {r['completion_tokens']} | {r['latency_s_median']:.1f} s | {r['tokens_per_s_median']:.1f} |"
        )
    if args.out:
        args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print("\n".join(lines))  # noqa: T201 (a benchmark's report)


if __name__ == "__main__":
    main()
