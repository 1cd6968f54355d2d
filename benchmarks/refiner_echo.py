"""How often the refiner repeats an already-scored network, per sampling temperature.

Replays step-first refine prompts that a finished run recorded in its store to the run's refiner model, at each
temperature and with the run's output constraint, and sorts every answer: a repeat (scored before that call),
new and valid, or invalid. The benchmark runs of session 3 repeated a scored network in 83-90 % of these calls at
T = 0.3 (docs/benchmarks.md); this asks whether hotter sampling trades repeats for new networks or for junk.
    python3 benchmarks/refiner_echo.py RUNS_DIR/RUN_ID --calls 12 --temperatures 0.3 0.7 1.0 \
        --out docs/refiner_echo.json
Measured results: docs/refiner_echo.json, read in docs/benchmarks.md ("The refiner's repeats").
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from pathlib import Path

import orjson

from phasenas.llm.base import message_text
from phasenas.llm.replay import RUN_STORE_FILE
from phasenas.runs import chat_model, load_config, model_spec, output_constraint
from phasenas.space import Space, get_space
from phasenas.store import LLMExchange, RunStore


def verdict(space: Space, text: str, scored_before: set[str]) -> str:
    """'repeat', 'new' or 'invalid': what the validator would have made of this answer at that moment."""
    report = space.validate(text)
    if not report.valid or report.canonical is None:
        return "invalid"
    return "repeat" if report.canonical in scored_before else "new"


def spread(calls: list[LLMExchange], n: int) -> list[LLMExchange]:
    """`n` calls evenly spaced over the run (the refine phase drifts: late prompts show a fuller pool)."""
    if len(calls) <= n:
        return calls
    return [calls[round(i * (len(calls) - 1) / (n - 1))] for i in range(n)] if n > 1 else calls[:1]


async def measure(run: Path, n: int, temperatures: list[float], seed: int) -> list[dict[str, object]]:
    config = load_config(run.name, run.parent)
    space = get_space(config.space)
    constraint = output_constraint(space, config.constraint)
    with RunStore(run / RUN_STORE_FILE) as store:
        evaluations = store.evaluations()
        calls = spread([c for c in store.llm_calls("refiner") if c.round == 0 and c.prompt.startswith("refine")], n)
    spec = model_spec(config.refiner)
    known = [{e.canonical for e in evaluations if e.finished_at <= c.started_at} for c in calls]
    rows: list[dict[str, object]] = [{
        "temperature": f"{config.refiner.temperature} (as recorded)", "n": len(calls),
        **Counter(verdict(space, c.response, k) for c, k in zip(calls, known, strict=True)),
    }]
    for temperature in temperatures:
        outcomes: Counter[str] = Counter()
        started = time.perf_counter()
        for i, (call, scored_before) in enumerate(zip(calls, known, strict=True)):
            model = chat_model(config.refiner.model_copy(update={"model": {**spec, "seed": seed + i},
                                                                 "temperature": temperature}))
            answer = await model.ainvoke(call.messages, constraint=constraint)
            outcomes[verdict(space, message_text(answer), scored_before)] += 1
        rows.append({"temperature": temperature, "n": len(calls), **outcomes,
                     "seconds_per_call": round((time.perf_counter() - started) / max(1, len(calls)), 1)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished run's directory (RUNS_DIR/RUN_ID)")
    parser.add_argument("--calls", type=int, default=12, help="recorded step-first refine calls to replay")
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.3, 0.7, 1.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = asyncio.run(measure(args.run, args.calls, args.temperatures, args.seed))
    lines = ["| temperature | calls | repeat | new | invalid |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['temperature']} | {r['n']} | {r.get('repeat', 0)} | {r.get('new', 0)} | {r.get('invalid', 0)} |"
              for r in rows]
    if args.out:
        args.out.write_bytes(orjson.dumps({"run": str(args.run), "rows": rows}, option=orjson.OPT_INDENT_2))
    print("\n".join(lines))  # noqa: T201 (a benchmark's report)


if __name__ == "__main__":
    main()
