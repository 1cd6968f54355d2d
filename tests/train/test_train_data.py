"""Local dataset readers: CIFAR python batches, image folders, subsets, channel statistics."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from phasenas.train.data import (
    DatasetMismatch,
    DatasetNotFound,
    TensorImages,
    channel_stats,
    load_dataset,
    with_sample_transform,
)
from tests.train.conftest import write_cifar10, write_imagefolder


def test_cifar10_batches_are_read_in_channel_plane_order(tmp_path: Path) -> None:
    root = write_cifar10(tmp_path, per_batch=6, test=4)
    splits = load_dataset("cifar10", root)
    assert (len(splits.train), len(splits.val), splits.classes) == (30, 4, 10)
    with (root / "cifar-10-batches-py" / "data_batch_2").open("rb") as handle:
        batch = pickle.load(handle, encoding="bytes")
    image, label = splits.train[6 + 1]  # second image of the second batch
    assert image.dtype == torch.uint8 and image.shape == (3, 32, 32)
    assert label == batch[b"labels"][1]
    red_plane = batch[b"data"][1][:1024].reshape(32, 32)
    assert np.array_equal(image[0].numpy(), red_plane)


def test_cifar100_uses_the_fine_labels(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    for name, n in (("train", 5), ("test", 3)):
        data = np.arange(n * 3072, dtype=np.int64).reshape(n, 3072) % 256
        with (folder / name).open("wb") as handle:
            pickle.dump({b"data": data.astype(np.uint8), b"fine_labels": [99, 1, 2, 3, 4][:n],
                         b"coarse_labels": [0] * n}, handle)
    splits = load_dataset("cifar100", tmp_path)
    assert splits.classes == 100
    assert [splits.train[i][1] for i in range(5)] == [99, 1, 2, 3, 4]


def test_missing_cifar_files_name_the_path_and_never_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFound, match="cifar-10-batches-py/data_batch_1"):
        load_dataset("cifar10", tmp_path)


def test_image_folder_is_resized_with_sorted_class_indices(tmp_path: Path) -> None:
    root = write_imagefolder(tmp_path, classes=3, per_class=2, val_per_class=1, size=20)
    splits = load_dataset("imagefolder", root, resolution=16)
    assert (len(splits.train), len(splits.val), splits.classes, splits.resolution) == (6, 3, 3, 16)
    labels = [splits.train[i][1] for i in range(6)]
    assert labels == [0, 0, 1, 1, 2, 2]
    assert splits.train[0][0].shape == (3, 16, 16)
    grey = load_dataset("imagefolder", root, resolution=8, channels=1)
    assert grey.val[0][0].shape == (1, 8, 8)


def test_image_folder_with_different_train_and_val_classes_is_rejected(tmp_path: Path) -> None:
    root = write_imagefolder(tmp_path, classes=2, per_class=1, val_per_class=1)
    (root / "val" / "class_1").rename(root / "val" / "class_9")
    with pytest.raises(DatasetMismatch, match="differ"):
        load_dataset("imagefolder", root)
    with pytest.raises(DatasetNotFound, match="val"):
        load_dataset("imagefolder", tmp_path / "nowhere")


def test_subset_is_fixed_by_the_seed(digits) -> None:
    small = digits.subset(train=100, val=50, seed=3)
    again = digits.subset(train=100, val=50, seed=3)
    other = digits.subset(train=100, val=50, seed=4)
    assert (len(small.train), len(small.val)) == (100, 50)
    assert small.train.indices == again.train.indices != other.train.indices
    assert digits.subset(train=10**6).train is digits.train


def test_channel_stats_match_the_pixels() -> None:
    images = torch.zeros(4, 2, 3, 3, dtype=torch.uint8)
    images[:, 0] = 255
    images[:2, 1] = 51
    mean, std = channel_stats(TensorImages(images, torch.zeros(4)))
    assert mean == pytest.approx([1.0, 0.1])
    assert std[0] == pytest.approx(1e-3)  # a constant channel is floored, never divided by zero
    assert std[1] == pytest.approx(torch.tensor([0.2] * 18 + [0.0] * 18).std().item(), rel=1e-4)


def test_sample_transform_reaches_through_subsets(digits) -> None:
    inverted = with_sample_transform(digits.subset(train=5).train, lambda image: 255 - image)
    assert torch.equal(inverted[0][0], 255 - digits.subset(train=5).train[0][0])
