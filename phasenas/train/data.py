"""Image classification data read from local files only: CIFAR python batches, image folders, tensors.

Every dataset yields ``(uint8 image [C,H,W], label)``; conversion to float, normalisation and augmentation
happen batch-wise on the training device (``augment``), so the loaders stay cheap and need no torchvision.
Nothing is ever downloaded: a missing file is a ``DatasetNotFound`` that says where it looked.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch.utils.data import Dataset, Subset

from phasenas.errors import PhaseNASError
from phasenas.train.recipe import DATASETS, DatasetName

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ppm", ".tif", ".tiff"})
SampleTransform = Callable[[torch.Tensor], torch.Tensor]


class DatasetNotFound(PhaseNASError):
    """The files of a dataset are not where they were expected (phasenas never downloads data)."""


class DatasetMismatch(PhaseNASError):
    """The data does not fit the network: channels, or the train and validation classes differ."""


class TensorImages(Dataset[tuple[torch.Tensor, int]]):
    """Images held in memory as one uint8 tensor [N,C,H,W] (CIFAR, generated data, tests)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: SampleTransform | None = None) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"images must be a uint8 tensor [N,C,H,W], got {images.dtype} {tuple(images.shape)}")
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images = images
        self.labels = labels.long()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index]
        return (image if self.transform is None else self.transform(image)), int(self.labels[index])


class FolderImages(Dataset[tuple[torch.Tensor, int]]):
    """``ROOT/<class>/<image>`` read lazily with PIL, converted to RGB or L and resized to a square resolution."""

    def __init__(self, root: Path, classes: Sequence[str], resolution: int, channels: int,
                 transform: SampleTransform | None = None) -> None:
        self.root = root
        self.classes = list(classes)
        self.resolution = resolution
        self.mode = {1: "L", 3: "RGB"}[channels]
        self.transform = transform
        self.files = [(path, label) for label, name in enumerate(self.classes)
                      for path in sorted((root / name).iterdir()) if path.suffix.lower() in IMAGE_SUFFIXES]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from PIL import Image  # imported here: only image folders need PIL

        path, label = self.files[index]
        with Image.open(path) as img:
            pixels = np.asarray(img.convert(self.mode).resize((self.resolution, self.resolution),
                                                              Image.Resampling.BILINEAR))
        image = torch.from_numpy(pixels.copy()).reshape(self.resolution, self.resolution, -1).permute(2, 0, 1)
        return (image if self.transform is None else self.transform(image)), label


@dataclass(frozen=True)
class Splits:
    """A training and a validation set of one task (what ``Trainer`` and ``rerank`` consume)."""

    name: str
    train: Dataset[tuple[torch.Tensor, int]]
    val: Dataset[tuple[torch.Tensor, int]]
    classes: int
    channels: int
    resolution: int

    def subset(self, train: int | None = None, val: int | None = None, seed: int = 0) -> Splits:
        """A fixed random subset of each split (the short trainings of the re-rank guard)."""
        generator = torch.Generator().manual_seed(seed)

        def pick(data: Dataset[tuple[torch.Tensor, int]], n: int | None) -> Dataset[tuple[torch.Tensor, int]]:
            size = len(data)  # type: ignore[arg-type]
            if n is None or n >= size:
                return data
            return Subset(data, torch.randperm(size, generator=generator)[:n].tolist())

        return Splits(self.name, pick(self.train, train), pick(self.val, val), self.classes, self.channels,
                      self.resolution)


def _unpickle(path: Path) -> dict[bytes, object]:
    if not path.is_file():
        raise DatasetNotFound(f"{path} not found: put the CIFAR python batches under --data-dir "
                              "(the layout of https://www.cs.toronto.edu/~kriz/cifar.html; phasenas never downloads)")
    with path.open("rb") as handle:
        return pickle.load(handle, encoding="bytes")  # CIFAR's own format: only load batches you trust


