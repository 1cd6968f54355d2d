"""The append-only run store: records round-trip, evaluations are unique per canonical form."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import pytest

from phasenas.store import (
    EvaluationRecord,
    LLMExchange,
    NodeRecord,
    PhaseUsage,
    RunStore,
)


def evaluation(canonical: str, score: float | None) -> EvaluationRecord:
    return EvaluationRecord(canonical=canonical, step=1, phase="explore", agent="explorer", model="m",
                            prompt="explore@1", call_key="1/explorer/0/0", proxy="flops", score=score, error=None,
                            seconds=0.1, cached=False, input_tokens=3, output_tokens=4, llm_latency_s=0.5,
                            submitted_at=1.0, finished_at=2.0)


def exchange(key: str, phase: str, tokens: tuple[int, int], cost: float, latency: float) -> LLMExchange:
    return LLMExchange(call_key=key, step=1, round=0, slot=0, phase=phase, agent="explorer", model="m",
                       prompt="explore@1", messages=[], response="", input_tokens=tokens[0], output_tokens=tokens[1],
                       cost_usd=cost, latency_s=latency, started_at=0.0, constraint_kind="gbnf")


def node(phase: str, started: float, finished: float) -> NodeRecord:
    return NodeRecord(step=1, node="scorer", phase=phase, round=0, started_at=started, finished_at=finished, data={})


def test_evaluations_are_recorded_once_per_canonical_form(tmp_path: Path) -> None:
    with RunStore(tmp_path / "run.sqlite") as store:
        assert store.record_evaluation(evaluation("A", 1.0))
        assert not store.record_evaluation(evaluation("A", 1.0))
        assert store.record_evaluation(evaluation("B", None))
        assert [e.canonical for e in store.evaluations()] == ["A", "B"]
        assert store.evaluated(["A", "C"]) == {"A"}
        assert store.scored() == {"A": 1.0}


def test_llm_exchanges_round_trip_and_survive_reopening(tmp_path: Path) -> None:
    exchange = LLMExchange(call_key="2/refiner/1/0", step=2, round=1, slot=0, phase="refine", agent="refiner",
                           model="local:q", prompt="repair@1", messages=[{"role": "user", "content": "hi"}],
                           response="ok", input_tokens=5, output_tokens=1, cost_usd=0.0, latency_s=0.2,
                           started_at=3.0, constraint_kind="gbnf")
    with RunStore(tmp_path / "run.sqlite") as store:
        store.record_llm_call(exchange)
        store.record_event("run.started", step=None, note="x")
    with RunStore(tmp_path / "run.sqlite") as store:
        assert store.llm_call("2/refiner/1/0") == exchange
        assert store.llm_call("missing") is None
        assert store.llm_calls("explorer") == []
        assert [(e.kind, e.data) for e in store.events()] == [("run.started", {"note": "x"})]


def test_phase_usage_adds_up_each_phase_like_the_records_do(tmp_path: Path) -> None:
    evaluations = [replace(evaluation("A", 1.0), seconds=0.25), replace(evaluation("B", None), seconds=1.5),
                   evaluation("B2", None), replace(evaluation("C", 3.0), phase="refine", seconds=2.0),
                   replace(evaluation("D", None), phase="refine", seconds=0.125)]
    calls = [exchange("e1", "explore", (10, 5), 0.01, 1.25), exchange("e2", "explore", (7, 0), 0.02, 0.5),
             exchange("r1", "refine", (100, 40), 0.5, 3.0)]
    nodes = [node("explore", 10.0, 11.5), node("explore", 11.5, 14.0), node("refine", 14.0, 20.25),
             node("finish", 20.25, 20.5)]  # a phase with node time only
    with RunStore(tmp_path / "run.sqlite") as store:
        assert store.phase_usage() == {}
        for e in evaluations:
            store.record_evaluation(e)
        for c in calls:
            store.record_llm_call(c)
        for n in nodes:
            store.record_node(n)
        usage = store.phase_usage()
    assert list(usage) == ["explore", "finish", "refine"]
    for phase, got in usage.items():
        es = [e for e in evaluations if e.phase == phase]
        cs = [c for c in calls if c.phase == phase]
        expected = PhaseUsage(
            evaluations=len(es), failures=sum(e.score is None for e in es), llm_calls=len(cs),
            tokens=sum(c.input_tokens + c.output_tokens for c in cs), cost_usd=sum(c.cost_usd for c in cs),
            llm_seconds=sum(c.latency_s for c in cs), scoring_seconds=sum(e.seconds for e in es),
            node_seconds=sum(n.finished_at - n.started_at for n in nodes if n.phase == phase))
        assert asdict(got) == pytest.approx(asdict(expected)), phase  # floats: SQLite may sum in another order
    assert (usage["explore"].failures, usage["explore"].tokens) == (2, 22)
    assert usage["finish"] == PhaseUsage(node_seconds=0.25)


def test_count_best_latest_events_and_spans_answer_in_one_query(tmp_path: Path) -> None:
    with RunStore(tmp_path / "run.sqlite") as store:
        assert store.best() is None and store.latest() is None and store.node_spans() == []
        assert store.evaluation_count() == 0
        assert store.first_event("run.started") is None
        store.record_event("run.resumed", step=3)
        store.record_event("run.started")
        store.record_event("run.finished", step=9)
        for e in (evaluation("A", 2.0), evaluation("B", 5.0), evaluation("C", None), evaluation("D", 5.0),
                  replace(evaluation("E", 1.0), phase="refine")):
            store.record_evaluation(e)
        store.record_node(node("explore", 4.0, 6.0))
        store.record_node(node("refine", 3.0, 5.0))  # a node that started earlier but was recorded later
        best, latest = store.best(), store.latest()
        assert store.evaluation_count() == 5
        assert best is not None and (best.canonical, best.score) == ("B", 5.0)  # the earliest of equal scores
        assert latest is not None and (latest.canonical, latest.phase) == ("E", "refine")
        started = store.first_event("run.started", "run.resumed")
        assert started is not None and (started.kind, started.step) == ("run.resumed", 3)
        finished = store.first_event("run.finished")
        assert finished is not None and finished.step == 9
        assert store.node_spans() == [(3.0, 5.0), (4.0, 6.0)]  # by start, not by recording
