"""zen-det on the YOLOv8 presets: time per score of a YOLOv8n-size detector at 320 px on the CPU, and the
ordering of v8n < v8s < v8m over seeds (run by hand; numbers go to docs/detection.md).

    python3 benchmarks/zen_det.py [--threads 2] [--runs 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

import phasenas.space.detection  # noqa: F401  (registers the yolo space until phasenas.space imports it)
from phasenas.scoring import ScoreSettings, score_text
from phasenas.scoring.proxies.zen_det import MAX_BATCH, PROXY_RESOLUTION
from phasenas.space import get_space

PRESETS = ("yolov8n", "yolov8s", "yolov8m")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    space = get_space("yolo").with_budget(max_params=None, max_flops=None)
    score_text(space, "yolov8n", "zen-det", ScoreSettings())  # warm-up: a scoring worker pays torch's start-up once
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"torch {torch.__version__}, {args.threads} threads; zen-det at {PROXY_RESOLUTION} px, "
          f"1 repeat; times include building the model; "
          "CPU s counts all threads (on an idle machine wall ~ CPU / threads)")
    print("| model | batch | params | median wall s per score | min wall s | median CPU s | scores (seeds 0..runs-1) |\n"
          "|---|---|---|---|---|---|---|")
    for name, batch in [(name, MAX_BATCH) for name in PRESETS] + [("yolov8n", MAX_BATCH // 2)]:
        seconds, cpu, scores = [], [], []
        for seed in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            outcome = score_text(space, name, "zen-det", ScoreSettings(batch_size=batch, seed=seed))
            seconds.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            if outcome.score is None:
                raise SystemExit(f"{name}: {outcome.error}: {outcome.detail}")
            scores.append(outcome.score)
        shown = ", ".join(f"{s:.1f}" for s in scores)
        print(f"| {name} | {batch} | {space.validate(name).params:,} | {statistics.median(seconds):.2f} | "
              f"{min(seconds):.2f} | {statistics.median(cpu):.2f} | {shown} |")


if __name__ == "__main__":
    main()
