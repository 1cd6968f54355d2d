"""The figure of docs/benchmarks.md: best-so-far true accuracy against wall time, per method and seed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt


def plot_curves(results: list[dict[str, Any]], path: Path) -> Path:
    """One panel per feedback mode, the largest budget of each method; one line per seed, one colour per method."""
    feedbacks = sorted({r["feedback"] for r in results})
    fig, axes = plt.subplots(1, max(len(feedbacks), 1), figsize=(6.5 * max(len(feedbacks), 1), 4.5), squeeze=False)
    colours = plt.get_cmap("tab10")
    methods = list(dict.fromkeys(r["method"] for r in results))
    for ax, feedback in zip(axes[0], feedbacks):
        rows = [r for r in results if r["feedback"] == feedback]
        for i, method in enumerate(methods):
            mine = [r for r in rows if r["method"] == method]
            if not mine:
                continue
            budget = max(r["budget"] for r in mine)
            for j, r in enumerate(r for r in mine if r["budget"] == budget):
                t = [max(p[0], 1e-3) for p in r["curve"]]
                ax.step(t, [p[1] for p in r["curve"]], where="post", color=colours(i), alpha=0.7, lw=1.2,
                        label=f"{method} ({budget} evals)" if j == 0 else None)
        ax.axhline(92.95, color="grey", ls=":", lw=1, label="rank 21 (proxy argmax)")
        ax.axhline(93.11, color="black", ls="--", lw=1, label="rank 3")
        ax.set_xscale("log")
        ax.set_ylim(bottom=91.0)
        ax.set_xlabel("wall seconds (log)")
        ax.set_ylabel("best-so-far true CIFAR-10 accuracy (%)")
        ax.set_title(f"NAS-Bench-Macro, feedback = {feedback}")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
