import math

import pytest
import torch

from phasenas.scoring import ScoreSettings, get_proxy, score_text
from phasenas.scoring.proxies.zen_det import scale_batchnorms, zen_det_score
from phasenas.scoring.registry import ProxyInput
from phasenas.scoring.results import CandidateRejected
from phasenas.scoring.seeding import seed_torch
from phasenas.space import get_space
from phasenas.space.detection import YoloSpace

SETTINGS = ScoreSettings(batch_size=4, repeats=1, seed=0)


def score(space: YoloSpace, name: str, resolution: int) -> float:
    seed_torch(1234)
    model = space.build(space.parse(name))
    inp = ProxyInput(model, space.validate(name), 3, resolution, 80, SETTINGS, None)
    return get_proxy("zen-det")(inp)


def test_orders_yolov8_by_size(unbudgeted: YoloSpace) -> None:
    n, s, m = (score(unbudgeted, name, 96) for name in ("yolov8n", "yolov8s", "yolov8m"))
    assert n < s < m


@pytest.mark.slow
def test_orders_yolov8_by_size_at_320_px(unbudgeted: YoloSpace) -> None:
    n, s, m = (score(unbudgeted, name, 320) for name in ("yolov8n", "yolov8s", "yolov8m"))
    assert n < s < m


def test_each_scale_counts_only_the_batchnorms_on_its_path(yolo: YoloSpace) -> None:
    model = yolo.build(yolo.parse("yolov8n"))
    p3, p4, p5 = (len(bns) for bns in scale_batchnorms(model))
    assert p3 < p4 < p5                       # P4 and P5 are computed from P3's output and more
    head = sum(1 for m in model.head.modules() if isinstance(m, torch.nn.BatchNorm2d))
    total = sum(1 for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert p5 == total - head                 # P5 depends on every layer of backbone and neck


def test_score_is_reproducible_and_finite(yolo: YoloSpace) -> None:
    space = yolo.with_task(resolution=96)
    first = score_text(space, "yolov8n", "zen-det", SETTINGS)
    again = score_text(space, "yolov8n", "zen-det", SETTINGS)
    assert first.error is None and first.score is not None and math.isfinite(first.score)
    assert first.score == again.score


def test_perturbation_scale_matters(yolo: YoloSpace) -> None:
    model = yolo.build(yolo.parse("yolov8n"))
    images = torch.randn(2, 3, 64, 64)
    torch.manual_seed(0)
    small = zen_det_score(model, images, gamma=0.01)
    torch.manual_seed(0)
    large = zen_det_score(model, images, gamma=0.1)
    assert large > small


def test_rejects_models_that_are_not_detectors() -> None:
    space = get_space("zen-cifar")
    text = "ConvK3BNRELU(3,32,1,1)ResK1K3K1(32,64,2,16,2)ConvK1BNRELU(64,512,1,1)"
    model = space.build(space.parse(text))
    with pytest.raises(CandidateRejected, match="detectors"):
        get_proxy("zen-det")(ProxyInput(model, space.validate(text), 3, 32, 10, SETTINGS, None))
