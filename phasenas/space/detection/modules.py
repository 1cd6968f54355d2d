"""The torch modules of the detection template, with ultralytics' semantics (our own code, same arithmetic).

Every convolution block is conv (no bias) -> BatchNorm (eps 1e-3, momentum 0.03) -> SiLU, padding k//2, as in
ultralytics' ``Conv``. ``analyze`` counts the same parameters and MACs in closed form; tests hold the two equal.
"""

from __future__ import annotations

import torch
from torch import nn

from phasenas.space.detection.analyze import REG_MAX


class Conv(nn.Module):
    """Conv2d -> BatchNorm2d -> SiLU (or no activation)."""

    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1, groups: int = 1, act: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    """Two convolutions c1 -> hidden -> c2, with a residual add when ``shortcut`` and c1 == c2."""

    def __init__(self, c1: int, c2: int, shortcut: bool = True, kernels: tuple[int, int] = (3, 3),
                 expansion: float = 0.5) -> None:
        super().__init__()
        hidden = int(c2 * expansion)
        self.cv1 = Conv(c1, hidden, kernels[0])
        self.cv2 = Conv(hidden, c2, kernels[1])
        self.add = shortcut and c1 == c2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """YOLOv8's CSP block: split in two halves, chain n bottlenecks on one, concatenate every stage, fuse."""

    def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = False) -> None:
        super().__init__()
        self.c = c2 // 2
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, (3, 3), 1.0) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = list(self.cv1(x).chunk(2, 1))
        for block in self.m:
            y.append(block(y[-1]))
        return self.cv2(torch.cat(y, 1))


class C3(nn.Module):
    """YOLOv5's CSP block: two 1x1 branches, n bottlenecks (1x1, 3x3) on one, concatenate, fuse."""

    def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = True) -> None:
        super().__init__()
        hidden = c2 // 2
        self.cv1 = Conv(c1, hidden, 1)
        self.cv2 = Conv(c1, hidden, 1)
        self.cv3 = Conv(2 * hidden, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(hidden, hidden, shortcut, (1, 3), 1.0) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    """Spatial pyramid pooling, fast: three chained max-pools of size k, concatenated with their input."""

    def __init__(self, c1: int, c2: int, k: int = 5) -> None:
        super().__init__()
        hidden = c1 // 2
        self.cv1 = Conv(c1, hidden, 1)
        self.cv2 = Conv(4 * hidden, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SCDown(nn.Module):
    """YOLOv10's spatial-channel decoupled downsampling: 1x1 channel change, then a depthwise k x k stride s."""

    def __init__(self, c1: int, c2: int, k: int, s: int) -> None:
        super().__init__()
        self.cv1 = Conv(c1, c2, 1)
        self.cv2 = Conv(c2, c2, k, s, groups=c2, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv2(self.cv1(x))


class Concat(nn.Module):
    """Concatenate the inputs along channels."""

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, 1)


class DFL(nn.Module):
    """Distribution focal loss integral: expected bin of a softmax over ``bins`` (a fixed, untrained 1x1 conv)."""

    def __init__(self, bins: int = REG_MAX) -> None:
        super().__init__()
        self.bins = bins
        self.conv = nn.Conv2d(bins, 1, 1, bias=False).requires_grad_(False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.arange(bins, dtype=torch.float32).view(1, bins, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, anchors = x.shape  # (batch, 4 * bins, anchors)
        logits = x.view(b, 4, self.bins, anchors).transpose(2, 1)
        return self.conv(logits.softmax(1)).view(b, 4, anchors)


class Detect(nn.Module):
    """YOLOv8's decoupled, anchor-free head over P3/P4/P5.

    Training mode returns the raw per-level maps (box distribution and class logits); eval mode decodes them
    into (batch, 4 + classes, anchors): box centre and size in pixels, class probabilities.
    """

    def __init__(self, classes: int, channels: tuple[int, ...], strides: tuple[int, ...]) -> None:
        super().__init__()
        self.classes = classes
        self.strides = strides
        box = max(16, channels[0] // 4, REG_MAX * 4)
        cls = max(channels[0], min(classes, 100))
        self.cv2 = nn.ModuleList(nn.Sequential(Conv(c, box, 3), Conv(box, box, 3), nn.Conv2d(box, 4 * REG_MAX, 1))
                                 for c in channels)
        self.cv3 = nn.ModuleList(nn.Sequential(Conv(c, cls, 3), Conv(cls, cls, 3), nn.Conv2d(cls, classes, 1))
                                 for c in channels)
        self.dfl = DFL(REG_MAX)

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor] | torch.Tensor:
        maps = [torch.cat((box(x), cls(x)), 1) for x, box, cls in zip(xs, self.cv2, self.cv3)]
        return maps if self.training else self.decode(maps)

    def decode(self, maps: list[torch.Tensor]) -> torch.Tensor:
        flat = torch.cat([m.flatten(2) for m in maps], 2)
        box, cls = flat.split((4 * REG_MAX, self.classes), 1)
        centres, scale = self._anchors(maps)
        left_top, right_bottom = self.dfl(box).chunk(2, 1)
        x1y1, x2y2 = centres - left_top, centres + right_bottom
        xywh = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * scale
        return torch.cat((xywh, cls.sigmoid()), 1)

    def _anchors(self, maps: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Cell centres in grid units (1, 2, anchors) and each anchor's stride (1, 1, anchors)."""
        centres, scales = [], []
        for m, stride in zip(maps, self.strides):
            h, w = m.shape[-2:]
            ys = torch.arange(h, device=m.device, dtype=m.dtype) + 0.5
            xs = torch.arange(w, device=m.device, dtype=m.dtype) + 0.5
            grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
            centres.append(torch.stack((grid_x, grid_y)).flatten(1))
            scales.append(torch.full((1, h * w), float(stride), device=m.device, dtype=m.dtype))
        return torch.cat(centres, 1).unsqueeze(0), torch.cat(scales, 1).unsqueeze(0)
