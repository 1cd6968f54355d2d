"""DDP under torchrun: two CPU processes (Gloo) train one network; only rank 0 writes and prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from phasenas.train.checkpoint import LAST, load_checkpoint
from phasenas.train.records import training_records
from tests.train.conftest import GOOD, write_imagefolder


@pytest.mark.slow
def test_torchrun_with_two_cpu_processes(tmp_path: Path) -> None:
    data = write_imagefolder(tmp_path / "data", classes=3, per_class=16, val_per_class=7, size=16)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "phasenas", "train", GOOD,
               "--dataset", "imagefolder", "--data-dir", str(data), "--resolution", "16", "--epochs", "2",
               "--batch-size", "8", "--out", str(out), "--device", "cpu", "--no-progress"]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("best val acc") == 1  # rank 1 trains silently
    assert [r.epoch for r in training_records(out / "train.sqlite")] == [1, 2]
    checkpoint = load_checkpoint(out / LAST)
    assert checkpoint["epoch"] == 2
    assert checkpoint["history"][-1]["val_acc"] == training_records(out / "train.sqlite")[-1].val_acc
