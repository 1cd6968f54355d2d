"""Phase II: the large, cool model makes targeted improvements of the top-K candidates.

Entering this node for a fresh step while the state still says "explore" is the phase switch: it is
recorded as an event, and the per-phase progress counters start over.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

import structlog
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from phasenas.agents.inputs import budget_text, entries_text, focus
from phasenas.agents.proposer import propose
from phasenas.graph.context import SearchContext
from phasenas.graph.pool import similarity
from phasenas.graph.state import SearchState

log = structlog.get_logger(__name__)


_BLOCK = re.compile(r"[A-Za-z][A-Za-z0-9]*\([^()]*\)(?:x\d+)?")


def edit_text(before: str, after: str) -> str:
    """`after` as edits of `before`, layer by layer ("layer 3: MB3K3(64,64,1) -> Skip(64,64,1)").

    Layers count from 0, as the yolo space's `from` indices do (in NAS-Bench-Macro, layer 0 is the stem and
    layers 1-8 are the eight op blocks). Far shorter than the whole string (a refine prompt with six full
    NAS-Bench-Macro strings took ~1.9k tokens), and it says directly which change led to which score.
    """
    old, new = _BLOCK.findall(before) or before.split(), _BLOCK.findall(after) or after.split()
    edits = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            edits.append(f"layer {i1}: {' '.join(old[i1:i2]) or '(insert)'} -> {' '.join(new[j1:j2]) or '(remove)'}")
    return "; ".join(edits) or "(same network)"


def nearest_tried(candidate: str, scored: dict[str, float], n: int) -> list[tuple[str, float]]:
    """The `n` evaluated architectures most like `candidate` (itself excluded) with their scores, best first.

    Shown to the refiner so it sees which edits of the candidate were tried and what they scored; ties in
    similarity break by canonical form, so a replay renders the same prompt.
    """
    others = sorted((c for c in scored if c != candidate), key=lambda c: (-similarity(candidate, c), c))[:n]
    return sorted(((c, scored[c]) for c in others), key=lambda item: (-item[1], item[0]))


def tried_text(candidate: str, tried: list[tuple[str, float]]) -> str:
    """Prompt lines: each evaluated neighbour as its score and its edits of the candidate."""
    if not tried:
        return "(none yet)"
    return "\n".join(f"- score {score:.4g}: {edit_text(candidate, canonical)}" for canonical, score in tried)


def refine_inputs(ctx: SearchContext, state: SearchState, step: int, slot: int) -> dict[str, Any]:
    """Inputs of the refine prompts: slot i improves the i-th best pool member (cycling over the top)."""
    pool, settings = state["pool"], ctx.config.pool
    top = pool[: max(settings.show_top, 1)]
    target = pool[slot % len(pool)] if pool else None
    candidate = entries_text([target]) if target else "(none yet: design a strong architecture)"
    tried = (tried_text(target["canonical"], nearest_tried(target["canonical"], ctx.store.scored(), settings.show_tried))
             if target else "(none yet)")
    return {
        "space_description": ctx.space.describe(),
        "task": ctx.space.task_text(),
        "budget": budget_text(ctx.space),
        "top": entries_text(top),
        "candidate": candidate,
        "tried": tried,
        "focus": focus(ctx.space.refine_foci, step, slot, ctx.config.refiner.proposals),
    }


async def refiner(state: SearchState, config: RunnableConfig, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Graph node: k concurrent refine calls (or repairs); switches the phase on first entry."""
    ctx = runtime.context
    update = await propose(state, config, ctx, "refiner", "refine", refine_inputs)
    if state["phase"] == "explore":
        ctx.store.record_event("phase.switched", step=update["step"], best_score=state["best_score"],
                               evaluations=state["usage"]["evaluations"], stuck=state["stuck"],
                               gamma_trans=state["gamma_trans"])
        log.info("graph.phase_switched", step=update["step"], best_score=state["best_score"])
        update.update(switched_at_step=update["step"], progress=[], stuck=0)
    return update
