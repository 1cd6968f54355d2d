"""The timeline of a run, for debugging: one row per node execution, joined with what the store knows of it.

A row names the node, phase and repair round; for agent nodes the models, prompt versions, latency and tokens of
its LLM calls; for the validator the proposals' verdicts with the validator's error codes, and how many duplicates
it replaced by a neighbour; for the scorer the scores. ``exchanges(step)`` returns the full LLM conversations of
a step (``phasenas trace RUN --show STEP``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from phasenas.store import LLMExchange, RunStore


@dataclass
class TraceRow:
    step: int
    node: str
    phase: str
    round: int
    started_at: float
    seconds: float
    models: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    llm_calls: int = 0
    tokens: int = 0
    llm_latency_s: float = 0.0
    valid: int = 0
    invalid: int = 0
    duplicate: int = 0
    neighbours: int = 0          # duplicates replaced by an unexplored neighbour (scored instead)
    error_codes: dict[str, int] = field(default_factory=dict)
    scores: list[float | None] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def timeline(run_dir: Path, node: str | None = None, phase: str | None = None) -> list[TraceRow]:
    """Every node execution of the run in order, optionally filtered by node name and phase."""
    with RunStore(run_dir / "run.sqlite") as store:
        nodes, calls, proposals = store.nodes(), store.llm_calls(), store.proposals()
        events = store.events()
    rows = []
    for n in nodes:
        row = TraceRow(n.step, n.node, n.phase, n.round, n.started_at, n.finished_at - n.started_at)
        if n.node in ("explorer", "refiner"):
            mine = [c for c in calls if c.step == n.step and c.round == n.round and c.agent == n.node]
            row.models = sorted({c.model for c in mine})
            row.prompts = sorted({c.prompt for c in mine})
            row.llm_calls = len(mine)
            row.tokens = sum(c.input_tokens + c.output_tokens for c in mine)
            row.llm_latency_s = max((c.latency_s for c in mine), default=0.0)
        elif n.node == "validator":
            mine_p = [p for p in proposals if p.step == n.step and p.round == n.round]
            verdicts = Counter(p.status for p in mine_p)
            row.valid, row.invalid, row.duplicate = verdicts["valid"], verdicts["invalid"], verdicts["duplicate"]
            row.error_codes = dict(Counter(e["code"] for p in mine_p for e in p.errors))
            row.neighbours = n.data.get("neighbours", 0)
        elif n.node in ("scorer", "finish"):
            for _canonical, score, error in n.data.get("scored", []):
                row.scores.append(score)
                if error:
                    row.failures[error] = row.failures.get(error, 0) + 1
        row.events = [e.kind for e in events if e.step == n.step and n.started_at <= e.at <= n.finished_at + 1e-3]
        rows.append(row)
    return [r for r in rows if (node is None or r.node == node) and (phase is None or r.phase == phase)]


def exchanges(run_dir: Path, step: int) -> list[LLMExchange]:
    """The LLM conversations (messages, response, usage) of one step."""
    with RunStore(run_dir / "run.sqlite") as store:
        return [c for c in store.llm_calls() if c.step == step]
