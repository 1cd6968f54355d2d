"""The Ray backend scores a batch on a private local Ray instance, like the local backend does."""

from __future__ import annotations

import pytest
import scoring_fault_proxies as faults

from phasenas.scoring import ScoreSettings, ScoringQueue, SpaceRef, score_text

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.timeout(600)

SETTINGS = ScoreSettings(batch_size=4)


async def test_ray_backend_scores_a_batch_and_survives_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv(faults.CALLS_ENV, str(tmp_path / "calls.txt"))
    codes = ["22212220", "22212202", "11111100", "00000000"]
    async with ScoringQueue("macro", "naswot", backend="ray", workers=2, resolution=16, settings=SETTINGS,
                            cache_dir=tmp_path / "cache", imports=(faults.__name__,), timeout=120) as queue:
        assert queue.workers == 2
        results = await queue.score_many(codes)
        died = await queue.score("11101100", proxy="test_exit")
        after = await queue.score("11101100")
    space = SpaceRef("macro", 16).resolve()
    assert [r.score for r in results] == [score_text(space, c, "naswot", SETTINGS).score for c in codes]
    assert died.error == "worker_died"
    assert after.error is None
    assert not ray.is_initialized()  # the queue started Ray, so it shut it down
