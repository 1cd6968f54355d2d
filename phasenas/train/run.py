"""Train what a search found: resolve a run (or an architecture), load the data, train or evaluate, record.

The run store of a run receives the metrics (``records``), so ``report`` shows the trained accuracy next to the
proxy score; an architecture trained on its own records into ``<out>/train.sqlite`` instead.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog
import torch

from phasenas.errors import PhaseNASError
from phasenas.space import ArchError, Space, get_space
from phasenas.train.augment import Normalization
from phasenas.train.checkpoint import LAST, ModelInfo, load_checkpoint, model_info
from phasenas.train.data import DatasetMismatch, DatasetName, Splits, load_dataset
from phasenas.train.distributed import Placement, choose_device, leave, place
from phasenas.train.recipe import Recipe
from phasenas.train.records import TrainRecord, record_training
from phasenas.train.trainer import EpochMetrics, Evaluation, Trainer, TrainObserver

log = structlog.get_logger(__name__)

DEFAULT_SPACE = "zen-cifar"
RUN_CONFIG = "config.json"
RUN_STORE = "run.sqlite"
_RUN_ID = re.compile(r"[\w.-]{1,200}")  # an architecture string (parentheses, any length) is never a run id


class NothingToTrain(PhaseNASError):
    """The run has no best architecture yet (nothing scored)."""


@dataclass(frozen=True)
class Target:
    """What to train: a canonical architecture in a space, and where its metrics and checkpoints go."""

    canonical: str
    space: Space
    store: Path | None
    default_out: Path
    run_id: str | None = None


def resolve_target(target: str, runs_dir: Path, space: str | None = None) -> Target:
    """A run id under ``runs_dir`` (its best architecture and space) or an architecture string (``space``)."""
    directory = runs_dir / target
    if _RUN_ID.fullmatch(target) and (directory / RUN_CONFIG).is_file():
        from phasenas.runs import (  # the graph stack, only when a run is named
            load_config,
            load_result,
        )

        result = load_result(target, runs_dir)
        if result.best is None:
            raise NothingToTrain(f"run {target!r} has no scored architecture yet")
        the_space = get_space(space or load_config(target, runs_dir).space)
        return Target(result.best, the_space, directory / RUN_STORE, directory / "train", run_id=target)
    the_space = get_space(space or DEFAULT_SPACE)
    text = str(the_space.parse(target))  # the full check waits until the data has fixed classes and channels
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return Target(text, the_space, None, runs_dir / "train" / digest)


def _checked(space: Space, text: str) -> str:
    """The canonical form, valid in the space's language and task (search budgets do not limit training)."""
    report = space.with_budget(max_params=None, max_flops=None).validate(text)
    if not report.valid or report.canonical is None:
        raise ArchError(report.errors)
    return report.canonical


def fitted_space(space: Space, splits: Splits) -> Space:
    """The space re-targeted at the data: its classes, image channels and resolution."""
    return space.with_task(classes=splits.classes, image_channels=splits.channels, resolution=splits.resolution)


class RecordingObserver:
    """Appends every finished epoch to the ``train`` table of a store."""

    def __init__(self, store: Path, session: str, info: ModelInfo) -> None:
        self.store, self.session, self.info = store, session, info

    def epoch_started(self, epoch: int, epochs: int, batches: int) -> None:
        """Nothing to record before the epoch has metrics."""

    def batch_done(self) -> None:
        """Per-batch progress is not recorded."""

    def epoch_done(self, metrics: EpochMetrics) -> None:
        record_training(self.store, TrainRecord(
            session=self.session, kind="epoch", canonical=self.info.canonical, space=self.info.space,
            dataset=self.info.dataset, epoch=metrics.epoch, epochs=metrics.epochs, val_loss=metrics.val_loss,
            val_acc=metrics.val_acc, val_top5=metrics.val_top5, seconds=metrics.seconds,
            train_loss=metrics.train_loss, train_acc=metrics.train_acc, lr=metrics.lr))


@dataclass(frozen=True)
class TrainRequest:
    """A ``phasenas train`` invocation, as data."""

    target: str
    dataset: DatasetName
    data_dir: Path
    space: str | None = None
    runs_dir: Path = Path("runs")
    out_dir: Path | None = None
    recipe: Recipe = field(default_factory=Recipe)
    device: str | None = None
    resume: bool = False
    resolution: int | None = None
    subset: int | None = None


