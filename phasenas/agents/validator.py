"""Untrusted LLM text in, checked architectures out: extract, validate, handle duplicates, ask for repairs.

Invalid proposals keep the validator's specific errors and go back to the agent that wrote them for at
most R rounds. Valid ones whose canonical form was already evaluated, is being scored, or appears earlier
in the batch never cost a score: by default (`duplicates: neighbour`) the validator scores an unexplored
neighbour of the duplicate instead, since the local models, asked again, mostly echoed the same network;
with `duplicates: repair` the duplicate goes back like an invalid answer, asking for a different one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from typing import Any

from langgraph.runtime import Runtime

from phasenas.agents.proposer import settings_of
from phasenas.graph.context import SearchContext
from phasenas.graph.state import AGENT_OF_PHASE, Candidate, SearchState
from phasenas.space import Arch, Issue, Space, ValidationReport
from phasenas.store import NEIGHBOUR_MODEL, NodeRecord, ProposalRecord, ProposalStatus

NO_ARCHITECTURE = Issue("no_architecture", "the answer contains no architecture string")
DUPLICATE = "this architecture was already proposed"
_TRIES_PER_DISTANCE = 16
_MAX_DISTANCE = 4


def unexplored_neighbour(space: Space, arch: Arch, is_new: Callable[[str], bool], seed: str) -> str | None:
    """The nearest canonical architecture not yet proposed that random mutations of `arch` find, or None.

    One mutation away first, then two, up to four: near the top of a long search every single-layer neighbour
    of a good network may already be scored (measured: 59 of 149 refine calls of one 100-evaluation run were
    repairs after 8 single-mutation tries found nothing). The RNG is seeded by the call, so a replay or a
    resumed step finds the very same neighbour.
    """
    rng = random.Random(seed)
    for distance in range(1, _MAX_DISTANCE + 1):
        for _ in range(_TRIES_PER_DISTANCE):
            walked = arch
            for _ in range(distance):
                walked = space.mutate(walked, rng)
            neighbour = space.canonical(walked)
            if is_new(neighbour):
                return neighbour
    return None


def duplicate_issue(neighbour: str | None, replaced: bool) -> Issue:
    """The duplicate verdict: the neighbour scored in its place, or suggested to start from in a repair."""
    if replaced:
        return Issue("duplicate", f"{DUPLICATE}; scored its unexplored neighbour instead: {neighbour}")
    if neighbour is None:
        return Issue("duplicate", f"{DUPLICATE}; propose a different one")
    return Issue("duplicate",
                 f"{DUPLICATE}; propose a different one, for example this unexplored neighbour: {neighbour}")


def check_text(space: Space, text: str) -> ValidationReport:
    """The first valid architecture in the answer, else the errors of the first candidate string found."""
    found = space.extract(text)
    if not found:
        return ValidationReport(valid=False, errors=[NO_ARCHITECTURE]) if not text.strip() else space.validate(text)
    reports = [space.validate(candidate) for candidate in found]
    return next((r for r in reports if r.valid), reports[0])


def _record(candidate: Candidate, status: ProposalStatus, canonical: str | None, issues: list[Issue]) -> ProposalRecord:
    return ProposalRecord(call_key=candidate["call_key"], step=candidate["step"], round=candidate["round"],
                          slot=candidate["slot"], phase=candidate["phase"], agent=candidate["agent"],
                          status=status, canonical=canonical, errors=[i.to_dict() for i in issues])


def validate_batch(space: Space, batch: list[Candidate], known: Callable[[str], bool],
                   replace_duplicates: Collection[str] = ()) -> tuple[list[Candidate], list[ProposalRecord]]:
    """Judge every pending candidate: invalid (with issues), duplicate (`known` or earlier in the batch), valid.

    Returns the judged batch and one record per answer judged now. A duplicate from an agent named in
    `replace_duplicates` becomes a valid candidate for its unexplored neighbour (model `NEIGHBOUR_MODEL`),
    while its record still says what the answer was: a duplicate of that canonical form.
    """
    seen = {c["canonical"] for c in batch if c["status"] == "valid" and c["canonical"]}
    judged: list[Candidate] = []
    records: list[ProposalRecord] = []
    for candidate in batch:
        if candidate["status"] != "pending":
            judged.append(candidate)
            continue
        report = check_text(space, candidate["text"])
        if not report.valid:
            judged.append({**candidate, "status": "invalid", "errors": [str(e) for e in report.errors]})
            records.append(_record(candidate, "invalid", None, report.errors))
            continue
        canonical, arch = report.canonical, report.arch
        assert canonical is not None and arch is not None, "a valid report has both"
        if canonical not in seen and not known(canonical):
            seen.add(canonical)
            judged.append({**candidate, "status": "valid", "canonical": canonical, "errors": []})
            records.append(_record(candidate, "valid", canonical, []))
            continue
        neighbour = unexplored_neighbour(space, arch, lambda c: c not in seen and not known(c),
                                         f"{candidate['call_key']}:{candidate['round']}")
        substitute = neighbour if candidate["agent"] in replace_duplicates else None
        issue = duplicate_issue(neighbour, replaced=substitute is not None)
        if substitute is not None:
            seen.add(substitute)
            judged.append({**candidate, "status": "valid", "canonical": substitute, "model": NEIGHBOUR_MODEL,
                           "errors": [str(issue)]})
        else:
            judged.append({**candidate, "status": "duplicate", "canonical": canonical, "errors": [str(issue)]})
        records.append(_record(candidate, "duplicate", canonical, [issue]))
    return judged, records


async def validator(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Graph node: validate the batch, record every verdict, pick the slots to send back for repair."""
    ctx = runtime.context
    started = time.time()
    scoring = {c["canonical"] for c in state["in_flight"]}
    replace = [agent for agent in AGENT_OF_PHASE.values() if settings_of(ctx, agent).duplicates == "neighbour"]
    batch, records = validate_batch(
        ctx.space, state["batch"], lambda canonical: canonical in scoring or bool(ctx.store.evaluated([canonical])),
        replace,
    )
    for record in records:
        ctx.store.record_proposal(record)
    can_repair = state["round"] < ctx.config.repair_rounds
    repair_slots = [c["slot"] for c in batch if c["status"] in ("invalid", "duplicate") and can_repair]
    counts = {s: sum(c["status"] == s for c in batch) for s in ("valid", "invalid", "duplicate", "failed")}
    counts["neighbours"] = sum(before["status"] == "pending" and after["model"] == NEIGHBOUR_MODEL
                               for before, after in zip(state["batch"], batch, strict=True))
    finished = time.time()
    ctx.store.record_node(NodeRecord(step=state["step"], node="validator", phase=state["phase"], round=state["round"],
                                     started_at=started, finished_at=finished, data={**counts, "repair": repair_slots}))
    usage = {**state["usage"], "elapsed_s": state["usage"]["elapsed_s"] + finished - started}
    return {"batch": batch, "repair_slots": repair_slots,
            "round": state["round"] + 1 if repair_slots else state["round"], "usage": usage}
