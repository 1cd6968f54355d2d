"""The top-K pool: ordering, size, one entry per canonical form, near-duplicate limit, diverse sample."""

from __future__ import annotations

from phasenas.graph.pool import insert, similarity, top_and_diverse
from phasenas.graph.state import PoolEntry


def entry(canonical: str, score: float, step: int = 1) -> PoolEntry:
    return PoolEntry(canonical=canonical, score=score, step=step, agent="explorer")


def test_keeps_the_best_k_in_order() -> None:
    pool = insert([], [entry(f"A{i}", float(i)) for i in range(10)], size=3)
    assert [e["score"] for e in pool] == [9.0, 8.0, 7.0]
    assert insert(pool, [entry("B", 8.5)], size=3)[1]["canonical"] == "B"


def test_never_two_equal_canonical_forms() -> None:
    pool = insert([entry("X", 1.0)], [entry("X", 3.0), entry("X", 2.0), entry("Y", 0.5)], size=5)
    assert [(e["canonical"], e["score"]) for e in pool] == [("X", 3.0), ("Y", 0.5)]


def test_near_duplicates_are_kept_out_when_asked() -> None:
    near = ["AAAAAAAAAA", "AAAAAAAAAB", "ZZZZZZZZZZ"]
    pool = insert([], [entry(near[0], 3.0), entry(near[1], 2.0), entry(near[2], 1.0)], size=3, max_similarity=0.85)
    assert [e["canonical"] for e in pool] == [near[0], near[2]]
    assert len(insert([], [entry(c, float(i)) for i, c in enumerate(near)], size=3)) == 3


def test_diverse_sample_prefers_the_least_similar_members() -> None:
    pool = [entry("MB6K5MB6K5MB6K5", 5.0), entry("MB6K5MB6K5MB3K3", 4.0), entry("SkipSkipSkipSkip", 3.0),
            entry("MB6K5MB6K5MB6K3", 2.0)]
    top, diverse = top_and_diverse(pool, n_top=1, n_diverse=1)
    assert top == pool[:1]
    assert diverse == [pool[2]]
    assert similarity(pool[0]["canonical"], pool[2]["canonical"]) < similarity(pool[0]["canonical"],
                                                                                pool[1]["canonical"])
    assert top_and_diverse(pool, n_top=2, n_diverse=9)[1] == [pool[2], pool[3]]
