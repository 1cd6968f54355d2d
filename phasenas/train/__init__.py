"""Train what a search found, evaluate checkpoints, and guard the pick against proxy mismatch.

>>> from phasenas.train import Recipe
>>> Recipe().epochs, Recipe.short(2).mixup_alpha
(1440, 0.0)
"""

from phasenas.train.checkpoint import CheckpointError, ModelInfo
from phasenas.train.data import (
           DatasetMismatch,
           DatasetNotFound,
           Splits,
           TensorImages,
           load_dataset,
)
from phasenas.train.recipe import Recipe
from phasenas.train.records import TrainRecord, training_records
from phasenas.train.rerank import (
           RerankPick,
           RerankResult,
           RerankSettings,
           rerank,
           rerank_pool,
)
from phasenas.train.run import (
           TrainOutcome,
           TrainRequest,
           evaluate_checkpoint,
           resolve_target,
           train,
)
from phasenas.train.trainer import EpochMetrics, Evaluation, Trainer, TrainObserver

__all__ = ["CheckpointError", "DatasetMismatch", "DatasetNotFound", "EpochMetrics", "Evaluation", "ModelInfo",
           "Recipe", "RerankPick", "RerankResult", "RerankSettings", "Splits", "TensorImages", "TrainObserver",
           "TrainOutcome", "TrainRecord", "TrainRequest", "Trainer", "evaluate_checkpoint", "load_dataset", "rerank",
           "rerank_pool", "resolve_target", "train", "training_records"]
