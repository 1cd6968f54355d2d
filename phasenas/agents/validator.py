"""Untrusted LLM text in, checked architectures out: extract, validate, drop duplicates, ask for repairs.

Invalid proposals keep the validator's specific errors and go back to the agent that wrote them for at
most R rounds; valid ones whose canonical form was already evaluated, is being scored, or appears earlier
in the batch are dropped before they cost a score, and go back too (asking for a different one), since a
model that keeps repeating itself would otherwise spend LLM calls without ever producing an evaluation.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from langgraph.runtime import Runtime

from phasenas.graph.context import SearchContext
from phasenas.graph.state import Candidate, SearchState
from phasenas.space import Issue, Space, ValidationReport
from phasenas.store import NodeRecord, ProposalRecord

NO_ARCHITECTURE = Issue("no_architecture", "the answer contains no architecture string")
DUPLICATE = Issue("duplicate", "this architecture was already proposed; propose a different one")
_SUGGESTION_TRIES = 8


def duplicate_issue(space: Space, report: ValidationReport, is_new: Callable[[str], bool], seed: str) -> Issue:
    """The duplicate error, with an unexplored neighbour to start from (small models otherwise repeat themselves).

    The neighbour comes from the space's mutation operators with an RNG seeded by the call, so a replay
    sends the very same suggestion.
    """
    rng = random.Random(seed)
    for _ in range(_SUGGESTION_TRIES):
        neighbour = space.canonical(space.mutate(report.arch, rng))  # type: ignore[arg-type]
        if is_new(neighbour):
            return Issue("duplicate", f"{DUPLICATE.message}, for example this unexplored neighbour: {neighbour}")
    return DUPLICATE


def check_text(space: Space, text: str) -> ValidationReport:
    """The first valid architecture in the answer, else the errors of the first candidate string found."""
    found = space.extract(text)
    if not found:
        return ValidationReport(valid=False, errors=[NO_ARCHITECTURE]) if not text.strip() else space.validate(text)
    reports = [space.validate(candidate) for candidate in found]
    return next((r for r in reports if r.valid), reports[0])


def validate_batch(space: Space, batch: list[Candidate], known: Callable[[str], bool],
                   ) -> tuple[list[Candidate], list[list[Issue]]]:
    """Judge every pending candidate: invalid (with issues), duplicate (`known` or earlier in the batch), valid."""
    seen = {c["canonical"] for c in batch if c["status"] == "valid" and c["canonical"]}
    judged: list[Candidate] = []
    issues: list[list[Issue]] = []
    for candidate in batch:
        found: list[Issue] = []
        if candidate["status"] == "pending":
            report = check_text(space, candidate["text"])
            if not report.valid:
                found = report.errors
                candidate = {**candidate, "status": "invalid", "errors": [str(e) for e in found]}
            else:
                duplicate = report.canonical in seen or known(report.canonical)
                seen.add(report.canonical)
                found = [duplicate_issue(space, report, lambda c: c not in seen and not known(c),
                                         f"{candidate['call_key']}:{candidate['round']}")] if duplicate else []
                candidate = {**candidate, "status": "duplicate" if duplicate else "valid",
                             "canonical": report.canonical, "errors": [str(i) for i in found]}
        judged.append(candidate)
        issues.append(found)
    return judged, issues


async def validator(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Graph node: validate the batch, record every verdict, pick the slots to send back for repair."""
    ctx = runtime.context
    started = time.time()
    scoring = {c["canonical"] for c in state["in_flight"]}
    batch, issues = validate_batch(
        ctx.space, state["batch"], lambda canonical: canonical in scoring or bool(ctx.store.evaluated([canonical]))
    )
    for before, after, found in zip(state["batch"], batch, issues, strict=True):
        if before["status"] == "pending":
            ctx.store.record_proposal(ProposalRecord(
                call_key=after["call_key"], step=after["step"], round=after["round"], slot=after["slot"],
                phase=after["phase"], agent=after["agent"], status=after["status"], canonical=after["canonical"],
                errors=[i.to_dict() for i in found]))
    can_repair = state["round"] < ctx.config.repair_rounds
    repair_slots = [c["slot"] for c in batch if c["status"] in ("invalid", "duplicate") and can_repair]
    counts = {s: sum(c["status"] == s for c in batch) for s in ("valid", "invalid", "duplicate", "failed")}
    finished = time.time()
    ctx.store.record_node(NodeRecord(step=state["step"], node="validator", phase=state["phase"], round=state["round"],
                                     started_at=started, finished_at=finished, data={**counts, "repair": repair_slots}))
    usage = {**state["usage"], "elapsed_s": state["usage"]["elapsed_s"] + finished - started}
    return {"batch": batch, "repair_slots": repair_slots,
            "round": state["round"] + 1 if repair_slots else state["round"], "usage": usage}
