"""A search SIGKILLed mid-run resumes and finishes with every evaluation recorded once, nothing scored twice."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from phasenas.runs import RUN_STORE_FILE
from phasenas.store import RunStore
from tests.conftest import ROOT
from tests.graph.durable_run import EVALUATIONS

COMPUTED = re.compile(r"scoring\.task_done\s.*?canonical=(\S+)")


def start(action: str, runs_dir: Path, run_id: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "tests.graph.durable_run", action, str(runs_dir), run_id],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def recorded(store_path: Path) -> int:
    if not store_path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM evaluations").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def test_sigkill_mid_run_then_resume(tmp_path: Path) -> None:
    runs_dir, run_id = tmp_path / "runs", "killed"
    store_path = runs_dir / run_id / RUN_STORE_FILE
    first = start("search", runs_dir, run_id, tmp_path / "first.log")
    deadline = time.monotonic() + 120
    while recorded(store_path) < 5 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    assert first.poll() is None, (tmp_path / "first.log").read_text()[-3000:]
    os.killpg(first.pid, signal.SIGKILL)  # the search and its scoring worker, as a machine crash would
    first.wait()
    with RunStore(store_path) as store:
        before = {e.canonical: e.score for e in store.evaluations()}
    assert 5 <= len(before) < EVALUATIONS

    second = start("resume", runs_dir, run_id, tmp_path / "second.log")
    assert second.wait(timeout=300) == 0, (tmp_path / "second.log").read_text()[-3000:]
    output = (tmp_path / "second.log").read_text()
    assert f"RESULT budget:evaluations {EVALUATIONS}" in output

    with RunStore(store_path) as store:
        after = store.evaluations()
        events = [e.kind for e in store.events()]
    assert len(after) == EVALUATIONS == len({e.canonical for e in after})
    assert all(before[c] == s for c, s in ((e.canonical, e.score) for e in after) if c in before)
    assert set(before) <= {e.canonical for e in after}
    computed = COMPUTED.findall((tmp_path / "first.log").read_text()) + COMPUTED.findall(output)
    assert len(computed) == len(set(computed)), "an architecture was scored twice"
    assert set(computed) == {e.canonical for e in after}
    assert events[0] == "run.started" and "run.resumed" in events and events[-1] == "run.finished"