@dataclass(frozen=True)
class TrainOutcome:
    """What a training produced; ``main`` is False in the non-zero ranks of a distributed training."""

    info: ModelInfo
    out_dir: Path
    store: Path
    history: list[EpochMetrics]
    main: bool = True


def load_splits(dataset: DatasetName, data_dir: Path, space: Space, resolution: int | None,
                subset: int | None = None, seed: int = 0) -> Splits:
    splits = load_dataset(dataset, data_dir, resolution or space.task.resolution, space.task.image_channels)
    return splits.subset(train=subset, seed=seed) if subset else splits


def train(request: TrainRequest, observers: Sequence[TrainObserver] = ()) -> TrainOutcome:
    """Train the request's architecture; with ``resume``, continue ``<out>/last.pt`` under its own recipe."""
    target = resolve_target(request.target, request.runs_dir, request.space)
    out_dir = request.out_dir or target.default_out / request.dataset
    store = target.store or out_dir / "train.sqlite"
    recipe = request.recipe
    if request.resume:
        saved = Recipe.model_validate(load_checkpoint(out_dir / LAST)["recipe"])
        recipe = saved.model_copy(update={"epochs": request.recipe.epochs, "workers": request.recipe.workers})
    splits = load_splits(request.dataset, request.data_dir, target.space, request.resolution, request.subset,
                         recipe.seed)
    space = fitted_space(target.space, splits)
    canonical = _checked(space, target.canonical)
    info = ModelInfo(canonical, space.name, request.dataset, splits.classes, splits.channels, splits.resolution)
    placement = place(request.device)
    try:
        torch.manual_seed(recipe.seed)
        trainer = Trainer(space.build(space.parse(canonical)), splits, recipe, info, placement=placement,
                          out_dir=out_dir, observers=[*observers, RecordingObserver(store, str(out_dir), info)])
        if request.resume:
            trainer.resume(out_dir / LAST)
        log.info("train.started", canonical=canonical, dataset=request.dataset, out_dir=str(out_dir),
                 from_epoch=trainer.epoch, epochs=recipe.epochs, device=str(placement.device),
                 world_size=placement.world_size)
        history = trainer.fit()
    finally:
        leave(placement)
    return TrainOutcome(info, out_dir, store, history, placement.is_main)


def evaluate_checkpoint(checkpoint: Path, dataset: DatasetName, data_dir: Path, *, device: str | None = None,
                        batch_size: int = 256, store: Path | None = None) -> tuple[ModelInfo, Evaluation]:
    """Evaluation only: rebuild the checkpoint's network, load its weights, measure it on the validation split."""
    placement = Placement(choose_device(device))
    payload = load_checkpoint(checkpoint, placement.device)
    info = model_info(payload)
    space = get_space(info.space).with_task(classes=info.classes, image_channels=info.channels,
                                            resolution=info.resolution)
    splits = load_dataset(dataset, data_dir, info.resolution, info.channels)
    if splits.classes != info.classes:
        raise DatasetMismatch(f"{checkpoint} was trained for {info.classes} classes, {dataset} has {splits.classes}")
    model = space.build(space.parse(info.canonical))
    model.load_state_dict(payload["model"])
    normalization = Normalization(tuple(payload["normalization"]["mean"]), tuple(payload["normalization"]["std"]))
    trainer = Trainer(model, splits, Recipe(epochs=1, batch_size=max(1, batch_size // 2)), info,
                      placement=placement, normalization=normalization)
    started = time.perf_counter()
    evaluation = trainer.evaluate()
    seconds = time.perf_counter() - started
    if store is not None:
        record_training(store, TrainRecord(
            session=str(checkpoint), kind="eval", canonical=info.canonical, space=info.space, dataset=dataset,
            epoch=int(payload["epoch"]), epochs=int(payload["epoch"]), val_loss=evaluation.loss,
            val_acc=evaluation.top1, val_top5=evaluation.top5, seconds=seconds))
    log.info("train.evaluated", checkpoint=str(checkpoint), top1=evaluation.top1, images=evaluation.images)
    return info, evaluation
