"""What the explorer and the refiner share: fresh proposals for a step, or repairs of invalid ones.

The two agents differ only in model, prompt, temperature, k and the inputs they render; this module is
the one place where a step's calls are planned, made and turned into a state update.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig

from phasenas.agents.calls import CallRequest, CallSettings, ask_all, model_name
from phasenas.agents.inputs import answer_format
from phasenas.config import AgentSettings
from phasenas.graph.context import SearchContext
from phasenas.graph.state import Agent, Candidate, Phase, SearchState, Usage
from phasenas.llm.constraints import applied_constraint
from phasenas.store import NodeRecord

InputsFor = Callable[[SearchContext, SearchState, int, int], dict[str, Any]]
_MAX_REPAIR_TEXT = 2000


def spend(usage: Usage, *, seconds: float = 0.0, calls: int = 0, tokens: int = 0, cost_usd: float = 0.0,
          evaluations: int = 0) -> Usage:
    """A new Usage with these amounts added (state is never mutated in place)."""
    return Usage(evaluations=usage["evaluations"] + evaluations, llm_calls=usage["llm_calls"] + calls,
                 tokens=usage["tokens"] + tokens, cost_usd=usage["cost_usd"] + cost_usd,
                 elapsed_s=usage["elapsed_s"] + seconds)


def settings_of(ctx: SearchContext, agent: Agent) -> AgentSettings:
    return ctx.config.explorer if agent == "explorer" else ctx.config.refiner


def _format(ctx: SearchContext, agent: Agent) -> str:
    return answer_format(applied_constraint(ctx.models[agent], ctx.constraint))


def _calls_left(ctx: SearchContext, state: SearchState, wanted: int) -> int:
    limit = ctx.policy.budget.llm_calls
    return wanted if limit is None else max(0, min(wanted, limit - state["usage"]["llm_calls"]))


def _fresh_requests(ctx: SearchContext, state: SearchState, agent: Agent, phase: Phase,
                    inputs_for: InputsFor) -> list[CallRequest]:
    step = state["step"] + 1
    prompt = ctx.prompts[agent]
    slots = range(_calls_left(ctx, state, settings_of(ctx, agent).proposals))
    return [CallRequest(agent=agent, phase=phase, step=step, round=0, slot=slot, prompt=prompt,
                        inputs={**inputs_for(ctx, state, step, slot), "answer_format": _format(ctx, agent)})
            for slot in slots]


def _repair_requests(ctx: SearchContext, state: SearchState, agent: Agent, phase: Phase) -> list[CallRequest]:
    by_slot = {c["slot"]: c for c in state["batch"]}
    slots = state["repair_slots"][:_calls_left(ctx, state, len(state["repair_slots"]))]
    # every version gets every input; a prompt renders only those it declares (repair@1 has no task)
    common = {"space_description": ctx.space.describe(), "task": ctx.space.task_text(),
              "answer_format": _format(ctx, agent)}
    return [CallRequest(agent=agent, phase=phase, step=state["step"], round=state["round"], slot=slot,
                        prompt=ctx.prompts["repair"],
                        inputs={**common, "proposal": by_slot[slot]["text"][:_MAX_REPAIR_TEXT] or "(empty answer)",
                                "errors": "\n".join(f"- {e}" for e in by_slot[slot]["errors"])})
            for slot in slots]


async def propose(state: SearchState, config: RunnableConfig, ctx: SearchContext, agent: Agent, phase: Phase,
                  inputs_for: InputsFor) -> dict[str, Any]:
    """Run one agent node: k fresh calls, or one repair call per slot the validator sent back."""
    started = time.time()
    repairing = bool(state["repair_slots"])
    requests = (_repair_requests(ctx, state, agent, phase) if repairing
                else _fresh_requests(ctx, state, agent, phase, inputs_for))
    model = ctx.models[agent]
    settings = CallSettings(model=model, model_name=model_name(model), constraint=ctx.constraint,
                            prices=ctx.config.prices)
    limit = int(config.get("max_concurrency") or ctx.config.max_concurrency)
    answers = await ask_all(requests, settings, ctx.store, limit)
    if repairing:
        replaced = {c["slot"]: c for c in answers.candidates}
        batch: list[Candidate] = [replaced.get(c["slot"], c) for c in state["batch"]]
    else:
        batch = answers.candidates
    step = requests[0].step if requests else state["step"] + (0 if repairing else 1)
    finished = time.time()
    ctx.store.record_node(NodeRecord(step=step, node=agent, phase=phase, round=state["round"] if repairing else 0,
                                     started_at=started, finished_at=finished,
                                     data={"calls": answers.calls, "repair": repairing, "tokens": answers.tokens}))
    return {
        "step": step,
        "round": state["round"] if repairing else 0,
        "phase": phase,
        "batch": batch,
        "repair_slots": [],
        "usage": spend(state["usage"], seconds=finished - started, calls=answers.calls, tokens=answers.tokens,
                       cost_usd=answers.cost_usd),
    }
