"""The whole graph on scripted models (no LLM) and the exact FLOPs proxy: phases, repairs, duplicates,
concurrency, checkpoint size, replay, resume of a finished run."""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path
from statistics import median

import pytest

from phasenas.runs import (
    CHECKPOINT_FILE,
    LOCK_FILE,
    RUN_STORE_FILE,
    RunBusy,
    areplay,
    aresume,
    asearch,
)
from phasenas.store import NEIGHBOUR_MODEL, RunStore
from phasenas.trace import timeline
from tests.graph import fakes
from tests.graph.conftest import make_config


def store_of(result_dir: Path) -> RunStore:
    return RunStore(result_dir / RUN_STORE_FILE)


@pytest.mark.parametrize(("overlap", "switch_step"), [(False, 2), (True, 3)])
async def test_switches_phase_once_best_reaches_gamma_trans(runs_dir: Path, overlap: bool, switch_step: int) -> None:
    config = make_config(runs_dir, thresholds={"gamma_trans": 0.0}, scoring={"proxy": "flops", "workers": 1,
                                                                            "overlap": overlap})
    result = await asearch(config)
    # Step 1 explores (nothing scored yet); its scores are known after step 1 without overlap, after step 2 with it.
    assert result.switched_at_step == switch_step
    assert result.phase == "refine" and result.stop_reason == "budget:evaluations"
    with store_of(result.run_dir) as store:
        calls = store.llm_calls()
        evaluations = store.evaluations()
        switches = [e for e in store.events() if e.kind == "phase.switched"]
    assert {c.agent for c in calls if c.step < switch_step} == {"explorer"}
    assert {c.agent for c in calls if c.step >= switch_step} == {"refiner"}
    assert {c.prompt for c in calls} == {"explore@1", "refine@1"}
    assert [s.step for s in switches] == [switch_step]
    assert len(evaluations) == result.usage["evaluations"] == 20
    best = max(evaluations, key=lambda e: e.score or 0.0)
    assert (result.best, result.best_score) == (best.canonical, best.score)
    assert [p["score"] for p in result.pool] == sorted((e.score for e in evaluations), reverse=True)[:8]


async def test_invalid_proposals_are_repaired_with_the_validator_s_errors(runs_dir: Path) -> None:
    result = await asearch(make_config(runs_dir, explorer={"invalid_rounds": 1}, budget={"evaluations": 8}))
    with store_of(result.run_dir) as store:
        step1 = [p for p in store.proposals() if p.step == 1]
        repairs = [c for c in store.llm_calls() if c.prompt == "repair@2"]
    assert [(p.round, p.status) for p in step1] == [(0, "invalid")] * 4 + [(1, "valid")] * 4
    assert step1[0].errors[0]["code"] == "not_in_space"
    assert len(repairs) == result.usage["llm_calls"] // 2
    assert fakes.BROKEN in repairs[0].messages[-1]["content"]
    assert "10 blocks" in repairs[0].messages[-1]["content"]
    assert result.usage["evaluations"] == 8


async def test_repair_rounds_are_bounded_by_r(runs_dir: Path) -> None:
    config = make_config(runs_dir, explorer={"invalid_rounds": 99}, repair_rounds=2,
                         budget={"evaluations": 20, "llm_calls": 24})
    result = await asearch(config)
    with store_of(result.run_dir) as store:
        proposals = store.proposals()
    assert result.stop_reason == "budget:llm_calls"
    assert result.usage["evaluations"] == 0 and result.best is None
    assert {p.status for p in proposals} == {"invalid"}
    assert max(p.round for p in proposals) == 2
    assert [sum(p.step == s for p in proposals) for s in (1, 2)] == [12, 12]  # 4 slots x (1 + R) rounds


async def test_duplicates_are_dropped_before_scoring_and_sent_back(runs_dir: Path) -> None:
    config = make_config(runs_dir, explorer={"repeat": True}, refiner={"repeat": True},
                         budget={"evaluations": 5, "llm_calls": 16})
    config.explorer.duplicates = config.refiner.duplicates = "repair"
    result = await asearch(config)
    with store_of(result.run_dir) as store:
        statuses = [p.status for p in store.proposals()]
        evaluations = store.evaluations()
        repairs = [c for c in store.llm_calls() if c.prompt == "repair@2"]
    assert len(evaluations) == 1 and result.usage["evaluations"] == 1
    assert statuses.count("valid") == 1 and statuses.count("duplicate") == 15
    assert repairs and "[duplicate]" in repairs[0].messages[-1]["content"]


