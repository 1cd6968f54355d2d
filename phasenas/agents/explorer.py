"""Phase I: the small, hot model proposes new architectures from the task, the pool's best and a diverse few."""

from __future__ import annotations

import random
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from phasenas.agents.inputs import budget_text, entries_text, focus
from phasenas.agents.proposer import propose
from phasenas.graph.context import SearchContext
from phasenas.graph.pool import top_and_diverse
from phasenas.graph.state import SearchState


def start_design(ctx: SearchContext, step: int, slot: int) -> str:
    """A random design for one call, the same on every replay (seeded by run seed, step and slot)."""
    rng = random.Random(f"{ctx.config.seed}:{step}:{slot}")
    return ctx.space.canonical(ctx.space.sample(rng))


def explore_inputs(ctx: SearchContext, state: SearchState, step: int, slot: int) -> dict[str, Any]:
    """Inputs of the explore prompts for one of the k calls of a step (a version may use a subset)."""
    pool_settings = ctx.config.pool
    top, diverse = top_and_diverse(state["pool"], pool_settings.show_top, pool_settings.show_diverse)
    return {
        "space_description": ctx.space.describe(),
        "task": ctx.space.task_text(),
        "budget": budget_text(ctx.space),
        "top": entries_text(top),
        "diverse": entries_text(diverse),
        "start": start_design(ctx, step, slot),
        "focus": focus(ctx.space.explore_foci, step, slot, ctx.config.explorer.proposals),
    }


async def explorer(state: SearchState, config: RunnableConfig, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Graph node: k concurrent explore calls (or repairs of this agent's invalid proposals)."""
    return await propose(state, config, runtime.context, "explorer", "explore", explore_inputs)
