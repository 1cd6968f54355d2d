"""The append-only run store: records round-trip, evaluations are unique per canonical form."""

from __future__ import annotations

from pathlib import Path

from phasenas.store import EvaluationRecord, LLMExchange, RunStore


def evaluation(canonical: str, score: float | None) -> EvaluationRecord:
    return EvaluationRecord(canonical=canonical, step=1, phase="explore", agent="explorer", model="m",
                            prompt="explore@1", call_key="1/explorer/0/0", proxy="flops", score=score, error=None,
                            seconds=0.1, cached=False, input_tokens=3, output_tokens=4, llm_latency_s=0.5,
                            submitted_at=1.0, finished_at=2.0)


def test_evaluations_are_recorded_once_per_canonical_form(tmp_path: Path) -> None:
    with RunStore(tmp_path / "run.sqlite") as store:
        assert store.record_evaluation(evaluation("A", 1.0))
        assert not store.record_evaluation(evaluation("A", 1.0))
        assert store.record_evaluation(evaluation("B", None))
        assert [e.canonical for e in store.evaluations()] == ["A", "B"]
        assert store.evaluated(["A", "C"]) == {"A"}
        assert store.scores() == [1.0]


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