async def test_duplicates_are_replaced_by_unexplored_neighbours_without_another_call(runs_dir: Path) -> None:
    config = make_config(runs_dir, explorer={"repeat": True}, budget={"evaluations": 9})
    result = await asearch(config)
    with store_of(result.run_dir) as store:
        proposals = store.proposals()
        evaluations = store.evaluations()
        calls = store.llm_calls()
        usage = store.phase_usage()["explore"]
    assert result.usage["evaluations"] == 9 == len({e.canonical for e in evaluations})
    assert {c.prompt for c in calls} == {"explore@1"}  # no repair calls
    assert [p.status for p in proposals].count("valid") == 1 and len({p.canonical for p in proposals}) == 1
    assert usage.neighbours == 8 == sum(e.model == NEIGHBOUR_MODEL for e in evaluations)
    replaced = sum("neighbour instead" in p.errors[0]["message"] for p in proposals if p.status == "duplicate")
    assert sum(r.neighbours for r in timeline(result.run_dir, node="validator")) == replaced >= 8  # `phasenas trace`
    assert all(e.call_key in {c.call_key for c in calls} for e in evaluations)


@pytest.mark.parametrize("limit", [2, 6])
async def test_llm_calls_of_a_step_run_concurrently_up_to_max_concurrency(runs_dir: Path, limit: int) -> None:
    probe = f"concurrency-{limit}"
    config = make_config(runs_dir, explorer={"delay_s": 0.05, "probe": probe}, k_explore=6,
                         max_concurrency=limit, budget={"evaluations": 12})
    await asearch(config)
    assert fakes.MAX_IN_FLIGHT[probe] == limit


def checkpoint_sizes(run_dir: Path) -> list[int]:
    with sqlite3.connect(run_dir / CHECKPOINT_FILE) as db:
        return [row[0] for row in db.execute(
            "SELECT length(checkpoint) + length(metadata) FROM checkpoints ORDER BY rowid")]


async def test_checkpoint_size_does_not_grow_with_the_number_of_evaluations(runs_dir: Path) -> None:
    result = await asearch(make_config(runs_dir, k_explore=8, budget={"evaluations": 240}))
    sizes = checkpoint_sizes(result.run_dir)
    third = len(sizes) // 3
    first, middle, last = sizes[:third], sizes[third:2 * third], sizes[2 * third:]
    assert third > 30
    assert max(last) <= 1.1 * max(first)
    assert median(last) <= 1.1 * median(middle)
    with store_of(result.run_dir) as store:  # the history went to the store instead
        assert len(store.evaluations()) == 240 and len(store.llm_calls()) >= 240


async def test_replay_reproduces_evaluations_and_best_without_calling_the_model(runs_dir: Path) -> None:
    probe = "replay-source"
    config = make_config(runs_dir, explorer={"probe": probe, "invalid_rounds": 1}, refiner={"probe": probe},
                         thresholds={"gamma_trans": 0.0}, budget={"evaluations": 16})
    original = await asearch(config)
    calls_before = len(fakes.CALLS[probe])
    report = await areplay(original.run_id, runs_dir)
    assert report.matched, report.differences
    assert len(fakes.CALLS[probe]) == calls_before
    assert report.replayed.best == original.best and report.replayed.switched_at_step == original.switched_at_step
    with store_of(report.replayed.run_dir) as store:
        assert {c.model.split(":")[0] for c in store.llm_calls()} == {"replay"}


async def test_resuming_a_finished_run_returns_its_result_without_running(runs_dir: Path) -> None:
    probe = "finished"
    original = await asearch(make_config(runs_dir, explorer={"probe": probe}, budget={"evaluations": 8}))
    calls = len(fakes.CALLS[probe])
    again = await aresume(original.run_id, runs_dir)
    assert again == original
    assert len(fakes.CALLS[probe]) == calls


async def test_a_run_being_run_elsewhere_cannot_be_resumed(runs_dir: Path) -> None:
    result = await asearch(make_config(runs_dir, budget={"evaluations": 4}))
    with (result.run_dir / LOCK_FILE).open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RunBusy):
            await aresume(result.run_id, runs_dir)
    assert (await aresume(result.run_id, runs_dir)) == result


async def test_auto_thresholds_switch_and_stop_on_plateaus(runs_dir: Path) -> None:
    config = make_config(runs_dir, budget={"evaluations": 400},
                         thresholds={"mode": "auto", "plateau_window": 2, "plateau_tolerance": 0.02,
                                     "warmup_evaluations": 8, "stuck_steps": 0})
    result = await asearch(config)
    with store_of(result.run_dir) as store:
        set_events = [e for e in store.events() if e.kind == "thresholds.set"]
    assert result.stop_reason == "gamma_stop"
    assert result.switched_at_step is not None
    assert [(e.data["gamma_trans"] is not None, e.data["gamma_stop"] is not None) for e in set_events] == [
        (True, False), (True, True)]
    assert set_events[0].step < result.switched_at_step <= set_events[1].step
    assert result.best_score >= set_events[1].data["gamma_stop"]  # the drained last batch may add to it
    assert result.usage["evaluations"] < 400
