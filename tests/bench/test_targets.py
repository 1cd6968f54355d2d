"""The targets section reads per-run results: rank <= 3 counts, the proxy ceiling, time ratios."""

from __future__ import annotations

from typing import Any

from phasenas.bench.targets import ceiling, markdown, time_ratio, time_to
from phasenas.space import get_space

TOP = str(get_space("macro").parse("22222222"))  # the proxies' argmax, as a canonical string


def row(method: str, feedback: str, seed: int, curve: list[list[float]], **extra: Any) -> dict[str, Any]:
    base = {"method": method, "feedback": feedback, "budget": 24, "seed": seed, "curve": curve,
            "best_acc": curve[-1][1] if curve else None, "pick": None, "pick_rank": None, "pick_found_at": None}
    return {**base, **extra}


def test_time_to_is_the_first_time_the_curve_reaches_the_accuracy() -> None:
    curve = [[1.0, 90.0], [5.0, 92.0], [9.0, 93.0]]
    assert time_to(curve, 92.0) == 5.0
    assert time_to(curve, 91.0) == 5.0
    assert time_to(curve, 93.5) is None


def test_time_ratio_compares_times_to_the_lower_of_both_best_accuracies() -> None:
    fast = row("phasenas", "table", 0, [[2.0, 92.0], [3.0, 93.0]])
    slow = row("static-large", "table", 0, [[10.0, 91.0], [20.0, 92.5]])
    assert time_ratio(fast, slow) == 3.0 / 20.0  # target 92.5: fast at 3 s, slow at 20 s
    assert time_ratio(slow, fast) == 20.0 / 3.0


def test_ceiling_is_the_pick_with_the_highest_feedback_score() -> None:
    rows = [row("evolution", "proxy", s, [], pick=p, pick_score=v) for s, (p, v) in enumerate(
        [("a", 10.0), ("b", 12.0), ("c", None)])]
    assert ceiling(rows) == "b"
    assert ceiling([]) is None


def test_markdown_reports_each_target_from_the_rows() -> None:
    results = [
        row("phasenas", "table", 0, [[1.0, 93.11]], pick_rank=3),
        row("phasenas", "table", 1, [[1.0, 92.9]], pick_rank=30),
        row("static-large", "table", 0, [[4.0, 93.11]]),
        row("phasenas", "proxy", 0, [[1.0, 92.95]], pick=TOP, pick_score=5.0, pick_found_at=40),
        row("evolution", "proxy", 0, [[1.0, 92.95]], pick=TOP, pick_score=5.0, pick_found_at=160),
        row("evolution", "proxy", 1, [[1.0, 92.9]], pick="other", pick_score=4.0, pick_found_at=20),
        row("evolution", "proxy", 0, [[1.0, 92.95]], pick=TOP, pick_score=5.0, pick_found_at=150, budget=200),
        row("evolution", "proxy", 1, [[1.0, 92.95]], pick=TOP, pick_score=5.0, pick_found_at=170, budget=200),
    ]
    text = markdown(results)
    assert "`phasenas` picked rank <= 3 in 1/2 seeds" in text
    assert "median 0.25 over 1/1 paired seeds" in text
    # against evolution's longest (200-evaluation) runs, of which its 24-evaluation runs are prefixes
    assert "proxy ceiling `22222222` picked by `phasenas` in 1/1 seeds (median evaluation 40), by `evolution` in 2/2 " \
           "seeds of its 200-evaluation runs (median evaluation 160); ratio of medians 0.25." in text
