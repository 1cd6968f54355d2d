"""How well each proxy ranks NAS-Bench-Macro networks: Kendall tau and Spearman rho against ``mean_acc``.

Run by hand (scores go through the ScoringQueue and its cache, so a rerun only recomputes the table):

    python3 benchmarks/proxy_correlation.py --table ../shared/data/nas-bench-macro_cifar10.json \
        --sample 500 --cache-dir /tmp/phasenas-corr

The sample is fixed: ``--sample`` distinct networks (canonical codes) drawn with ``random.Random(--seed)``.
Prints a Markdown table for docs/scoring.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from pathlib import Path

import numpy as np

from phasenas.scoring import EnsembleRanker, ScoreSettings, ScoringQueue
from phasenas.space.macro import BenchmarkTable, canonical_code

PROXIES = ("zen", "naswot", "synflow", "gradnorm", "params", "flops")
ENSEMBLES = (("naswot", "flops"), ("naswot", "zen"), ("naswot", "gradnorm", "flops"))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties sharing their mean rank."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end + 1) / 2
            start = end
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(average_ranks(x), average_ranks(y))[0, 1])


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    upper = np.triu_indices(len(x), 1)
    dx, dy = dx[upper], dy[upper]
    concordance = float(np.sum(dx * dy))
    return concordance / float(np.sqrt(np.sum(dx != 0) * np.sum(dy != 0)))


def fixed_sample(table: BenchmarkTable, size: int, seed: int) -> list[str]:
    networks = sorted(code for code in table.entries if canonical_code(code) == code)
    return random.Random(seed).sample(networks, size)


async def score_all(codes: list[str], proxies: list[str], settings: ScoreSettings, cache_dir: Path,
                    workers: int | None) -> dict[str, list[float | None]]:
    scores: dict[str, list[float | None]] = {}
    async with ScoringQueue("macro", workers=workers, cache_dir=cache_dir, settings=settings, timeout=600) as q:
        for proxy in proxies:
            start = time.perf_counter()
            results = await q.score_many(codes, proxy=proxy)
            failed = [r for r in results if not r.ok]
            print(f"# {proxy}: {len(codes)} scored in {time.perf_counter() - start:.0f} s, {len(failed)} failed"
                  + (f" ({failed[0].error}: {failed[0].detail})" if failed else ""), flush=True)
            scores[proxy] = [r.score for r in results]
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", type=Path, default=None, help="nas-bench-macro_cifar10.json "
                        "(default: $PHASENAS_NBM_TABLE)")
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0, help="sample seed (scores use ScoreSettings.seed 0)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--proxies", default=",".join(PROXIES), help="comma-separated subset")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/phasenas-proxy-correlation"))
    args = parser.parse_args()

    table = BenchmarkTable.load(args.table)
    codes = fixed_sample(table, args.sample, args.seed)
    accuracy = np.array([table.accuracy(code) for code in codes])
    proxies = args.proxies.split(",")
    settings = ScoreSettings(batch_size=args.batch_size)
    scores = asyncio.run(score_all(codes, proxies, settings, args.cache_dir, args.workers))

    print(f"\n{len(codes)} distinct NAS-Bench-Macro networks (seed {args.seed}), batch {args.batch_size}\n")
    print("| proxy | Kendall tau | Spearman rho | failed |")
    print("|---|---|---|---|")
    for proxy, values in scores.items():
        ok = [i for i, v in enumerate(values) if v is not None]
        x = np.array([values[i] for i in ok])
        print(f"| {proxy} | {kendall_tau_b(x, accuracy[ok]):.3f} | {spearman(x, accuracy[ok]):.3f} | "
              f"{len(values) - len(ok)} |")
    for components in (e for e in ENSEMBLES if set(e) <= set(proxies)):
        ranker = EnsembleRanker(components)
        complete = [i for i in range(len(codes)) if all(scores[c][i] is not None for c in components)]
        for i in complete:
            ranker.add(codes[i], [scores[c][i] for c in components])  # type: ignore[misc]
        ranking = ranker.ranking()
        x = np.array([ranking[codes[i]] for i in complete])
        print(f"| ensemble({'+'.join(components)}) | {kendall_tau_b(x, accuracy[complete]):.3f} | "
              f"{spearman(x, accuracy[complete]):.3f} | {len(codes) - len(complete)} |")

    if {"zen", "naswot"} <= set(proxies):
        explain_zen(codes, accuracy, scores)


def explain_zen(codes: list[str], accuracy: np.ndarray, scores: dict[str, list[float | None]]) -> None:
    """The probe's finding: Zen counts inverted-residual layers, and within one count it ranks poorly."""
    blocks = np.array([sum(c != "0" for c in code) for code in codes], dtype=float)
    zen = np.array(scores["zen"], dtype=float)
    fit = np.polyfit(blocks, zen, 1)
    r2 = 1 - np.var(zen - np.polyval(fit, blocks)) / np.var(zen)
    same = blocks == np.bincount(blocks.astype(int)).argmax()
    naswot = np.array(scores["naswot"], dtype=float)
    print(f"\nzen vs number of inverted-residual layers: R^2 = {r2:.3f}; among the {int(same.sum())} networks "
          f"with {int(blocks[same][0])} such layers, Kendall tau with accuracy: zen "
          f"{kendall_tau_b(zen[same], accuracy[same]):.3f}, naswot {kendall_tau_b(naswot[same], accuracy[same]):.3f}")


if __name__ == "__main__":
    main()
