"""What shape an answer must have, and which of those shapes a given chat model can enforce.

The search space produces the constraint (a GBNF grammar and/or a JSON schema); each provider applies the
strongest form its backend understands and reports which one it applied, so the caller knows whether it
gets a bare architecture string (GBNF), a JSON object (JSON schema) or free text that needs extracting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from langchain_core.language_models import BaseChatModel


class ConstraintKind(StrEnum):
    """How an answer was (or can be) constrained."""

    GBNF = "gbnf"  # llama.cpp grammar: the answer is exactly one sentence of the grammar
    JSON_SCHEMA = "json_schema"  # the answer is a JSON object matching the schema
    NONE = "none"  # free text; the caller extracts what it needs


@dataclass(frozen=True)
class OutputConstraint:
    """A constraint on one answer, passed as `model.ainvoke(messages, constraint=c)`.

    Give either form or both; a provider uses the first of its supported kinds that is present.
    """

    grammar: str | None = None
    json_schema: dict[str, Any] | None = field(default=None, hash=False)
    name: str = "answer"
    strict: bool = False  # OpenAI's strict schema mode needs additionalProperties=false everywhere

    def offers(self, kind: ConstraintKind) -> bool:
        """Whether this constraint carries the form `kind` needs."""
        if kind is ConstraintKind.GBNF:
            return self.grammar is not None
        if kind is ConstraintKind.JSON_SCHEMA:
            return self.json_schema is not None
        return True


def supported_constraints(model: BaseChatModel) -> tuple[ConstraintKind, ...]:
    """Constraint kinds `model` enforces, best first; empty for models outside phasenas (plain text)."""
    kinds = getattr(model, "constraint_kinds", None)
    return tuple(kinds) if kinds is not None else ()


def applied_constraint(model: BaseChatModel, constraint: OutputConstraint | None) -> ConstraintKind:
    """The kind `model` applies for `constraint`: its first supported kind that the constraint offers."""
    if constraint is None:
        return ConstraintKind.NONE
    for kind in supported_constraints(model):
        if constraint.offers(kind):
            return kind
    return ConstraintKind.NONE
