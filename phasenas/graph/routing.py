"""Where the search goes next, and when thresholds fire: pure functions of the state and the policy.

Order of the decision after scoring (the paper's loop plus budgets and the stuck guard):
1. stop   - best score >= gamma_stop, or any budget spent;
2. refine - already refining (one-way switch), best score >= gamma_trans, or P explorer steps without
            improvement (the "stuck in exploration" failure of the paper);
3. explore.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from phasenas.config import BudgetSettings, ThresholdSettings
from phasenas.graph.state import SearchState

Route = Literal["explorer", "refiner", "stop"]


@dataclass(frozen=True)
class RoutingPolicy:
    """The fixed part of routing: limits and switch rules from the config."""

    budget: BudgetSettings
    thresholds: ThresholdSettings


def stop_reason(state: SearchState, policy: RoutingPolicy) -> str | None:
    """Why the search must stop now, or None."""
    best, gamma_stop = state["best_score"], state["gamma_stop"]
    if best is not None and gamma_stop is not None and best >= gamma_stop:
        return "gamma_stop"
    used, budget = state["usage"], policy.budget
    limits = (
        ("evaluations", used["evaluations"], budget.evaluations),
        ("llm_calls", used["llm_calls"], budget.llm_calls),
        ("tokens", used["tokens"], budget.tokens),
        ("cost_usd", used["cost_usd"], budget.cost_usd),
        ("wall_seconds", used["elapsed_s"], budget.wall_seconds),
    )
    for name, spent, limit in limits:
        if limit is not None and spent >= limit:
            return f"budget:{name}"
    return None


def route(state: SearchState, policy: RoutingPolicy) -> Route:
    """The next node after scoring (and at the start of a run)."""
    if stop_reason(state, policy) is not None:
        return "stop"
    rules = policy.thresholds
    if state["phase"] == "refine" and rules.one_way:
        return "refiner"
    best, gamma_trans = state["best_score"], state["gamma_trans"]
    if best is not None and gamma_trans is not None and best >= gamma_trans:
        return "refiner"
    if rules.stuck_steps and state["stuck"] >= rules.stuck_steps:
        return "refiner"
    return "explorer"


def route_after_validation(state: SearchState) -> Literal["explorer", "refiner", "scorer"]:
    """Invalid proposals go back to the agent that wrote them while repair rounds remain."""
    if state["repair_slots"]:
        return "refiner" if state["phase"] == "refine" else "explorer"
    return "scorer"


def plateaued(progress: list[float], window: int, tolerance: float, spread: float) -> bool:
    """Whether the best score gained at most `tolerance` x `spread` over the last `window` steps.

    `spread` is the range of the pool's scores: measuring the gain against it makes the test free of the
    proxy's unit and offset (accuracies near 93 %, NASWOT in the hundreds), where a gain relative to the
    score itself would depend on both.
    """
    if len(progress) <= window:
        return False
    before, now = progress[-1 - window], progress[-1]
    return now - before <= tolerance * spread


def auto_thresholds(state: SearchState, rules: ThresholdSettings) -> tuple[float | None, float | None]:
    """Thresholds after this step; auto mode fills in those left unset once a phase plateaus.

    A plateau of the best score in Phase I sets gamma_trans to the best score (switch now); a plateau in
    Phase II sets gamma_stop to the best score (stop now). Users need not know the scale of a proxy. (The
    best score, not the pool mean: the mean keeps rising while the pool fills, so it never plateaus early.)
    """
    gamma_trans, gamma_stop = state["gamma_trans"], state["gamma_stop"]
    if rules.mode != "auto" or state["best_score"] is None:
        return gamma_trans, gamma_stop
    if state["usage"]["evaluations"] < rules.warmup_evaluations:
        return gamma_trans, gamma_stop
    scores = [e["score"] for e in state["pool"]]
    if not plateaued(state["progress"], rules.plateau_window, rules.plateau_tolerance, max(scores) - min(scores)):
        return gamma_trans, gamma_stop
    if state["phase"] == "explore" and gamma_trans is None:
        return state["best_score"], gamma_stop
    if state["phase"] == "refine" and gamma_stop is None:
        return gamma_trans, state["best_score"]
    return gamma_trans, gamma_stop
