"""The local worker queue: agreement with in-process scoring, cache, faults, cancellation, Ctrl-C."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest
import scoring_fault_proxies as faults

from phasenas.scoring import ScoreSettings, ScoringQueue, SpaceRef, score_text
from phasenas.scoring.memory import estimate_bytes

pytestmark = pytest.mark.timeout(300)

SETTINGS = ScoreSettings(batch_size=4)
RESOLUTION = 16  # smaller maps: the queue's behaviour is what is under test, not the networks
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.fixture
def calls(tmp_path, monkeypatch) -> Path:
    """The file test proxies append to; set in the environment before workers spawn, so they inherit it."""
    path = tmp_path / "calls.txt"
    path.touch()
    monkeypatch.setenv(faults.CALLS_ENV, str(path))
    monkeypatch.setenv(faults.CRASH_MARK_ENV, str(tmp_path / "crashed-once"))
    return path


def make_queue(tmp_path: Path, **options) -> ScoringQueue:
    options.setdefault("workers", 1)
    return ScoringQueue("macro", resolution=RESOLUTION, cache_dir=tmp_path / "cache", settings=SETTINGS,
                        imports=(faults.__name__,), **options)


def call_count(calls: Path) -> int:
    return len(calls.read_text().splitlines())


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


async def test_queue_scores_like_in_process_and_scores_equivalent_codes_once(tmp_path, calls):
    async with make_queue(tmp_path, workers=2) as queue:
        assert queue.proxy == "naswot"  # the space's measured default
        results = await queue.score_many(["22212220", "22212202", "11111100"])
        counted = await queue.score_many(["22212220", "22212202"], proxy="test_counting")
    expected = score_text(SpaceRef("macro", RESOLUTION).resolve(), "22212220", "naswot", SETTINGS)
    assert [r.error for r in results] == [None, None, None]
    assert results[0].score == results[1].score == expected.score
    assert results[0].canonical == results[1].canonical
    assert results[2].score != results[0].score
    assert counted[0].score == counted[1].score and call_count(calls) == 1


async def test_cache_hit_skips_the_worker_across_runs(tmp_path, calls):
    async with make_queue(tmp_path) as queue:
        first = await queue.score("11101100", proxy="test_counting")
    async with make_queue(tmp_path) as queue:
        again = await queue.score("11110100", proxy="test_counting")  # same network, other spelling
    assert not first.cached and again.cached
    assert again.score == first.score and again.canonical == first.canonical
    assert call_count(calls) == 1


async def test_timeout_kills_and_restarts_the_worker(tmp_path, calls):
    async with make_queue(tmp_path, timeout=4.0) as queue:
        hung, after = await asyncio.gather(queue.score("11101100", proxy="test_sleep"),
                                           queue.score("11101100", proxy="test_counting"))
    assert hung.error == "timeout" and hung.score is None
    assert after.error is None and call_count(calls) == 1


async def test_dying_worker_is_restarted_and_the_task_retried_once(tmp_path, calls):
    async with make_queue(tmp_path) as queue:
        died = await queue.score("11101100", proxy="test_exit")
        recovered = await queue.score("11101100", proxy="test_crash_once")
        still_serving = await queue.score("11101100", proxy="test_counting")
    assert died.error == "worker_died" and call_count(calls) == 3  # two exits, then one counting call
    assert recovered.error is None and recovered.score == 1.0
    assert still_serving.error is None


async def test_nan_invalid_unknown_and_too_large_are_results(tmp_path, calls):
    largest = SpaceRef("macro", RESOLUTION).resolve().validate("22222222")
    limit = estimate_bytes(largest.activations, SETTINGS) - 1  # everything but the largest network fits
    async with make_queue(tmp_path, memory_limit=limit) as queue:
        nan, invalid, unknown, large, flops = await asyncio.gather(
            queue.score("11101100", proxy="test_nan"), queue.score("MB9K9(1,2,3)"),
            queue.score("11101100", proxy="nope"), queue.score("22222222", proxy="zen"),
            queue.score("22222222", proxy="flops"))
    assert nan.error == "non_finite"
    assert invalid.error == "invalid" and invalid.canonical is None
    assert unknown.error == "unknown_proxy"
    assert large.error == "too_large" and large.canonical is not None
    assert flops.error is None and flops.score > 0


async def test_ensemble_rank_averages_its_components(tmp_path, calls):
    async with make_queue(tmp_path, workers=2, ensemble=("naswot", "flops")) as queue:
        results = await queue.score_many(["00000000", "22222222"], proxy="ensemble")
        ranking = queue.ensemble_ranking()
    assert all(r.error is None for r in results)
    big = results[1].canonical
    assert ranking[big] == 1.0 and min(ranking.values()) == 0.0


async def test_cancellation_leaves_no_worker_processes(tmp_path, calls):
    queue = make_queue(tmp_path, workers=2)
    async with queue:
        task = asyncio.ensure_future(queue.score_many(["11101100", "11111100"], proxy="test_sleep"))
        await asyncio.sleep(1.0)
        pids = [p.pid for p in multiprocessing.active_children() if p.name.startswith("phasenas-local")]
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not any(alive(pid) for pid in pids)


CTRL_C_SCRIPT = textwrap.dedent("""
    import asyncio, multiprocessing, signal, sys, orjson
    from phasenas.scoring import ScoringQueue, ScoreSettings

    # A process started with SIGINT ignored keeps ignoring it (some earlier test in a full run leaves it so for
    # its children); a user's terminal never does, so give this "user's program" the default Ctrl-C handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    async def main(cache):
        async with ScoringQueue("macro", "test_sleep", workers=2, cache_dir=cache, resolution=16,
                                settings=ScoreSettings(batch_size=4), imports=("scoring_fault_proxies",)) as q:
            task = asyncio.ensure_future(q.score_many(["11101100", "11111100"]))
            await asyncio.sleep(1.0)
            pids = [p.pid for p in multiprocessing.active_children()]
            print("PIDS", orjson.dumps(pids).decode(), flush=True)
            await task

    if __name__ == "__main__":
        try:
            asyncio.run(main(sys.argv[1]))
        except KeyboardInterrupt:
            sys.exit(130)
""")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "parent-killed"])
def test_interrupting_the_parent_leaves_no_orphans(tmp_path, sig):
    script = tmp_path / "score_forever.py"
    script.write_text(CTRL_C_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path / "cache")], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, text=True)
    try:
        line = ""
        while not line.startswith("PIDS "):  # structlog's default output shares stdout
            line = parent.stdout.readline()
            assert line, parent.stderr.read()
        pids = orjson.loads(line.removeprefix("PIDS "))
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
        parent.send_signal(sig)
        _, stderr = parent.communicate(timeout=60)  # drains both pipes: a full one would block the parent's exit
        code = parent.returncode
    finally:
        parent.kill()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)
    if sig == signal.SIGINT:
        assert code == 130 and "Traceback" not in stderr
