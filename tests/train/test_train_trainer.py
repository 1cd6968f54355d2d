"""The training loop on real small data (digits) and generated tensors: learning, checkpoints, exact resume."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from phasenas.space import get_space
from phasenas.train.checkpoint import (
    BEST,
    LAST,
    CheckpointError,
    ModelInfo,
    load_checkpoint,
)
from phasenas.train.data import Splits, TensorImages
from phasenas.train.recipe import Recipe
from phasenas.train.trainer import EpochMetrics, Trainer
from tests.train.conftest import GOOD

SPACE = get_space("zen-cifar").with_task(resolution=16)
QUICK = Recipe(epochs=3, batch_size=64, lr_per_256=0.4, warmup_epochs=0.5, bn_momentum=None, label_smoothing=0.0,
               mixup_alpha=0.0, random_erasing=0.0, crop_padding=1, flip=False)


def trainer_for(splits: Splits, recipe: Recipe, arch: str = GOOD, out_dir: Path | None = None, seed: int = 0) -> Trainer:
    torch.manual_seed(seed)
    space = SPACE.with_task(classes=splits.classes, resolution=splits.resolution)
    info = ModelInfo(arch, space.name, splits.name, splits.classes, splits.channels, splits.resolution)
    return Trainer(space.build(space.parse(arch)), splits, recipe, info, out_dir=out_dir)


def test_digits_accuracy_rises_far_above_chance_within_seconds(digits: Splits) -> None:
    history = trainer_for(digits, QUICK).fit()
    assert [m.epoch for m in history] == [1, 2, 3]
    assert history[-1].val_acc > 0.8  # chance is 0.1
    assert history[-1].val_acc > history[0].val_acc
    assert history[-1].train_loss < history[0].train_loss
    assert history[-1].val_top5 is not None and history[-1].val_top5 >= history[-1].val_acc


def test_one_channel_digits_train_a_one_channel_network(digits: Splits) -> None:
    grey = Splits("digits-grey", TensorImages(digits.train.images[:, :1], digits.train.labels),
                  TensorImages(digits.val.images[:, :1], digits.val.labels), classes=10, channels=1, resolution=16)
    arch = GOOD.replace("ConvK3BNRELU(3,", "ConvK3BNRELU(1,")
    space = SPACE.with_task(image_channels=1)
    assert space.validate(arch).valid
    info = ModelInfo(arch, space.name, grey.name, 10, 1, 16)
    torch.manual_seed(0)
    history = Trainer(space.build(space.parse(arch)), grey, QUICK, info).fit()
    assert history[-1].val_acc > 0.5


def test_generated_tensors_with_class_patterns_are_learned() -> None:
    generator = torch.Generator().manual_seed(1)
    labels = torch.randint(0, 4, (320,), generator=generator)
    images = torch.randint(0, 80, (320, 3, 16, 16), generator=generator, dtype=torch.uint8)
    for i, label in enumerate(labels):
        images[i, label % 3, 4 * label:4 * label + 4] = 250  # each class lights its own band in its own channel
    splits = Splits("generated", TensorImages(images[:256], labels[:256]), TensorImages(images[256:], labels[256:]),
                    classes=4, channels=3, resolution=16)
    history = trainer_for(splits, QUICK.model_copy(update={"epochs": 4, "batch_size": 32})).fit()
    assert history[-1].val_acc >= 0.9  # chance is 0.25
    assert history[-1].val_top5 is None  # fewer than five classes: no top-5


def test_full_recipe_with_mixup_and_erasing_still_learns(digits: Splits) -> None:
    recipe = Recipe(epochs=6, batch_size=64, lr_per_256=0.4, warmup_epochs=0.5, bn_momentum=None, crop_padding=1)
    history = trainer_for(digits, recipe).fit()
    assert history[-1].val_acc > 0.5
    assert 0.0 < history[-1].train_acc < 1.0


class Killed(Exception):
    """Stands in for the process dying after an epoch's checkpoint was written."""


class KillAfter:
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def epoch_started(self, epoch: int, epochs: int, batches: int) -> None:
        """Only the end of an epoch matters here."""

    def batch_done(self) -> None:
        """Only the end of an epoch matters here."""

    def epoch_done(self, metrics: EpochMetrics) -> None:
        if metrics.epoch == self.epoch:
            raise Killed


def test_resume_continues_from_the_saved_epoch_exactly(digits: Splits, tmp_path: Path) -> None:
    data = digits.subset(train=320, val=100)
    recipe = Recipe(epochs=3, batch_size=32, lr_per_256=0.4, warmup_epochs=1, bn_momentum=None, crop_padding=2,
                    random_erasing=0.5, mixup_alpha=0.2)  # every random draw of the recipe is exercised
    straight = trainer_for(data, recipe, out_dir=tmp_path / "straight")
    straight.fit()

    interrupted = trainer_for(data, recipe, out_dir=tmp_path / "split")
    interrupted.observers.append(KillAfter(2))
    with pytest.raises(Killed):
        interrupted.fit()
    assert load_checkpoint(tmp_path / "split" / LAST)["epoch"] == 2
    resumed = trainer_for(data, recipe, out_dir=tmp_path / "split", seed=123)  # fresh weights, then resumed
    assert resumed.resume(tmp_path / "split" / LAST) == 2
    history = resumed.fit()

    assert [m.epoch for m in history] == [1, 2, 3]
    assert history[:2] == interrupted.history
    assert (history[2].train_loss, history[2].val_acc) == (straight.history[2].train_loss,
                                                            straight.history[2].val_acc)
    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name


def test_checkpoints_every_epoch_and_the_best_weights(digits: Splits, tmp_path: Path) -> None:
    trainer = trainer_for(digits.subset(train=300, val=100), QUICK.model_copy(update={"epochs": 2}), out_dir=tmp_path)
    history = trainer.fit()
    last, best = load_checkpoint(tmp_path / LAST), load_checkpoint(tmp_path / BEST)
    assert last["epoch"] == 2 and len(last["history"]) == 2
    best_epoch = max(history, key=lambda m: m.val_acc)
    assert (best["epoch"], best["val_acc"]) == (best_epoch.epoch, best_epoch.val_acc)
    assert "optimizer" not in best and best["info"]["canonical"] == GOOD


def test_resuming_another_network_s_checkpoint_is_refused(digits: Splits, tmp_path: Path) -> None:
    data = digits.subset(train=64, val=32)
    trainer_for(data, QUICK.model_copy(update={"epochs": 1}), out_dir=tmp_path).fit()
    other = "ConvK3BNRELU(3,8,1,1)ResK3K3(8,16,2,8,1)ConvK1BNRELU(16,32,1,1)"
    with pytest.raises(CheckpointError, match="not a resumable checkpoint"):
        trainer_for(data, QUICK, arch=other).resume(tmp_path / LAST)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_checkpoint(tmp_path / "junk.pt")


def test_weight_decay_spares_batch_norm_and_biases(digits: Splits) -> None:
    trainer = trainer_for(digits.subset(train=64), QUICK)
    decayed, spared = trainer.optimizer.param_groups
    assert decayed["weight_decay"] == QUICK.weight_decay and spared["weight_decay"] == 0.0
    assert all(p.ndim > 1 for p in decayed["params"]) and all(p.ndim == 1 for p in spared["params"])
    assert len(decayed["params"]) + len(spared["params"]) == len(list(trainer.model.parameters()))
