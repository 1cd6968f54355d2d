"""Worker placement: one pinned worker per CUDA device, else CPU workers that split the cores."""

from __future__ import annotations

import os

import torch

from phasenas.scoring.local import plan_slots


def test_cpu_workers_split_the_cores(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    cores = len(os.sched_getaffinity(0))
    assert [(s.device, s.threads) for s in plan_slots()] == [("cpu", 1)] * cores
    assert [(s.device, s.threads) for s in plan_slots(1)] == [("cpu", cores)]


def test_one_pinned_worker_per_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert [s.device for s in plan_slots()] == ["cuda:0", "cuda:1"]
    assert [s.device for s in plan_slots(4)] == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
