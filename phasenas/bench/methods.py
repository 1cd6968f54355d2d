"""The compared methods: two classic baselines and four PhaseNAS graph configurations (SearchConfig variants).

Every method gets the same budget of scored architectures and no stop threshold (gamma_stop unset), so
they are compared on what they find with equal evaluations, and on the time they take to find it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from phasenas.config import SearchConfig, ThresholdSettings

Feedback = Literal["proxy", "table"]
NEVER = 1e300   # a gamma_trans no score reaches (finite: the config snapshot is JSON, which has no infinity)
AT_ONCE = -1e300  # a gamma_trans every score reaches

# Fixed gamma_trans of `phasenas`, as a user would set it from the scale of the feedback: table: 92.35 % is the
# top-10 % accuracy of the space; proxy: NASWOT (batch 16) of a typical top-10 % network (docs/benchmarks.md).
FIXED_GAMMA_TRANS: dict[Feedback, float] = {"table": 92.35, "proxy": 206.0}


def _static_small(base: SearchConfig, feedback: Feedback) -> SearchConfig:
    """Phase I only: the explorer model throughout (the switch and the stuck guard never fire)."""
    return base.model_copy(update={"thresholds": ThresholdSettings(gamma_trans=NEVER, stuck_steps=0)})


def _static_large(base: SearchConfig, feedback: Feedback) -> SearchConfig:
    """The refiner model throughout: it also writes the first step(s) (no pool yet), then refines."""
    large = base.explorer.model_copy(update={"model": base.refiner.model, "temperature": base.refiner.temperature,
                                             "proposals": base.refiner.proposals,
                                             "max_tokens": base.refiner.max_tokens})
    return base.model_copy(update={"explorer": large,
                                   "thresholds": ThresholdSettings(gamma_trans=AT_ONCE, stuck_steps=0)})


def _phasenas(base: SearchConfig, feedback: Feedback) -> SearchConfig:
    """The paper's loop with a fixed gamma_trans (and the default stuck guard)."""
    return base.model_copy(update={"thresholds": ThresholdSettings(gamma_trans=FIXED_GAMMA_TRANS[feedback])})


def _phasenas_auto(base: SearchConfig, feedback: Feedback) -> SearchConfig:
    """gamma_trans derived from a plateau of the best score; never an early stop (equal budgets)."""
    auto = ThresholdSettings(mode="auto", gamma_stop=NEVER)
    return base.model_copy(update={"thresholds": auto})


@dataclass(frozen=True)
class Method:
    """A compared method: a baseline run by `phasenas.bench.baselines`, or a graph config built from a base."""

    name: str
    kind: Literal["baseline", "graph"]
    configure: Callable[[SearchConfig, Feedback], SearchConfig] | None = None


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("random", "baseline"),
    Method("evolution", "baseline"),
    Method("static-small", "graph", _static_small),
    Method("static-large", "graph", _static_large),
    Method("phasenas", "graph", _phasenas),
    Method("phasenas-auto", "graph", _phasenas_auto),
)}


def method_names() -> list[str]:
    return list(METHODS)


def graph_config(method: Method, base: SearchConfig, feedback: Feedback, *, proxy: str, budget: int, seed: int,
                 run_id: str) -> SearchConfig:
    """The SearchConfig of one graph method run: the method's thresholds/agents, this budget, seed and proxy."""
    assert method.configure is not None, f"{method.name} is not a graph method"
    configured = method.configure(base, feedback)
    return configured.model_copy(update={
        "seed": seed, "run_id": run_id,
        "budget": configured.budget.model_copy(update={"evaluations": budget}),
        "scoring": configured.scoring.model_copy(update={"proxy": proxy}),
    })
