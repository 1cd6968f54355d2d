"""Phase II: the large, cool model makes targeted improvements of the top-K candidates.

Entering this node for a fresh step while the state still says "explore" is the phase switch: it is
recorded as an event, and the per-phase progress counters start over.
"""

from __future__ import annotations

from typing import Any

import structlog
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from phasenas.agents.inputs import REFINE_FOCI, budget_text, entries_text, focus, task_text
from phasenas.agents.proposer import propose
from phasenas.graph.context import SearchContext
from phasenas.graph.state import SearchState

log = structlog.get_logger(__name__)


def refine_inputs(ctx: SearchContext, state: SearchState, step: int, slot: int) -> dict[str, Any]:
    """Inputs of the refine prompt: slot i improves the i-th best pool member (cycling over the top)."""
    pool = state["pool"]
    top = pool[: max(ctx.config.pool.show_top, 1)]
    candidate = entries_text([pool[slot % len(pool)]]) if pool else "(none yet: design a strong architecture)"
    return {
        "space_description": ctx.space.describe(),
        "task": task_text(ctx.space),
        "budget": budget_text(ctx.space),
        "top": entries_text(top),
        "candidate": candidate,
        "focus": focus(REFINE_FOCI, step, slot, ctx.config.refiner.proposals),
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
