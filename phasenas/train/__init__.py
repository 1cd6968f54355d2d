"""Train what a search found, evaluate checkpoints, and guard the pick against proxy mismatch.

>>> from phasenas.train import Recipe
>>> Recipe().epochs, Recipe.short(2).mixup_alpha
(1440, 0.0)

The names load lazily, so the CLI (and `phasenas --help`) does not import torch until training starts.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "CheckpointError": "checkpoint", "ModelInfo": "checkpoint",
    "DatasetMismatch": "data", "DatasetNotFound": "data", "Splits": "data", "TensorImages": "data",
    "load_dataset": "data",
    "Recipe": "recipe",
    "TrainRecord": "records", "training_records": "records",
    "RerankPick": "rerank", "RerankResult": "rerank", "RerankSettings": "rerank", "rerank": "rerank",
    "rerank_pool": "rerank",
    "TrainOutcome": "run", "TrainRequest": "run", "evaluate_checkpoint": "run", "resolve_target": "run", "train": "run",
    "EpochMetrics": "trainer", "Evaluation": "trainer", "Trainer": "trainer", "TrainObserver": "trainer",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"phasenas.train.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module 'phasenas.train' has no attribute {name!r}")
