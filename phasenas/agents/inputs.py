"""The words the agents see: task, limits, pool members and answer format, rendered as prompt inputs."""

from __future__ import annotations

from phasenas.graph.state import PoolEntry
from phasenas.llm.constraints import ConstraintKind
from phasenas.space import Space

_ANSWER_FORMATS = {
    ConstraintKind.GBNF: "Answer with the architecture string only.",
    ConstraintKind.JSON_SCHEMA: 'Answer with JSON only: {"architecture": "<the architecture string>"}',
    ConstraintKind.NONE: "Answer with the architecture string on one line, without explanation.",
}


def answer_format(kind: ConstraintKind) -> str:
    """What to tell the model about the shape of its answer, given the constraint its provider applies."""
    return _ANSWER_FORMATS[kind]


def budget_text(space: Space) -> str:
    budget = space.budget
    parts = [f"at most {budget.max_params:,} parameters" if budget.max_params else None,
             f"at most {budget.max_flops:,} multiply-accumulates" if budget.max_flops else None,
             f"at most {budget.max_depth} conv layers" if budget.max_depth else None,
             f"at most {budget.max_blocks} blocks"]
    return "; ".join(p for p in parts if p)


def entries_text(entries: list[PoolEntry]) -> str:
    """Pool members as prompt lines; an explicit marker when there are none yet."""
    if not entries:
        return "(none yet)"
    return "\n".join(f"- score {e['score']:.4g}: {e['canonical']}" for e in entries)


def focus(foci: tuple[str, ...], step: int, slot: int, per_step: int) -> str:
    """The idea for one call: rotates over steps and slots."""
    return foci[(step * per_step + slot) % len(foci)]
