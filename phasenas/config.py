"""The one configuration model of phasenas (a search's settings; the CLI extends it, never forks it).

Every knob of the PhaseNAS loop lives here so that a run directory's config snapshot alone is enough to
resume or replay a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from phasenas.llm.accounting import Price
from phasenas.llm.packaged import default_models

ModelSpec = str | dict[str, Any]


def _default_model(agent: str) -> dict[str, Any]:
    """The embedded offline model of an agent; sampling settings come from AgentSettings, not the spec."""
    spec = dict(default_models()[agent])
    for owned_by_agent_settings in ("temperature", "max_tokens"):
        spec.pop(owned_by_agent_settings, None)
    return spec


class _Strict(BaseModel):
    """Unknown keys are errors: a typo in a config file must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid")


class AgentSettings(_Strict):
    """One proposing agent: which model, which prompt version, how hot, how many proposals per step."""

    model: ModelSpec = Field(description="Chat model spec for phasenas.llm.create_chat_model, or provider 'replay'.")
    prompt: str = Field(description="Prompt reference 'name@version' in this agent's prompt directory.")
    temperature: float = Field(ge=0.0, le=2.0)
    proposals: int = Field(ge=1, le=64, description="k: concurrent LLM calls (one architecture each) per step.")
    max_tokens: int = Field(default=384, ge=16)
    duplicates: Literal["neighbour", "repair"] = Field(
        default="neighbour",
        description="An answer that repeats an evaluated architecture: score the validator's unexplored neighbour "
                    "of it instead (no extra call), or send it back for repair like an invalid one. Asked again, the "
                    "local models wrote a network other than the duplicate or the suggested neighbour in 8 of 123 "
                    "repairs.",
    )


class ThresholdSettings(_Strict):
    """When to switch from exploring to refining (gamma_trans) and when to stop (gamma_stop)."""

    mode: Literal["fixed", "auto"] = "fixed"
    gamma_trans: float | None = Field(default=None, description="Refine once best score >= this (fixed mode).")
    gamma_stop: float | None = Field(default=None, description="Stop once best score >= this (fixed mode).")
    one_way: bool = Field(default=True, description="Once refining, never go back to exploring.")
    stuck_steps: int = Field(default=3, ge=0, description="P: switch after P explorer steps without improvement (0: off).")
    plateau_window: int = Field(default=3, ge=1, description="Auto mode: steps over which the best score's gain is measured.")
    plateau_tolerance: float = Field(
        default=0.05, ge=0.0,
        description="Auto mode: a phase has plateaued when the best score gained at most this fraction of the "
                    "pool's score range over the window.",
    )
    warmup_evaluations: int = Field(default=8, ge=0, description="Auto mode: evaluations before a plateau may count.")


class BudgetSettings(_Strict):
    """Hard limits; the first one spent stops the search (None: unlimited)."""

    evaluations: int | None = Field(default=32, ge=1)  # the no-config quick start finishes in minutes on 2 cores
    llm_calls: int | None = Field(default=None, ge=1)
    tokens: int | None = Field(default=None, ge=1)
    cost_usd: float | None = Field(default=None, ge=0.0)
    wall_seconds: float | None = Field(default=None, gt=0.0)

    @model_validator(mode="after")
    def _at_least_one(self) -> BudgetSettings:
        if all(v is None for v in (self.evaluations, self.llm_calls, self.tokens, self.cost_usd, self.wall_seconds)):
            raise ValueError("budget: set at least one limit, or a search may never end")
        return self


class PoolSettings(_Strict):
    """The top-K pool the agents see."""

    size: int = Field(default=8, ge=1, description="K: architectures kept.")
    show_top: int = Field(default=3, ge=0, description="Best pool members shown in prompts.")
    show_diverse: int = Field(default=3, ge=0, description="Extra, mutually dissimilar pool members shown in prompts.")
    show_tried: int = Field(
        default=6, ge=0, description="Refine prompts: evaluated architectures nearest the candidate, with scores."
    )
    max_similarity: float | None = Field(
        default=None, gt=0.0, le=1.0, description="Keep out near-duplicates: canonical-string similarity limit."
    )


class ScoringSettings(_Strict):
    """How candidates are scored (phasenas.scoring)."""

    proxy: str | None = Field(default=None, description="Zero-shot proxy; default: the space's (naswot on macro).")
    backend: Literal["local", "ray"] = "local"
    workers: int | None = Field(default=None, ge=1, description="Scoring workers; default one per core or GPU.")
    batch_size: int | None = Field(default=None, ge=2, description="Proxy input batch; default: the scoring default.")
    cache_dir: Path | None = Field(default=None, description="Score cache; default <run dir>/score-cache.")
    overlap: bool = Field(default=True, description="Score one batch while the agents write the next.")


class RerankSettings(_Strict):
    """The search setting of the guard (``SearchConfig.rerank``); off unless enabled with a local dataset."""

    enabled: bool = False
    top_k: int = Field(default=3, ge=2, description="How many of the best-scored architectures to train.")
    epochs: int = Field(default=2, ge=1, description="Epochs of each short training.")
    train_subset: int | None = Field(default=5000, ge=1, description="Training images used (None: all).")
    val_subset: int | None = Field(default=2000, ge=1, description="Validation images used (None: all).")
    batch_size: int = Field(default=128, ge=2)
    dataset: Literal["cifar10", "cifar100", "imagefolder"] = "cifar10"
    data_dir: Path | None = Field(default=None, description="Local dataset directory (never downloaded).")
    device: str | None = None
    seed: int = 0

    @model_validator(mode="after")
    def _data_when_enabled(self) -> RerankSettings:
        if self.enabled and self.data_dir is None:
            raise ValueError("rerank: enabled needs data_dir (a local copy of the dataset)")
        return self


class SearchConfig(_Strict):
    """A whole search: space, agents, thresholds, budgets, pool, scoring, where runs live."""

    space: str = "macro"
    seed: int = 0
    runs_dir: Path = Path("runs")
    run_id: str | None = Field(default=None, description="Default: a fresh time-based id.")
    explorer: AgentSettings = AgentSettings(
        model=_default_model("explorer"), prompt="explore@2", temperature=0.9, proposals=4
    )
    refiner: AgentSettings = AgentSettings(
        model=_default_model("refiner"), prompt="refine@2", temperature=0.3, proposals=2
    )
    repair_prompt: str = "repair@2"
    repair_rounds: int = Field(default=2, ge=0, description="R: rounds of sending validation errors back.")
    prompt_dir: Path | None = Field(default=None, description="User prompts; override packaged ones by name@version.")
    constraint: Literal["grammar", "json", "none"] = "grammar"
    max_concurrency: int = Field(default=4, ge=1, description="Concurrent LLM calls at most (LangGraph top-level).")
    thresholds: ThresholdSettings = ThresholdSettings()
    budget: BudgetSettings = BudgetSettings()
    pool: PoolSettings = PoolSettings()
    scoring: ScoringSettings = ScoringSettings()
    rerank: RerankSettings = RerankSettings()
    prices: dict[str, Price] = Field(default={}, description="USD per 1k tokens by 'provider:model' or model name.")

    def snapshot(self) -> bytes:
        """The JSON snapshot written to a run directory (paths as strings)."""
        return orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_INDENT_2)

    @classmethod
    def from_snapshot(cls, data: bytes) -> SearchConfig:
        return cls.model_validate(orjson.loads(data))
