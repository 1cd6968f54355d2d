"""The training recipe: Zen-NAS's CIFAR recipe by default, every ingredient an option.

Defaults follow Zen-NAS's ``scripts/Zen_NAS_cifar_params1M.sh``: 1440 epochs, batch 64, SGD with Nesterov
momentum 0.9, learning rate 0.1 per 256 images with 5 warm-up epochs then cosine to 0, weight decay 5e-4 on
conv and linear weights only, BN momentum 0.01, label smoothing 0.1, mixup (alpha 0.2), random erasing (p 0.5),
random crop (padding 4) and flip; AutoAugment is off unless asked for, because it needs torchvision.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The datasets a recipe trains on (here, not in `data`, so the CLI can list them without importing torch).
DatasetName = Literal["cifar10", "cifar100", "imagefolder"]
DATASETS: tuple[str, ...] = ("cifar10", "cifar100", "imagefolder")


class Recipe(BaseModel):
    """How to train one network (stored in every checkpoint, so a resumed run trains the same way)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(default=1440, ge=1)
    batch_size: int = Field(default=64, ge=1, description="Images per step per process.")
    lr_per_256: float = Field(default=0.1, gt=0, description="Peak learning rate for 256 images per step (scaled).")
    min_lr_per_256: float = Field(default=0.0, ge=0, description="Learning rate at the end of the cosine.")
    warmup_epochs: float = Field(default=5.0, ge=0)
    momentum: float = Field(default=0.9, ge=0, lt=1)
    nesterov: bool = True
    weight_decay: float = Field(default=5e-4, ge=0, description="On conv and linear weights; none on BN and biases.")
    bn_momentum: float | None = Field(default=0.01, gt=0, le=1, description="None keeps PyTorch's 0.1.")
    label_smoothing: float = Field(default=0.1, ge=0, lt=1)
    mixup_alpha: float = Field(default=0.2, ge=0, description="0 turns mixup off.")
    random_erasing: float = Field(default=0.5, ge=0, le=1, description="Probability per image; 0 turns it off.")
    crop_padding: int = Field(default=4, ge=0, description="Random crop after zero padding; 0 turns it off.")
    flip: bool = True
    auto_augment: bool = Field(default=False, description="torchvision's CIFAR-10 AutoAugment policy.")
    workers: int = Field(default=0, ge=0, description="DataLoader worker processes (0: load in the main process).")
    amp: bool = Field(default=True, description="Mixed precision on CUDA (bf16 when supported, else fp16).")
    channels_last: bool = Field(default=True, description="channels_last memory format on CUDA.")
    seed: int = 0

    @classmethod
    def short(cls, epochs: int, batch_size: int = 128) -> Recipe:
        """A few-epoch recipe for ranking candidates: no regularisers that only pay off over long trainings,
        BN statistics that settle within a few hundred steps, a one-epoch warm-up."""
        return cls(epochs=epochs, batch_size=batch_size, lr_per_256=0.4, warmup_epochs=min(1.0, epochs / 4),
                   bn_momentum=None, label_smoothing=0.0, mixup_alpha=0.0, random_erasing=0.0)

    def peak_lr(self, world_size: int = 1) -> float:
        return self.lr_per_256 * self.batch_size * world_size / 256

    def lr_at(self, step: int, steps_per_epoch: int, world_size: int = 1) -> float:
        """Linear warm-up from 0, then cosine from the peak to the minimum, per optimiser step."""
        peak = self.peak_lr(world_size)
        low = self.min_lr_per_256 * self.batch_size * world_size / 256
        warmup = self.warmup_epochs * steps_per_epoch
        total = self.epochs * steps_per_epoch
        if step < warmup:
            return peak * (step + 1) / warmup
        progress = (step - warmup) / max(1.0, total - warmup)
        return low + (peak - low) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
