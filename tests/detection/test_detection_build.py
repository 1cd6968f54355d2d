import random

import pytest
import torch
from torch import nn

from phasenas.space.detection import YoloSpace
from phasenas.space.detection.build import Detector

MIXED = ("Conv(16,3,2) SCDown(32,5,2) C3(32,True)x2 Bottleneck(32,False)x2 SCDown(64,3,2) C2f(64,True)x3 "
         "Conv(128,5,2) C3(128,False) Conv(96,3,2) SPPF(104,7) Upsample(2) Concat(-1,7) C2f(64,False) Upsample(2) "
         "Concat(-1,5) C3(48,True) Conv(48,3,2) Concat(-1,12) C2f(64,False)x2 SCDown(64,3,2) Concat(-1,9) "
         "C2f(128,False) Detect(15,18,21)")


def conv_macs(model: nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates per sample of every convolution, counted from the tensors that actually flow."""
    total = 0

    def count(module: nn.Module, _inputs: object, out: torch.Tensor) -> None:
        nonlocal total
        total += module.weight.numel() * out.shape[-2] * out.shape[-1]  # type: ignore[union-attr]

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, nn.Conv2d)]
    model.train()
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    return total


@pytest.mark.parametrize("text", ["yolov8n", MIXED])
def test_torch_model_matches_the_analytic_counts(unbudgeted: YoloSpace, text: str) -> None:
    space = unbudgeted.with_task(resolution=64, classes=7)
    report = space.validate(text)
    assert report.valid
    model = space.build(space.parse(text))
    assert sum(p.numel() for p in model.parameters()) == report.params
    assert conv_macs(model, torch.randn(2, 3, 64, 64)) == report.flops


def test_samples_build_with_the_analytic_parameter_count(yolo: YoloSpace) -> None:
    rng = random.Random(3)
    for _ in range(3):
        arch = yolo.sample(rng)
        assert sum(p.numel() for p in yolo.build(arch).parameters()) == yolo.check(arch).params


def test_feature_maps_and_head_outputs(yolo: YoloSpace) -> None:
    model = yolo.build(yolo.parse("yolov8n"))
    assert isinstance(model, Detector) and model.head_sources == (15, 18, 21)
    x = torch.randn(2, 3, 128, 96)
    features = model.forward_features(x)
    assert [tuple(f.shape) for f in features] == [(2, 64, 16, 12), (2, 128, 8, 6), (2, 256, 4, 3)]
    model.train()
    raw = model(x)
    assert [tuple(r.shape) for r in raw] == [(2, 144, 16, 12), (2, 144, 8, 6), (2, 144, 4, 3)]
    model.eval()
    with torch.no_grad():
        decoded = model(x)
    anchors = 16 * 12 + 8 * 6 + 4 * 3
    assert decoded.shape == (2, 84, anchors)
    assert torch.all((decoded[:, 4:] >= 0) & (decoded[:, 4:] <= 1))        # class probabilities
    assert torch.all(decoded[:, 2:4] >= 0)                                  # widths and heights


def test_decoded_boxes_sit_on_their_cells(yolo: YoloSpace) -> None:
    """With zero box logits the DFL gives the mean bin (7.5 strides) on every side: a box centred on its cell."""
    model = yolo.with_task(classes=2).build(yolo.parse("yolov8n"))
    model.eval()
    for branch in model.head.cv2:
        nn.init.zeros_(branch[-1].weight)
        nn.init.zeros_(branch[-1].bias)
    with torch.no_grad():
        decoded = model(torch.randn(1, 3, 64, 64))
    first_cell = decoded[0, :4, 0]            # P3 cell (0, 0): centre (4, 4) px, sides 7.5 * 8 * 2 = 120 px
    assert torch.allclose(first_cell, torch.tensor([4.0, 4.0, 120.0, 120.0]))
    last_cell = decoded[0, :4, -1]            # P5 cell (1, 1) of a 2x2 map at stride 32: centre (48, 48)
    assert torch.allclose(last_cell, torch.tensor([48.0, 48.0, 480.0, 480.0]))


def test_ancestors_follow_the_layer_graph(yolo: YoloSpace) -> None:
    model = yolo.build(yolo.parse("yolov8n"))
    assert model.ancestors(4) == frozenset(range(5))
    assert model.ancestors(15) == frozenset(range(16))
    assert model.ancestors(21) == frozenset(range(22))
