"""The search graph runs on the yolo space unchanged (scripted models, the exact analytic FLOPs proxy)."""

from pathlib import Path

from phasenas.runs import asearch
from phasenas.space import get_space
from tests.graph.conftest import make_config


async def test_search_on_the_yolo_space(tmp_path: Path) -> None:
    config = make_config(tmp_path / "runs", space="yolo", explorer={"space": "yolo"}, refiner={"space": "yolo"},
                         k_explore=3, k_refine=2, budget={"evaluations": 6})
    result = await asearch(config)
    assert result.usage["evaluations"] == 6
    space = get_space("yolo")
    report = space.validate(result.best)
    assert report.valid and report.canonical == result.best and result.best_score == report.flops


async def test_scoring_queue_scores_detectors_with_zen_det_in_a_worker(tmp_path: Path) -> None:
    from phasenas.scoring import ScoreSettings, ScoringQueue

    async with ScoringQueue(space="yolo", workers=1, cache_dir=tmp_path, resolution=96,
                            settings=ScoreSettings(batch_size=4)) as queue:
        assert queue.proxy == "zen-det"
        first, again = await queue.score_many(["yolov8n", "yolov8n"])
        invalid = await queue.score("yolov8s")
    assert first.error is None and first.score is not None and again.score == first.score
    assert first.canonical == get_space("yolo").validate("yolov8n").canonical
    assert invalid.error == "invalid" and "over_params" in (invalid.detail or "")
