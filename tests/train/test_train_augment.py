"""The recipe's batch augmentations and learning-rate schedule."""

from __future__ import annotations

import importlib.util
import random
from itertools import pairwise

import pytest
import torch

from phasenas.train.augment import (
    AugmentationUnavailable,
    Normalization,
    autoaugment,
    mixup,
    random_crop,
    random_erasing,
    random_flip,
)
from phasenas.train.recipe import Recipe


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_random_crop_cuts_a_window_of_the_zero_padded_image() -> None:
    images = torch.randint(1, 256, (16, 3, 8, 8), dtype=torch.uint8)
    out = random_crop(images, 2, gen())
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    offsets = set()
    for i in range(16):
        found = [(t, l) for t in range(5) for l in range(5) if torch.equal(out[i], padded[i, :, t:t + 8, l:l + 8])]
        assert found, f"image {i} is not a window of its padded original"
        offsets.add(found[0])
    assert len(offsets) > 3  # offsets vary between images
    assert torch.equal(random_crop(images, 0, gen()), images)


def test_random_flip_mirrors_about_half_of_the_images() -> None:
    images = torch.randn(400, 1, 4, 4)
    out = random_flip(images, gen())
    flipped = torch.tensor([torch.equal(o, i.flip(2)) for o, i in zip(out, images)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(out, images)])
    assert bool((flipped | kept).all())
    assert 150 < int(flipped.sum()) < 250


def test_random_erasing_zeroes_one_rectangle_per_chosen_image() -> None:
    images = torch.ones(64, 3, 16, 16)
    out = random_erasing(images, 1.0, gen())
    for image in out:
        zero = image[0] == 0
        assert torch.equal(zero, image[1] == 0)  # the same box on every channel
        rows, cols = zero.any(1).nonzero().flatten(), zero.any(0).nonzero().flatten()
        assert len(rows) and len(cols)
        box = zero[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert bool(box.all()) and int(zero.sum()) == box.numel()  # one solid rectangle
    erased_share = float((out == 0).float().mean())
    assert 0.02 <= erased_share <= 0.4
    assert torch.equal(random_erasing(images, 0.0, gen()), images)
    half = random_erasing(images, 0.5, gen())
    assert 16 < int((half == 0).flatten(1).any(1).sum()) < 48


def test_mixup_mixes_each_image_with_its_partner_by_lambda() -> None:
    images = torch.arange(32, dtype=torch.float32).view(32, 1, 1, 1).expand(32, 3, 2, 2).contiguous()
    labels = torch.arange(32) % 10
    mixed = mixup(images, labels, 0.2, random.Random(0), gen())
    assert 0.0 <= mixed.lam <= 1.0 and mixed.lam not in (0.0, 1.0)
    partners = ((mixed.images[:, 0, 0, 0] - mixed.lam * torch.arange(32)) / (1 - mixed.lam)).round().long()
    assert sorted(partners.tolist()) == list(range(32))  # a permutation
    assert torch.equal(mixed.partner_labels, labels[partners])
    assert mixup(images, labels, 0.0, random.Random(0), gen()).lam == 1.0


def test_augmentations_repeat_exactly_from_the_same_generator_state() -> None:
    images = torch.randint(0, 256, (8, 3, 8, 8), dtype=torch.uint8)
    first, second = gen(5), gen(5)
    assert torch.equal(random_erasing(random_flip(random_crop(images, 2, first), first).float(), 0.5, first),
                       random_erasing(random_flip(random_crop(images, 2, second), second).float(), 0.5, second))


def test_normalization_maps_the_mean_to_zero() -> None:
    norm = Normalization((0.5, 0.0), (0.25, 1.0))
    out = norm(torch.tensor([[[[255]], [[0]]]], dtype=torch.uint8).expand(1, 2, 1, 1))
    assert out.flatten().tolist() == pytest.approx([2.0, 0.0])


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is not None, reason="torchvision is installed")
def test_auto_augment_without_torchvision_is_a_clear_error() -> None:
    with pytest.raises(AugmentationUnavailable, match="torchvision"):
        autoaugment()


def test_learning_rate_warms_up_linearly_then_follows_the_cosine_to_the_minimum() -> None:
    recipe = Recipe(epochs=10, batch_size=128, lr_per_256=0.2, min_lr_per_256=0.02, warmup_epochs=2)
    steps = 5
    lrs = [recipe.lr_at(s, steps) for s in range(50)]
    peak = 0.1  # 0.2 per 256 images at 128 images per step
    assert lrs[9] == pytest.approx(peak) and lrs[0] == pytest.approx(peak / 10)
    assert all(b > a for a, b in pairwise(lrs[:10]))
    assert all(b <= a for a, b in pairwise(lrs[10:]))
    assert lrs[10] == pytest.approx(peak)
    assert recipe.lr_at(50, steps) == pytest.approx(0.01)  # min_lr at the very end
    assert recipe.lr_at(30, steps) == pytest.approx(0.01 + 0.09 * 0.5)  # half-way through the cosine
    assert recipe.peak_lr(world_size=4) == pytest.approx(0.4)


def test_default_recipe_is_zen_nas_cifar() -> None:
    recipe = Recipe()
    assert (recipe.epochs, recipe.batch_size, recipe.warmup_epochs, recipe.weight_decay) == (1440, 64, 5.0, 5e-4)
    assert recipe.nesterov and recipe.label_smoothing == 0.1 and recipe.mixup_alpha == 0.2
    assert recipe.peak_lr() == pytest.approx(0.025)
