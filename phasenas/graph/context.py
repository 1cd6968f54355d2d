"""What every node needs besides the state: the run's fixed collaborators (never checkpointed).

LangGraph hands this to nodes as `runtime.context`; it is rebuilt from the config snapshot on resume,
which is why nothing in it may carry search progress.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from phasenas.agents.pipeline import ScoringPipeline
from phasenas.config import SearchConfig
from phasenas.graph.routing import RoutingPolicy
from phasenas.llm.constraints import OutputConstraint
from phasenas.prompts import Prompt
from phasenas.space import Space
from phasenas.store import RunStore


@dataclass
class SearchContext:
    """The run's space, store, models, prompts, scoring pipeline and routing policy."""

    config: SearchConfig
    space: Space
    store: RunStore
    models: dict[str, BaseChatModel]
    prompts: dict[str, Prompt]
    pipeline: ScoringPipeline
    constraint: OutputConstraint | None
    policy: RoutingPolicy
