"""The CIFAR recipe's augmentations as batch operations in plain torch (no torchvision needed).

Random parameters are drawn from one explicit CPU ``torch.Generator`` (and mixup's coefficient from one
``random.Random``), so a resumed training draws exactly what an uninterrupted one would have drawn, and the
ops run on whatever device the batch is on. AutoAugment is the one exception: it is torchvision's, optional,
and applied per image while loading.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from phasenas.errors import PhaseNASError
from phasenas.train.data import SampleTransform


class AugmentationUnavailable(PhaseNASError):
    """An augmentation was asked for whose optional dependency (torchvision) does not import."""


@dataclass(frozen=True)
class Normalization:
    """uint8 [0,255] -> float, minus mean, over std (per channel, in [0,1] units)."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(self.mean, device=images.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=images.device).view(1, -1, 1, 1)
        return (images.float().div_(255) - mean) / std


def _uniform(n: int, generator: torch.Generator, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    return torch.rand(n, generator=generator) * (high - low) + low


def random_crop(images: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Zero-pad each side by ``padding`` and cut a random window of the original size from each image."""
    if padding <= 0:
        return images
    n, c, h, w = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))
    top = torch.randint(0, 2 * padding + 1, (n,), generator=generator).to(images.device)
    left = torch.randint(0, 2 * padding + 1, (n,), generator=generator).to(images.device)
    rows = (top[:, None] + torch.arange(h, device=images.device)).view(n, 1, h, 1).expand(n, c, h, w + 2 * padding)
    cols = (left[:, None] + torch.arange(w, device=images.device)).view(n, 1, 1, w).expand(n, c, h, w)
    return padded.gather(2, rows).gather(3, cols)


def random_flip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2."""
    flip = (torch.rand(len(images), generator=generator) < 0.5).to(images.device).view(-1, 1, 1, 1)
    return torch.where(flip, images.flip(3), images)


def random_erasing(images: torch.Tensor, probability: float, generator: torch.Generator,
                   scale: tuple[float, float] = (0.02, 0.33), ratio: tuple[float, float] = (0.3, 3.3)) -> torch.Tensor:
    """Random Erasing (Zhong et al.): with ``probability``, zero one random rectangle (zero = the mean after
    normalisation). A rectangle that does not fit is clipped to the image instead of being drawn again."""
    if probability <= 0:
        return images
    n, _, h, w = images.shape
    apply = torch.rand(n, generator=generator) < probability
    area = _uniform(n, generator, *scale) * (h * w)
    aspect = torch.exp(_uniform(n, generator, math.log(ratio[0]), math.log(ratio[1])))
    eh = torch.sqrt(area * aspect).round().clamp(1, h)
    ew = torch.sqrt(area / aspect).round().clamp(1, w)
    top = (torch.rand(n, generator=generator) * (h - eh + 1)).floor()
    left = (torch.rand(n, generator=generator) * (w - ew + 1)).floor()
    ys = torch.arange(h).view(1, h, 1)
    xs = torch.arange(w).view(1, 1, w)
    inside = ((ys >= top.view(-1, 1, 1)) & (ys < (top + eh).view(-1, 1, 1))
              & (xs >= left.view(-1, 1, 1)) & (xs < (left + ew).view(-1, 1, 1)) & apply.view(-1, 1, 1))
    return images.masked_fill(inside.to(images.device).unsqueeze(1), 0.0)


@dataclass(frozen=True)
class Mixed:
    """A mixup batch: inputs ``lam * x + (1 - lam) * x[perm]``, and both label sets to weight the loss with."""

    images: torch.Tensor
    labels: torch.Tensor
    partner_labels: torch.Tensor
    lam: float


def mixup(images: torch.Tensor, labels: torch.Tensor, alpha: float, rng: random.Random,
          generator: torch.Generator) -> Mixed:
    """Mixup (Zhang et al.) with one Beta(alpha, alpha) coefficient per batch, as Zen-NAS trains."""
    if alpha <= 0:
        return Mixed(images, labels, labels, 1.0)
    lam = rng.betavariate(alpha, alpha)
    perm = torch.randperm(len(images), generator=generator).to(images.device)
    return Mixed(images.mul(lam).add_(images[perm], alpha=1 - lam), labels, labels[perm], lam)


def autoaugment() -> SampleTransform:
    """torchvision's AutoAugment with the CIFAR-10 policy, on uint8 [C,H,W] images (needs torchvision)."""
    try:
        from torchvision.transforms import AutoAugment, AutoAugmentPolicy  # type: ignore[import-not-found]
    except (ImportError, RuntimeError) as exc:  # RuntimeError: a torchvision built for another torch
        raise AugmentationUnavailable(f"--auto-augment needs a torchvision that imports beside this torch: {exc}") \
            from exc
    return AutoAugment(AutoAugmentPolicy.CIFAR10)
