"""The training loop: one epoch of SGD, one evaluation, one checkpoint, repeated; resumable to the bit on CPU.

Augmentations run on the batch on the device; every random draw comes from state that the checkpoint keeps
(the shuffling is a function of seed and epoch), so ``fit`` after ``resume`` continues exactly where an
uninterrupted run would be.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import structlog
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset

from phasenas.train.augment import (
    Normalization,
    autoaugment,
    mixup,
    random_crop,
    random_erasing,
    random_flip,
)
from phasenas.train.checkpoint import (
    BEST,
    LAST,
    CheckpointError,
    ModelInfo,
    load_checkpoint,
    save_checkpoint,
)
from phasenas.train.data import Splits, channel_stats, with_sample_transform
from phasenas.train.distributed import Placement, choose_device
from phasenas.train.recipe import Recipe

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Evaluation:
    """Validation loss (plain cross-entropy) and top-1 / top-5 accuracy as fractions."""

    loss: float
    top1: float
    top5: float | None
    images: int


@dataclass(frozen=True)
class EpochMetrics:
    """One finished epoch (``epoch`` counts from 1); train accuracy counts mixup partners by their weight."""

    epoch: int
    epochs: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    val_top5: float | None
    lr: float
    seconds: float


class TrainObserver(Protocol):
    """Told about progress by the main process (progress bars, run-store records)."""

    def epoch_started(self, epoch: int, epochs: int, batches: int) -> None: ...

    def batch_done(self) -> None: ...

    def epoch_done(self, metrics: EpochMetrics) -> None: ...


def _parameter_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Weight decay on conv and linear weights only (tensors of 2+ dims), as Zen-NAS trains."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


class Trainer:
    """Trains ``model`` on ``splits`` with ``recipe``; writes ``last.pt`` (every epoch) and ``best.pt`` to ``out_dir``."""

    def __init__(self, model: nn.Module, splits: Splits, recipe: Recipe, info: ModelInfo, *,
                 placement: Placement | None = None, out_dir: Path | None = None,
                 observers: Sequence[TrainObserver] = (), normalization: Normalization | None = None) -> None:
        self.recipe = recipe
        self.info = info
        self.placement = placement or Placement(choose_device(None))
        self.device = self.placement.device
        self.out_dir = out_dir
        self.observers = list(observers) if self.placement.is_main else []
        on_cuda = self.device.type == "cuda"
        self.memory_format = torch.channels_last if on_cuda and recipe.channels_last else torch.contiguous_format
        self.model = model.to(self.device, memory_format=self.memory_format)  # type: ignore[call-overload]
        if recipe.bn_momentum is not None:
            for module in self.model.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.momentum = recipe.bn_momentum
        self.net: nn.Module = (DistributedDataParallel(self.model, device_ids=[self.device.index] if on_cuda else None)
                               if self.placement.distributed else self.model)
        self.optimizer = torch.optim.SGD(_parameter_groups(self.model, recipe.weight_decay), lr=recipe.peak_lr(),
                                         momentum=recipe.momentum, nesterov=recipe.nesterov and recipe.momentum > 0)
        self.amp_dtype = (torch.bfloat16 if on_cuda and torch.cuda.is_bf16_supported() else torch.float16)
        self.amp = recipe.amp and on_cuda
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and self.amp_dtype == torch.float16)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
        self.generator = torch.Generator().manual_seed(recipe.seed)
        self.rng = random.Random(recipe.seed)
        self.normalization = normalization or Normalization(*map(tuple, channel_stats(splits.train)))
        train_data = with_sample_transform(splits.train, autoaugment()) if recipe.auto_augment else splits.train
        self.sampler: DistributedSampler[int] = DistributedSampler(
            train_data, num_replicas=self.placement.world_size, rank=self.placement.rank, shuffle=True,
            seed=recipe.seed)
        shard = len(self.sampler)
        self.train_loader = self._loader(train_data, recipe.batch_size, self.sampler, drop_last=shard > recipe.batch_size)
        self.val_loader = self._loader(self._val_shard(splits.val), recipe.batch_size * 2, None, drop_last=False)
        self.epoch = 0
        self.history: list[EpochMetrics] = []
        self.best_acc = -1.0

    # --- data -----------------------------------------------------------------------------------------------------
    def _loader(self, data: Dataset[Any], batch_size: int, sampler: DistributedSampler[int] | None,
                drop_last: bool) -> DataLoader[Any]:
        workers = self.recipe.workers
        return DataLoader(data, batch_size=batch_size, sampler=sampler, shuffle=False, drop_last=drop_last,
                          num_workers=workers, pin_memory=self.device.type == "cuda", persistent_workers=workers > 0)

    def _val_shard(self, data: Dataset[Any]) -> Dataset[Any]:
        """Each process evaluates every world_size-th image; the sums are added up, so nothing counts twice."""
        if not self.placement.distributed:
            return data
        return Subset(data, list(range(self.placement.rank, len(data), self.placement.world_size)))  # type: ignore[arg-type]

    def _prepare(self, images: torch.Tensor, train: bool) -> torch.Tensor:
        images = images.to(self.device, non_blocking=True)
        if train:
            images = random_crop(images, self.recipe.crop_padding, self.generator)
            if self.recipe.flip:
                images = random_flip(images, self.generator)
        images = self.normalization(images)
        if train:
            images = random_erasing(images, self.recipe.random_erasing, self.generator)
        return images.contiguous(memory_format=self.memory_format)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    # --- training ---------------------------------------------------------------------------------------------------
    def fit(self) -> list[EpochMetrics]:
        """Train from ``self.epoch`` to ``recipe.epochs``; returns the whole history (resumed epochs included)."""
        for epoch in range(self.epoch, self.recipe.epochs):
            started = time.perf_counter()
            self.sampler.set_epoch(epoch)
            for observer in self.observers:
                observer.epoch_started(epoch + 1, self.recipe.epochs, len(self.train_loader))
            train_loss, train_acc, lr = self._train_epoch(epoch)
            evaluation = self.evaluate()
            metrics = EpochMetrics(epoch + 1, self.recipe.epochs, train_loss, train_acc, evaluation.loss,
                                   evaluation.top1, evaluation.top5, lr, time.perf_counter() - started)
            self.history.append(metrics)
            self.epoch = epoch + 1
            improved = metrics.val_acc > self.best_acc
            self.best_acc = max(self.best_acc, metrics.val_acc)
            if self.placement.is_main and self.out_dir is not None:
                self.save(self.out_dir / LAST)
                if improved:
                    self.save_weights(self.out_dir / BEST, metrics)
            log.info("train.epoch_done", **asdict(metrics))
            for observer in self.observers:
                observer.epoch_done(metrics)
        return self.history

    def _batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for images, labels in self.train_loader:
            yield self._prepare(images, train=True), labels.to(self.device, non_blocking=True)

    def _train_epoch(self, epoch: int) -> tuple[float, float, float]:
        self.net.train()
        steps = len(self.train_loader)
        loss_sum = torch.zeros((), device=self.device, dtype=torch.float64)
        correct_sum = torch.zeros((), device=self.device, dtype=torch.float64)
        seen, lr = 0, 0.0
        for index, (images, labels) in enumerate(self._batches()):
            lr = self.recipe.lr_at(epoch * steps + index, steps, self.placement.world_size)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            mixed = mixup(images, labels, self.recipe.mixup_alpha, self.rng, self.generator)
            with self._autocast():
                logits = self.net(mixed.images)
                loss = (mixed.lam * self.criterion(logits, mixed.labels)
                        + (1 - mixed.lam) * self.criterion(logits, mixed.partner_labels))
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            with torch.no_grad():
                predicted = logits.argmax(1)
                correct = (mixed.lam * (predicted == mixed.labels).sum()
                           + (1 - mixed.lam) * (predicted == mixed.partner_labels).sum())
                loss_sum += loss.detach().double() * len(labels)
                correct_sum += correct.double()
            seen += len(labels)
            for observer in self.observers:
                observer.batch_done()
        loss_total, correct_total, count = self.placement.all_sum([float(loss_sum), float(correct_sum), float(seen)])
        return loss_total / max(count, 1), correct_total / max(count, 1), lr

    @torch.no_grad()
    def evaluate(self) -> Evaluation:
        """Loss and accuracy on the validation split (summed over all processes when distributed)."""
        self.model.eval()
        loss_sum, top1, top5, seen = 0.0, 0.0, 0.0, 0
        k = min(5, self.info.classes)
        for images, labels in self.val_loader:
            images, labels = self._prepare(images, train=False), labels.to(self.device, non_blocking=True)
            with self._autocast():
                logits = self.model(images)
            logits = logits.float()
            loss_sum += float(nn.functional.cross_entropy(logits, labels, reduction="sum"))
            best_k = logits.topk(k, dim=1).indices
            top1 += float((best_k[:, 0] == labels).sum())
            top5 += float((best_k == labels[:, None]).any(1).sum())
            seen += len(labels)
        loss_sum, top1, top5, count = self.placement.all_sum([loss_sum, top1, top5, float(seen)])
        count = max(count, 1.0)
        return Evaluation(loss_sum / count, top1 / count, top5 / count if k == 5 else None, int(count))

    # --- checkpoints ------------------------------------------------------------------------------------------------
    def _common(self) -> dict[str, Any]:
        return {"info": self.info.to_dict(), "model": self.model.state_dict(),
                "normalization": {"mean": list(self.normalization.mean), "std": list(self.normalization.std)}}

    def save(self, path: Path) -> None:
        """Everything ``resume`` needs: weights, optimiser, scaler, random states, history, recipe."""
        save_checkpoint(path, {**self._common(), "epoch": self.epoch, "best_acc": self.best_acc,
                               "optimizer": self.optimizer.state_dict(), "scaler": self.scaler.state_dict(),
                               "generator": self.generator.get_state(), "rng": self.rng.getstate(),
                               "history": [asdict(m) for m in self.history], "recipe": self.recipe.model_dump()})

    def save_weights(self, path: Path, metrics: EpochMetrics) -> None:
        """The weights of the best epoch so far, for ``--eval`` and deployment."""
        save_checkpoint(path, {**self._common(), "epoch": metrics.epoch, "val_acc": metrics.val_acc})

    def resume(self, path: Path) -> int:
        """Load ``path`` (a ``last.pt``) and continue after its epoch; returns the number of epochs already done."""
        payload = load_checkpoint(path, self.device)
        if payload["info"]["canonical"] != self.info.canonical or "optimizer" not in payload:
            raise CheckpointError(f"{path} is not a resumable checkpoint of {self.info.canonical}")
        self.model.load_state_dict(payload["model"])
        self.optimizer.load_state_dict(payload["optimizer"])
        self.scaler.load_state_dict(payload["scaler"])
        self.generator.set_state(payload["generator"].cpu())
        self.rng.setstate(_as_tuples(payload["rng"]))
        self.normalization = Normalization(tuple(payload["normalization"]["mean"]),
                                           tuple(payload["normalization"]["std"]))
        self.history = [EpochMetrics(**m) for m in payload["history"]]
        self.epoch, self.best_acc = payload["epoch"], payload["best_acc"]
        log.info("train.resumed", checkpoint=str(path), epoch=self.epoch)
        return self.epoch


def _as_tuples(state: Any) -> Any:
    """``random.Random.setstate`` wants tuples; a checkpoint round trip may hand back lists."""
    return tuple(_as_tuples(s) for s in state) if isinstance(state, (list, tuple)) else state
