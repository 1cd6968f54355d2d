"""The issue's three targets, measured from the per-run results (never tuned: this only reads them).

1. table feedback: seeds in which `phasenas` picks a rank <= 3 network;
2. proxy feedback: evaluations until `phasenas` picks the proxy's ceiling, against `evolution`'s longest runs;
3. wall time `phasenas` needs to reach the accuracy `static-large` reaches, as a ratio of static-large's time.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from phasenas.bench.aggregate import median_text
from phasenas.bench.table_proxy import macro_code

Row = dict[str, Any]
TOP = 3


def time_to(curve: list[list[float]], accuracy: float) -> float | None:
    """Seconds until the best-so-far true accuracy first reached `accuracy` (None: never)."""
    return next((t for t, acc in curve if acc >= accuracy), None)


def time_ratio(fast: Row, slow: Row) -> float | None:
    """`fast`'s time over `slow`'s time to reach the lower of the two runs' best accuracies."""
    if fast["best_acc"] is None or slow["best_acc"] is None:
        return None
    target = min(fast["best_acc"], slow["best_acc"])
    t_fast, t_slow = time_to(fast["curve"], target), time_to(slow["curve"], target)
    return None if t_fast is None or not t_slow else t_fast / t_slow


def ceiling(rows: list[Row]) -> str | None:
    """The proxy's ceiling: the pick with the highest feedback score over all proxy-feedback runs."""
    scored = [r for r in rows if r.get("pick_score") is not None]
    return max(scored, key=lambda r: r["pick_score"])["pick"] if scored else None


def markdown(results: list[Row], method: str = "phasenas", reference: str = "evolution",
             large: str = "static-large") -> str:
    """The targets section of the report, one line per (feedback, budget) where the runs exist."""
    cells: dict[tuple[str, int, str], dict[int, Row]] = defaultdict(dict)
    for r in results:
        cells[(r["feedback"], r["budget"], r["method"])][r["seed"]] = r
    budgets = sorted({(r["feedback"], r["budget"]) for r in results})
    lines = ["### Targets", ""]
    top = ceiling([r for r in results if r["feedback"] == "proxy"])
    for feedback, budget in budgets:
        ours = cells.get((feedback, budget, method), {})
        if not ours:
            continue
        head = f"- {feedback} feedback, {budget} evaluations, {len(ours)} seed(s):"
        if feedback == "table":
            hits = sum(r["pick_rank"] is not None and r["pick_rank"] <= TOP for r in ours.values())
            lines.append(f"{head} `{method}` picked rank <= {TOP} in {hits}/{len(ours)} seeds.")
        elif top is not None:
            # the reference's longest runs: a baseline's shorter runs are their prefixes (runner tests)
            longest = max((b for f, b, m in cells if f == feedback and m == reference), default=budget)
            refs = cells.get((feedback, longest, reference), {})
            reached = [r["pick_found_at"] for r in ours.values() if r["pick"] == top]
            theirs = [r["pick_found_at"] for r in refs.values() if r["pick"] == top]
            ratio = (f"; ratio of medians {statistics.median(reached) / statistics.median(theirs):.2f}"
                     if reached and theirs else "")
            lines.append(f"{head} proxy ceiling `{macro_code(top)}` picked by `{method}` in {len(reached)}/{len(ours)} seeds "
                         f"(median evaluation {median_text(reached, '.3g')}), by `{reference}` in "
                         f"{len(theirs)}/{len(refs)} seeds of its {longest}-evaluation runs "
                         f"(median evaluation {median_text(theirs, '.3g')}){ratio}.")
        pairs = [(ours[s], r) for s, r in cells.get((feedback, budget, large), {}).items() if s in ours]
        ratios = [x for x in (time_ratio(a, b) for a, b in pairs) if x is not None]
        if pairs:
            lines.append(f"  Time to the accuracy both `{method}` and `{large}` reached, as a fraction of "
                         f"`{large}`'s: median {median_text(ratios, '.3g')} over {len(ratios)}/{len(pairs)} paired seeds "
                         f"({', '.join(f'{x:.2f}' for x in ratios) or '-'}).")
    return "\n".join(lines) + "\n"
