"""Parsed form -> ``torch.nn.Module``. The module mirrors ``blocks``' arithmetic exactly (tests check it)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from phasenas.space.arch import Arch, Block
from phasenas.space.blocks import BLOCKS, round8


class Network(nn.Module):
    """Body blocks, global average pooling, linear classifier."""

    def __init__(self, body: list[nn.Module], last_channels: int, classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*body)
        self.classifier = nn.Linear(last_channels, classes)

    def forward_pre_gap(self, x: torch.Tensor) -> torch.Tensor:
        """The feature map before global pooling (what the Zen-score perturbs)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.forward_pre_gap(x)
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(features, 1), 1))


class Residual(nn.Module):
    """main(x) + shortcut(x) (identity when ``shortcut`` is None), optionally followed by ReLU."""

    def __init__(self, main: nn.Module, shortcut: nn.Module | None, relu_after: bool) -> None:
        super().__init__()
        self.main = main
        self.shortcut = shortcut
        self.relu = nn.ReLU() if relu_after else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.main(x) + (x if self.shortcut is None else self.shortcut(x))
        return out if self.relu is None else self.relu(out)


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, relu: bool = True,
            bias: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=bias),
                               nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def projection(cin: int, cout: int, stride: int) -> nn.Sequential:
    """Zen-NAS's projection shortcut: 1x1 conv *with* bias, then BN."""
    return conv_bn(cin, cout, 1, stride, relu=False, bias=True)


def _conv_family(b: Block) -> list[nn.Module]:
    cin, cout, s, layers = b.args
    k = BLOCKS[b.name].kernel
    return [conv_bn(cin if i == 0 else cout, cout, k, s if i == 0 else 1) for i in range(layers)]


def _res_kxkx(b: Block) -> list[nn.Module]:
    cin, cout, s, mid, layers = b.args
    k = BLOCKS[b.name].kernel
    units: list[nn.Module] = []
    for i in range(layers):
        c, st = (cin, s) if i == 0 else (cout, 1)
        main = nn.Sequential(conv_bn(c, mid, k, st), conv_bn(mid, cout, k, relu=False))
        units.append(Residual(main, projection(c, cout, st) if i == 0 else None, relu_after=True))
    return units


def _bottleneck(cin: int, mid: int, cout: int, k: int, stride: int, groups: int) -> nn.Sequential:
    """1x1 -> k x k (stride, grouped) -> 1x1, each with BN, ReLU between."""
    return nn.Sequential(conv_bn(cin, mid, 1), conv_bn(mid, mid, k, stride, groups=groups),
                         conv_bn(mid, cout, 1, relu=False))


def _res_k1kxk1(b: Block) -> list[nn.Module]:
    cin, cout, s, mid, layers = b.args
    k = BLOCKS[b.name].kernel
    units: list[nn.Module] = []
    for i in range(layers):
        c, st = (cin, s) if i == 0 else (cout, 1)
        units.append(Residual(_bottleneck(c, mid, cout, k, st, 1), projection(c, cout, st) if i == 0 else None, True))
        units.append(Residual(_bottleneck(cout, mid, cout, k, 1, 1), None, True))
    return units


def _res_idwe(b: Block) -> list[nn.Module]:
    cin, cout, s, mid, layers = b.args
    kind = BLOCKS[b.name]
    k, e = kind.kernel, kind.expansion
    d1, d2 = round8(mid * e), round8(cout * e)
    units: list[nn.Module] = []
    for i in range(layers):
        c, st = (cin, s) if i == 0 else (cout, 1)
        short = projection(c, mid, st) if i == 0 or c != mid else None
        units.append(Residual(_bottleneck(c, d1, mid, k, st, d1), short, True))
        units.append(Residual(_bottleneck(mid, d2, cout, k, 1, d2), projection(mid, cout, 1) if mid != cout else None,
                              True))
    return units


def _mb(b: Block) -> list[nn.Module]:
    cin, cout, s = b.args
    kind = BLOCKS[b.name]
    hidden = cin * kind.expansion
    main = _bottleneck(cin, hidden, cout, kind.kernel, s, hidden)
    if cin == cout and s == 1:
        return [Residual(main, None, relu_after=False)]
    return [main]


def _skip(b: Block) -> list[nn.Module]:
    cin, cout, s = b.args
    if cin == cout and s == 1:
        return [nn.Identity()]
    return [conv_bn(cin, cout, 1, s, relu=False)]


BUILDERS: dict[str, Callable[[Block], list[nn.Module]]] = {
    "conv": _conv_family, "res_kxkx": _res_kxkx, "res_k1kxk1": _res_k1kxk1, "res_idwe": _res_idwe,
    "mb": _mb, "skip": _skip,
}


def build(arch: Arch, classes: int) -> Network:
    """Build the torch module of a (validated) architecture with a ``classes``-way classifier."""
    body = [nn.Sequential(*BUILDERS[BLOCKS[b.name].family](b)) for b in arch.blocks]
    return Network(body, arch.blocks[-1].out_channels, classes)
