"""How often the small local model's proposals parse (and are fully valid) per search space, constraints on.

Uses the explorer's real prompt (explore@1) and the local provider, as a search's first step would.
    python3 benchmarks/llm_parse_rate.py --n 40 --out docs/llm_parse_rate.json
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections import Counter
from pathlib import Path

import orjson

from phasenas.agents.inputs import answer_format, budget_text
from phasenas.llm import OutputConstraint, applied_constraint, create_chat_model
from phasenas.prompts import load_prompt
from phasenas.space import get_space


async def measure(space_name: str, model_name: str, n: int, constrained: bool, seed: int) -> dict[str, object]:
    space = get_space(space_name)
    rng = random.Random(seed)
    prompt = load_prompt("explorer", "explore@1", space=space_name)
    constraint = OutputConstraint(grammar=space.gbnf(), json_schema=space.json_schema()) if constrained else None
    parsed = valid = 0
    canonical: set[str] = set()
    invalid_because: Counter[str] = Counter()
    latencies: list[float] = []
    rates: list[float] = []
    for i in range(n):
        model = create_chat_model({"provider": "local", "model": model_name, "temperature": 0.9,
                                   "max_tokens": 384, "seed": seed + i})
        tried = "\n".join(f"- {space.sample(rng)}" for _ in range(3))
        messages = prompt.render(
            space_description=space.describe(), task=space.task_text(), budget=budget_text(space), top="(none yet)",
            diverse=tried, focus=space.explore_foci[i % len(space.explore_foci)],
            answer_format=answer_format(applied_constraint(model, constraint)),
        )
        started = time.perf_counter()
        answer = await model.ainvoke(messages, constraint=constraint)
        latency = time.perf_counter() - started
        text = answer.content if isinstance(answer.content, str) else ""
        found = [text] if constrained else space.extract(text)[:1]
        report = space.validate(found[0]) if found else None
        parsed += report is not None and report.arch is not None
        if report is not None and report.valid and report.canonical:
            valid += 1
            canonical.add(report.canonical)
        elif report is not None and report.arch is not None:
            invalid_because[report.errors[0].code] += 1
        latencies.append(latency)
        usage = answer.usage_metadata or {"output_tokens": 0}
        rates.append(usage["output_tokens"] / latency)
    return {
        "space": space_name, "model": model_name, "constrained": constrained, "n": n,
        "parse_rate": parsed / n, "valid_rate": valid / n, "unique_valid": len(canonical),
        "latency_s_median": statistics.median(latencies), "tokens_per_s_median": statistics.median(rates),
        "parsed_but_invalid": dict(invalid_because.most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="proposals per space with constraints on")
    parser.add_argument("--n-free", type=int, default=0, help="proposals per space without constraint (baseline)")
    parser.add_argument("--spaces", nargs="+", default=["macro", "zen-cifar"])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = []
    for space_name in args.spaces:
        for constrained, n in ((True, args.n), (False, args.n_free)):
            if n > 0:
                results.append(asyncio.run(measure(space_name, args.model, n, constrained, args.seed)))
    header = ("| space | model | constraint | n | parses | fully valid | unique valid | median latency | median tok/s "
              "| parsed but invalid |")
    lines = [header, "|" + "---|" * 10]
    for r in results:
        lines.append(
            f"| {r['space']} | {r['model']} | {'grammar' if r['constrained'] else 'none (extract)'} | {r['n']} "
            f"| {r['parse_rate']:.0%} | {r['valid_rate']:.0%} | {r['unique_valid']} | {r['latency_s_median']:.1f} s "
            f"| {r['tokens_per_s_median']:.0f} | {', '.join(f'{k} {v}' for k, v in r['parsed_but_invalid'].items())} |"
        )
    report = "\n".join(lines)
    if args.out:
        args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(report)  # noqa: T201 (a benchmark's report)


if __name__ == "__main__":
    main()
