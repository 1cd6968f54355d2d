"""Resolved ``DetArch`` -> ``Detector``, a torch module that runs the layer graph and the Detect head."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from phasenas.space.detection import modules as m
from phasenas.space.detection.analyze import DETECT_STRIDES, Shape
from phasenas.space.detection.layers import DetArch, Layer


class Detector(nn.Module):
    """Layers applied in order, each reading the outputs its ``from`` names; the last layer is ``Detect``.

    ``forward_features`` returns the P3/P4/P5 maps that enter the head (what the ``zen-det`` proxy perturbs);
    ``forward`` adds the head (raw maps in training mode, decoded boxes in eval mode).
    """

    def __init__(self, layers: list[nn.Module], sources: list[tuple[int, ...]], head: m.Detect,
                 head_sources: tuple[int, ...]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.sources = sources              # absolute layer indices; -1 is the image
        self.head = head
        self.head_sources = head_sources

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs: list[torch.Tensor] = []
        for layer, sources in zip(self.layers, self.sources):
            inputs = [x if s < 0 else outputs[s] for s in sources]
            outputs.append(layer(inputs if len(inputs) > 1 else inputs[0]))
        return [outputs[s] for s in self.head_sources]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor] | torch.Tensor:
        return self.head(self.forward_features(x))

    def ancestors(self, index: int) -> frozenset[int]:
        """Layer ``index`` and every layer it reads from, directly or not."""
        seen: set[int] = set()
        stack = [index]
        while stack:
            i = stack.pop()
            if i >= 0 and i not in seen:
                seen.add(i)
                stack.extend(self.sources[i])
        return frozenset(seen)


def _chained(make: Callable[[int], nn.Module], c1: int, c2: int, repeats: int) -> nn.Module:
    """``repeats`` copies in sequence (validation guarantees c1 == c2 when repeats > 1)."""
    if repeats == 1:
        return make(c1)
    return nn.Sequential(*(make(c1 if i == 0 else c2) for i in range(repeats)))


def _module(layer: Layer, c1: int) -> nn.Module:
    args, n = layer.args, layer.repeats
    match layer.module:
        case "Conv":
            return _chained(lambda c: m.Conv(c, args[0], args[1], args[2]), c1, args[0], n)
        case "C2f":
            return m.C2f(c1, args[0], n, bool(args[1]))
        case "C3":
            return m.C3(c1, args[0], n, bool(args[1]))
        case "Bottleneck":
            return _chained(lambda c: m.Bottleneck(c, args[0], bool(args[1])), c1, args[0], n)
        case "SPPF":
            return _chained(lambda c: m.SPPF(c, args[0], args[1]), c1, args[0], n)
        case "SCDown":
            return _chained(lambda c: m.SCDown(c, args[0], args[1], args[2]), c1, args[0], n)
        case "Upsample":
            return _chained(lambda c: nn.Upsample(scale_factor=args[0], mode="nearest"), c1, c1, n)
        case "Concat":
            return m.Concat()
    raise ValueError(f"no builder for {layer.module}")


def build_detector(arch: DetArch, shapes: tuple[Shape, ...], image_channels: int, classes: int) -> Detector:
    """Build a resolved, validated detector; ``shapes`` are the per-layer outputs ``measure_detector`` found."""
    layers: list[nn.Module] = []
    sources: list[tuple[int, ...]] = []
    for i, layer in enumerate(arch.layers[:-1]):
        absolute = tuple(i + s if s < 0 else s for s in layer.sources)
        c1 = shapes[absolute[0]].channels if absolute[0] >= 0 else image_channels
        layers.append(_module(layer, c1))
        sources.append(absolute)
    detect = arch.layers[-1]
    head_sources = tuple(len(layers) + s if s < 0 else s for s in detect.sources)
    head = m.Detect(classes, tuple(shapes[s].channels for s in head_sources), DETECT_STRIDES)
    return Detector(layers, sources, head, head_sources)
