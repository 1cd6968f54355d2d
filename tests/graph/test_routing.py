"""The router and the auto thresholds are pure functions of the state: tested without a graph."""

from __future__ import annotations

import pytest

from phasenas.config import BudgetSettings, ThresholdSettings
from phasenas.graph.routing import (
    RoutingPolicy,
    auto_thresholds,
    plateaued,
    route,
    route_after_validation,
    stop_reason,
)
from phasenas.graph.state import SearchState, initial_state


def state(**changes: object) -> SearchState:
    base = initial_state(gamma_trans=10.0, gamma_stop=20.0)
    usage = {**base["usage"], **changes.pop("usage", {})}  # type: ignore[dict-item]
    return {**base, "usage": usage, **changes}  # type: ignore[typeddict-item]


def policy(stuck_steps: int = 0, one_way: bool = True, **budget: object) -> RoutingPolicy:
    limits = {"evaluations": 100, **budget}
    return RoutingPolicy(BudgetSettings(**limits), ThresholdSettings(stuck_steps=stuck_steps, one_way=one_way))


def test_explores_until_best_reaches_gamma_trans_exactly() -> None:
    assert route(state(best_score=None), policy()) == "explorer"
    assert route(state(best_score=9.999999), policy()) == "explorer"
    assert route(state(best_score=10.0), policy()) == "refiner"


def test_stops_at_gamma_stop_exactly() -> None:
    assert route(state(best_score=19.99, phase="refine"), policy()) == "refiner"
    assert route(state(best_score=20.0, phase="refine"), policy()) == "stop"
    assert stop_reason(state(best_score=20.0), policy()) == "gamma_stop"


@pytest.mark.parametrize(("usage", "limit", "reason"), [
    ({"evaluations": 100}, {}, "budget:evaluations"),
    ({"llm_calls": 7}, {"llm_calls": 7}, "budget:llm_calls"),
    ({"tokens": 5000}, {"tokens": 5000}, "budget:tokens"),
    ({"cost_usd": 0.5}, {"cost_usd": 0.5}, "budget:cost_usd"),
    ({"elapsed_s": 60.0}, {"wall_seconds": 60.0}, "budget:wall_seconds"),
])
def test_every_budget_stops_the_search(usage: dict, limit: dict, reason: str) -> None:
    spent = state(best_score=1.0, usage=usage)
    assert route(spent, policy(**limit)) == "stop"
    assert stop_reason(spent, policy(**limit)) == reason
    one_short = {k: v - 1 for k, v in usage.items()}
    assert route(state(best_score=1.0, usage=one_short), policy(**limit)) == "explorer"


def test_stop_takes_precedence_over_refine() -> None:
    assert route(state(best_score=25.0, phase="explore"), policy()) == "stop"


def test_switch_is_one_way_by_default() -> None:
    refining = state(best_score=1.0, phase="refine")  # e.g. auto thresholds or the stuck guard switched
    assert route(refining, policy()) == "refiner"
    assert route(refining, policy(one_way=False)) == "explorer"


def test_stuck_guard_switches_after_p_explorer_steps_without_improvement() -> None:
    assert route(state(best_score=1.0, stuck=2), policy(stuck_steps=3)) == "explorer"
    assert route(state(best_score=1.0, stuck=3), policy(stuck_steps=3)) == "refiner"
    assert route(state(best_score=1.0, stuck=50), policy(stuck_steps=0)) == "explorer"  # 0 turns it off


def test_repairs_go_back_to_the_agent_of_the_phase() -> None:
    assert route_after_validation(state(repair_slots=[1], phase="explore")) == "explorer"
    assert route_after_validation(state(repair_slots=[0, 2], phase="refine")) == "refiner"
    assert route_after_validation(state(repair_slots=[])) == "scorer"


def test_plateau_measures_the_best_scores_gain_against_the_pools_spread() -> None:
    assert not plateaued([1.0, 1.0], window=2, tolerance=0.1, spread=1.0)  # not enough history
    assert not plateaued([1.0, 1.5, 2.0], window=2, tolerance=0.1, spread=1.0)
    assert plateaued([2.0, 2.05, 2.08], window=2, tolerance=0.1, spread=1.0)
    # the same gain is a plateau among widely spread scores and progress among close ones: no unit, no offset
    assert plateaued([93.0, 93.0, 93.2], window=2, tolerance=0.05, spread=10.0)
    assert not plateaued([93.0, 93.0, 93.2], window=2, tolerance=0.05, spread=1.0)


def test_auto_mode_sets_gamma_trans_then_gamma_stop_on_plateaus() -> None:
    rules = ThresholdSettings(mode="auto", plateau_window=2, plateau_tolerance=0.01, warmup_evaluations=8)
    pool = [{"canonical": f"a{i}", "score": s, "step": 1, "agent": "explorer"} for i, s in enumerate((5.0, 3.0, 1.0))]
    exploring = state(gamma_trans=None, gamma_stop=None, best_score=5.0, progress=[5.0, 5.0, 5.01], pool=pool,
                      usage={"evaluations": 12})
    assert auto_thresholds(exploring, rules) == (5.0, None)
    assert route({**exploring, "gamma_trans": 5.0}, policy()) == "refiner"  # type: ignore[typeddict-item]
    still_rising = {**exploring, "progress": [4.0, 4.5, 5.0]}
    assert auto_thresholds(still_rising, rules) == (None, None)  # type: ignore[arg-type]
    in_warmup = {**exploring, "usage": {**exploring["usage"], "evaluations": 7}}
    assert auto_thresholds(in_warmup, rules) == (None, None)  # type: ignore[arg-type]
    refining = {**exploring, "phase": "refine", "gamma_trans": 5.0, "best_score": 6.0}
    assert auto_thresholds(refining, rules) == (5.0, 6.0)  # type: ignore[arg-type]
    assert route({**refining, "gamma_stop": 6.0}, policy()) == "stop"  # type: ignore[typeddict-item]


def test_fixed_mode_never_changes_thresholds() -> None:
    flat = state(best_score=5.0, progress=[4.0, 4.0, 4.0], usage={"evaluations": 50})
    assert auto_thresholds(flat, ThresholdSettings(mode="fixed", plateau_window=2)) == (10.0, 20.0)
