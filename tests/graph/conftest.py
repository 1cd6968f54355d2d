"""Shared helpers for graph tests: a search config on scripted models and the fast analytic 'flops' proxy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from phasenas.config import AgentSettings, SearchConfig
from tests.graph.fakes import sampler


def make_config(runs_dir: Path, *, explorer: dict[str, Any] | None = None, refiner: dict[str, Any] | None = None,
                k_explore: int = 4, k_refine: int = 2, **overrides: Any) -> SearchConfig:
    """A small search on NAS-Bench-Macro scored by FLOPs (exact and instant), driven by SamplingChatModel."""
    settings: dict[str, Any] = {
        "runs_dir": runs_dir,
        "explorer": AgentSettings(model=sampler(**(explorer or {})), prompt="explore@1", temperature=0.9,
                                  proposals=k_explore),
        "refiner": AgentSettings(model=sampler(**(refiner or {})), prompt="refine@1", temperature=0.3,
                                 proposals=k_refine),
        "scoring": {"proxy": "flops", "workers": 1},
        "budget": {"evaluations": 20},
    }
    settings.update(overrides)
    return SearchConfig.model_validate(settings)


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    return tmp_path / "runs"