def _cifar_arrays(batches: Sequence[Path], label_key: bytes) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = [], []
    for path in batches:
        batch = _unpickle(path)
        images.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(batch[label_key], dtype=np.int64))
    return torch.from_numpy(np.concatenate(images)), torch.from_numpy(np.concatenate(labels))


def load_cifar(name: Literal["cifar10", "cifar100"], data_dir: Path) -> Splits:
    """CIFAR-10 (``cifar-10-batches-py/``) or CIFAR-100 (``cifar-100-python/``, fine labels) under ``data_dir``."""
    if name == "cifar10":
        root, label_key, classes = data_dir / "cifar-10-batches-py", b"labels", 10
        train_files = [root / f"data_batch_{i}" for i in range(1, 6)]
        test_files = [root / "test_batch"]
    else:
        root, label_key, classes = data_dir / "cifar-100-python", b"fine_labels", 100
        train_files, test_files = [root / "train"], [root / "test"]
    train = TensorImages(*_cifar_arrays(train_files, label_key))
    val = TensorImages(*_cifar_arrays(test_files, label_key))
    return Splits(name, train, val, classes, channels=3, resolution=32)


def load_imagefolder(data_dir: Path, resolution: int, channels: int = 3) -> Splits:
    """``data_dir/train/<class>/*`` and ``data_dir/val/<class>/*``; both splits must name the same classes."""
    class_lists = []
    for split in ("train", "val"):
        root = data_dir / split
        if not root.is_dir():
            raise DatasetNotFound(f"{root} not found: an image folder needs {data_dir}/train/<class>/ and "
                                  f"{data_dir}/val/<class>/")
        class_lists.append(sorted(p.name for p in root.iterdir() if p.is_dir()))
    if class_lists[0] != class_lists[1] or not class_lists[0]:
        raise DatasetMismatch(f"train classes {class_lists[0]} and val classes {class_lists[1]} differ (or are empty)")
    train, val = (FolderImages(data_dir / split, class_lists[0], resolution, channels) for split in ("train", "val"))
    return Splits("imagefolder", train, val, len(class_lists[0]), channels, resolution)


def load_dataset(name: DatasetName, data_dir: Path, resolution: int = 32, channels: int = 3) -> Splits:
    """The named dataset from a local directory (``resolution``/``channels`` apply to image folders)."""
    if name in ("cifar10", "cifar100"):
        return load_cifar(name, Path(data_dir))
    if name == "imagefolder":
        return load_imagefolder(Path(data_dir), resolution, channels)
    raise DatasetNotFound(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def with_sample_transform(data: Dataset[tuple[torch.Tensor, int]],
                          transform: SampleTransform) -> Dataset[tuple[torch.Tensor, int]]:
    """The same images with a per-sample uint8 transform (AutoAugment) applied on loading."""
    if isinstance(data, Subset):
        return Subset(with_sample_transform(data.dataset, transform), data.indices)
    if isinstance(data, TensorImages):
        return TensorImages(data.images, data.labels, transform)
    if isinstance(data, FolderImages):
        clone = FolderImages.__new__(FolderImages)
        clone.__dict__.update(data.__dict__)
        clone.transform = transform
        return clone
    raise TypeError(f"cannot add a sample transform to {type(data).__name__}")


def channel_stats(data: Dataset[tuple[torch.Tensor, int]], limit: int = 10_000) -> tuple[list[float], list[float]]:
    """Per-channel mean and std in [0,1] units from up to ``limit`` evenly spaced training images."""
    size = len(data)  # type: ignore[arg-type]
    if size == 0:
        raise DatasetMismatch("the training split is empty")
    indices = range(0, size, max(1, size // limit))
    pixels = torch.stack([data[i][0] for i in indices]).float().div_(255)
    std = pixels.std(dim=(0, 2, 3)).clamp_min(1e-3)
    return pixels.mean(dim=(0, 2, 3)).tolist(), std.tolist()
