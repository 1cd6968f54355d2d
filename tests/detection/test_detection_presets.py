"""The YOLOv8 presets reproduce ultralytics' published sizes.

Parameter counts are those ultralytics' ``model.info()`` prints for the unfused models (the summaries in
``cfg/models/v8/yolov8.yaml``); they include the DFL's 16 frozen weights (parameters 3,157,200, gradients
3,157,184 for v8n). GFLOPs are the README's (fused, 640 px): 2 x conv multiply-accumulates.
"""

import pytest

from phasenas.space.detection import YoloSpace

PUBLISHED = {  # name: (parameters, GFLOPs at 640)
    "yolov8n": (3_157_200, 8.7),
    "yolov8s": (11_166_560, 28.6),
    "yolov8m": (25_902_640, 78.9),
    "yolov8l": (43_691_520, 165.2),
    "yolov8x": (68_229_648, 257.8),
}


@pytest.mark.parametrize("name", PUBLISHED)
def test_exact_parameters_and_gflops_within_2_percent(unbudgeted: YoloSpace, name: str) -> None:
    params, gflops = PUBLISHED[name]
    report = unbudgeted.validate(name)
    assert report.valid and report.params == params
    assert abs(2 * report.flops / 1e9 - gflops) / gflops < 0.02


@pytest.mark.parametrize("name", ["yolov8n", "yolov8s"])
def test_built_model_has_the_published_parameters(unbudgeted: YoloSpace, name: str) -> None:
    model = unbudgeted.build(unbudgeted.parse(name))
    assert sum(p.numel() for p in model.parameters()) == PUBLISHED[name][0]
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert PUBLISHED[name][0] - trainable == 16  # the DFL integral is fixed


def test_presets_are_accepted_wherever_an_architecture_is(yolo: YoloSpace) -> None:
    assert yolo.validate("yolov8n").canonical == yolo.canonical(yolo.parse("yolov8n"))
    assert yolo.extract("yolov8n") == [] and yolo.validate(" yolov8n\n").valid
