"""Training time per CIFAR epoch on this machine, extrapolated from a few timed batches (run by hand; numbers go to
docs/training.md).

    python3 benchmarks/train_epoch.py [--batches 3] [--repeats 2] [--threads 2]

Random CIFAR-shaped data (uint8 3x32x32, 10 classes), batch 64, the full Zen-NAS recipe (crop, flip, random
erasing, mixup, label smoothing, SGD Nesterov): the best of ``--repeats`` timed runs of ``--batches`` steps,
scaled to the 782 steps of one 50,000-image epoch, plus one evaluation pass over 10,000 images scaled likewise.
Wall time grows with other load on the machine; process CPU time much less so (with one thread it is the wall
time of a quiet machine).
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from phasenas.space import get_space
from phasenas.train import ModelInfo, Recipe, Splits, TensorImages, Trainer

NETWORKS = {
    "macro 22212220 (NAS-Bench-Macro)": ("macro", "22212220"),
    "ZenNet-1.0M (Zen-NAS, CIFAR)": ("zen-cifar", (
        "ConvK3BNRELU(3,88,1,1)ResK1K7K1(88,120,1,16,1)ResK1K7K1(120,192,2,16,3)ResK1K5K1(192,224,1,24,4)"
        "ResK1K5K1(224,96,2,24,2)ResK1K3K1(96,168,2,40,3)ResK1K3K1(168,112,1,48,3)ConvK1BNRELU(112,512,1,1)")),
}
TRAIN_IMAGES, VAL_IMAGES, BATCH = 50_000, 10_000, 64


def random_splits(batches: int) -> Splits:
    generator = torch.Generator().manual_seed(0)
    n = batches * BATCH
    images = torch.randint(0, 256, (n, 3, 32, 32), generator=generator, dtype=torch.uint8)
    labels = torch.randint(0, 10, (n,), generator=generator)
    return Splits("random-cifar", TensorImages(images, labels), TensorImages(images, labels), 10, 3, 32)


def seconds_per_epoch(space_name: str, text: str, batches: int, repeats: int) -> tuple[float, float, float, int]:
    """(training wall seconds per epoch, training CPU seconds per epoch, evaluation wall seconds per 10k images,
    parameters). CPU seconds do not grow when other jobs share the machine; wall seconds do."""
    space = get_space(space_name)
    arch = space.parse(text)
    splits = random_splits(batches)
    recipe = Recipe(epochs=1, batch_size=BATCH)
    trainer = Trainer(space.build(arch), splits, recipe, ModelInfo(str(arch), space_name, splits.name, 10, 3, 32))
    trainer.model(torch.randn(BATCH, 3, 32, 32)).sum().backward()  # warm-up: allocator, kernels
    best_train, best_cpu, best_eval = float("inf"), float("inf"), float("inf")
    for _ in range(repeats):
        trainer.epoch = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        trainer.fit()
        total, cpu_total = time.perf_counter() - started, time.process_time() - cpu_started
        started, cpu_started = time.perf_counter(), time.process_time()
        trainer.evaluate()
        evaluation, cpu_evaluation = time.perf_counter() - started, time.process_time() - cpu_started
        best_train, best_eval = min(best_train, total - evaluation), min(best_eval, evaluation)
        best_cpu = min(best_cpu, cpu_total - cpu_evaluation)
    steps_per_epoch = TRAIN_IMAGES / BATCH
    params = sum(p.numel() for p in trainer.model.parameters())
    return (best_train / batches * steps_per_epoch, best_cpu / batches * steps_per_epoch,
            best_eval * VAL_IMAGES / (batches * BATCH), params)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {args.threads} threads, "
          f"batch {BATCH}, {args.batches} timed batches extrapolated to {TRAIN_IMAGES:,} images")
    for label, (space_name, text) in NETWORKS.items():
        train_s, cpu_s, eval_s, params = seconds_per_epoch(space_name, text, args.batches, args.repeats)
        print(f"{label:36s} {params:>10,} params  train {train_s / 60:7.1f} min/epoch wall, "
              f"{cpu_s / 60:7.1f} min/epoch CPU  eval {eval_s:6.1f} s/10k wall")


if __name__ == "__main__":
    main()
