"""Rank-averaging of several proxies over the candidates seen so far."""

from __future__ import annotations

import pytest

from phasenas.scoring import EnsembleRanker


def test_rank_average_over_history():
    ranker = EnsembleRanker(["a", "b"])
    assert ranker.add("x", [1.0, 10.0]) == 0.5  # alone: the middle
    assert ranker.add("y", [2.0, 20.0]) == 1.0  # best on both
    assert ranker.add("z", [3.0, 0.0]) == pytest.approx((1.0 + 0.0) / 2)  # best on a, worst on b
    ranking = ranker.ranking()
    assert ranking["y"] == pytest.approx((0.5 + 1.0) / 2)
    assert ranking["x"] == pytest.approx((0.0 + 0.5) / 2)
    assert max(ranking, key=ranking.get) == "y"


def test_ties_share_the_mid_rank_and_repeats_are_not_double_counted():
    ranker = EnsembleRanker(["a"])
    ranker.add("x", [1.0])
    ranker.add("y", [1.0])
    assert ranker.add("x", [1.0]) == 0.5
    assert len(ranker) == 2


def test_component_count_must_match():
    with pytest.raises(ValueError):
        EnsembleRanker(["a", "b"]).add("x", [1.0])
    with pytest.raises(ValueError):
        EnsembleRanker([])
