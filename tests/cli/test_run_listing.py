"""`phasenas runs` and `phasenas report` on a run store written by hand, so every number shown is known
(the end-to-end run in test_run_commands needs a local model; this needs none)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from phasenas.cli import app
from phasenas.config import SearchConfig
from phasenas.llm.replay import RUN_STORE_FILE
from phasenas.runs import CONFIG_FILE
from phasenas.space.macro import TABLE_ENV
from phasenas.store import NEIGHBOUR_MODEL, RunStore
from tests.graph.test_store import evaluation, exchange

EVALUATIONS = [evaluation("A", 2.0), evaluation("B", None), replace(evaluation("C", 7.0), model=NEIGHBOUR_MODEL),
               replace(evaluation("D", 7.0), phase="refine"), replace(evaluation("E", None), phase="refine")]


def write_run(runs: Path, run_id: str, *, finished: bool) -> None:
    directory = runs / run_id
    directory.mkdir(parents=True)
    (directory / CONFIG_FILE).write_bytes(SearchConfig(run_id=run_id).snapshot())
    with RunStore(directory / RUN_STORE_FILE) as store:
        store.record_event("run.started", proxy="flops")
        for e in EVALUATIONS:
            store.record_evaluation(e)
        store.record_llm_call(exchange("e1", "explore", (10, 5), 0.25, 1.5))
        store.record_llm_call(exchange("r1", "refine", (30, 20), 0.5, 2.0))
        if finished:
            store.record_event("run.finished", step=4, reason="budget:evaluations")


def test_runs_json_lists_count_best_phase_and_status(tmp_path: Path) -> None:
    write_run(tmp_path, "done", finished=True)
    write_run(tmp_path, "open", finished=False)
    (tmp_path / "empty").mkdir()  # no config snapshot: not a run
    result = CliRunner().invoke(app, ["runs", "--runs-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    done, still = orjson.loads(result.stdout)
    with RunStore(tmp_path / "done" / RUN_STORE_FILE) as store:
        started = store.events()[0].at
    assert done == {"id": "done", "space": "macro", "status": "finished", "phase": "refine",
                    "evaluations": len(EVALUATIONS), "best_score": 7.0, "best": "C", "started": started}
    assert (still["id"], still["status"]) == ("open", "unfinished")


def test_report_tabulates_usage_per_phase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TABLE_ENV, raising=False)
    write_run(tmp_path, "done", finished=True)
    result = CliRunner().invoke(app, ["report", "done", "--runs-dir", str(tmp_path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r" / "report.html").read_text()
    # phase, evaluations, of which neighbours, failed, LLM calls, tokens, cost, LLM s, scoring s (0.1 s each)
    assert ("<tr><td>explore</td><td>3</td><td>1</td><td>1</td><td>1</td><td>15</td><td>0.2500</td><td>1.5</td>"
            "<td>0.3</td>") in page
    assert ("<tr><td>refine</td><td>2</td><td>0</td><td>1</td><td>1</td><td>50</td><td>0.5000</td><td>2.0</td>"
            "<td>0.2</td>") in page
    assert "<td>explore</td><td>explorer (neighbour)</td>" in page  # C, the best, came from a duplicate's neighbour
    assert "5 evaluations (3 scored)" in page and "phase switch after 3 evaluations" in page
