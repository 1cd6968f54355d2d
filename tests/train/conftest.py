"""Data for the training tests: scikit-learn's digits (real, small, shipped with the package) and generated
CIFAR-format batches and image folders written to a temporary directory."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from phasenas.train.data import Splits, TensorImages

# Small networks of the zen-cifar language for 16x16 inputs: one that learns digits in a few epochs, and one
# that cannot: 1x1 convolutions striding the image down to a single pixel before anything is mixed spatially.
GOOD = "ConvK3BNRELU(3,16,1,1)ResK3K3(16,32,2,16,1)ConvK1BNRELU(32,64,1,1)"
BLIND = "ConvK1BNRELU(3,8,2,1)ConvK1BNRELU(8,8,2,1)ConvK1BNRELU(8,8,2,1)ConvK1BNRELU(8,16,2,1)"


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Two intra-op threads on a busy two-core box are ~10x slower than one for these tiny networks."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def digits() -> Splits:
    """scikit-learn's 1,797 handwritten digits (8x8, 17 grey levels) upsampled to 16x16 RGB; 1,400 train."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    pixels = torch.tensor(raw.images, dtype=torch.float32).unsqueeze(1) * (255 / 16)
    images = torch.nn.functional.interpolate(pixels, size=16, mode="bilinear", align_corners=False)
    images = images.round().clamp(0, 255).to(torch.uint8).repeat(1, 3, 1, 1)
    labels = torch.tensor(raw.target)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    images, labels = images[order], labels[order]
    return Splits("digits", TensorImages(images[:1400], labels[:1400]), TensorImages(images[1400:], labels[1400:]),
                  classes=10, channels=3, resolution=16)


def pattern_images(labels: np.ndarray, size: int, channels: int, seed: int) -> np.ndarray:
    """Learnable generated images: each class a bright bar at its own row band, on noise (uint8 NHWC)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 90, size=(len(labels), size, size, channels), dtype=np.uint8)
    classes = int(labels.max()) + 1
    band = max(1, size // classes)
    for i, label in enumerate(labels):
        images[i, label * band % size:(label * band % size) + band, :, :] = 230
    return images


def write_cifar10(root: Path, per_batch: int = 20, test: int = 40, seed: int = 0) -> Path:
    """A CIFAR-10 directory in the python-pickle layout, 5 train batches of ``per_batch`` images."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for index, name in enumerate(names):
        n = test if name == "test_batch" else per_batch
        labels = rng.integers(0, 10, size=n)
        images = pattern_images(labels, 32, 3, seed + index)  # NHWC
        data = images.transpose(0, 3, 1, 2).reshape(n, 3072)  # CIFAR rows: R plane, G plane, B plane
        with (folder / name).open("wb") as handle:
            pickle.dump({b"data": data, b"labels": labels.tolist(), b"batch_label": name.encode()}, handle)
    return root


def write_imagefolder(root: Path, classes: int = 3, per_class: int = 12, val_per_class: int = 4,
                      size: int = 20, seed: int = 0) -> Path:
    """``root/train/<class>/*.png`` and ``root/val/<class>/*.png`` with learnable patterns."""
    from PIL import Image

    for split, n in (("train", per_class), ("val", val_per_class)):
        labels = np.repeat(np.arange(classes), n)
        images = pattern_images(labels, size, 3, seed + (split == "val"))
        for i, (image, label) in enumerate(zip(images, labels)):
            folder = root / split / f"class_{label}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{i:04d}.png")
    return root
