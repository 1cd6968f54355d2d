"""The blocks of the template language and their exact arithmetic (parameters, MACs, depth, output size).

Block semantics follow Zen-NAS's PlainNet reference definitions (idstcv/ZenNAS, ``PlainNet/``):

* ``ConvK{k}BNRELU(in,out,stride,L)``: L times conv(k)-BN-ReLU; the first conv takes ``in`` and the stride.
* ``ResK{k}K{k}(in,out,stride,b,L)``: L residual units conv(k, in->b, stride)-BN-ReLU-conv(k, b->out)-BN, + shortcut,
  ReLU. The first unit always has a projection shortcut (1x1 conv with bias + BN), later ones an identity.
* ``ResK1K{k}K1(in,out,stride,b,L)``: L times two bottleneck units 1x1(->b)-BN-ReLU-k x k(b->b)-BN-ReLU-1x1(->out)-BN,
  + shortcut, ReLU; the stride sits on the k x k conv of the first unit, whose shortcut is always a projection.
* ``ResIDWE{e}K{k}(in,out,stride,b,L)``: L times two inverted-residual units 1x1(->d)-BN-ReLU-depthwise k x k-BN-ReLU
  -1x1-BN, + shortcut, ReLU. The first unit maps to ``b`` channels with d = round8(b*e) (projection shortcut on the
  first sub-layer, otherwise a projection only where channels change); the second maps ``b -> out`` with
  d = round8(out*e).

The NAS-Bench-Macro dialect adds ``MB{e}K{k}(in,out,stride)`` (MobileNetV2 inverted residual, hidden = in*e, residual
add when in == out and stride 1) and ``Skip(in,out,stride)`` (identity, or 1x1 conv + BN when the shape changes).

Convolutions have no bias (except projection shortcuts, as in the reference), BN is affine; padding is (k-1)//2 so a
stride-2 layer maps size r to (r-1)//2+1, exactly as torch computes it. Costs are closed-form per block, never by
expanding the network, so validation stays allocation-free and fast for any argument values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

# (params, macs, activations, depth, out_resolution): activations = elements per sample written by convolutions.
Cost = tuple[int, int, int, int, int]
CostFn = Callable[[tuple[int, ...], int], Cost]


def round8(x: float) -> int:
    """Zen-NAS's channel rounding for inverted residuals: nearest multiple of 8 (ties to even), at least 8."""
    return max(8, round(x / 8.0) * 8)


def out_size(resolution: int, stride: int) -> int:
    """Output size of a padded (k-1)//2 convolution with odd kernel, as torch computes it."""
    return (resolution - 1) // stride + 1


@dataclass(frozen=True, slots=True)
class BlockKind:
    """A block type: its canonical name, argument names and cost function (builders live in ``build``)."""

    name: str
    family: str
    arg_names: tuple[str, ...]
    kernel: int
    expansion: int
    cost: CostFn

    @property
    def arity(self) -> int:
        return len(self.arg_names)


BLOCKS: dict[str, BlockKind] = {}


def register_block(name: str, family: str, arg_names: tuple[str, ...], kernel: int, expansion: int,
                   cost: Callable[[int, int, tuple[int, ...], int], Cost]) -> BlockKind:
    """Add a block type to the language (one call per block name; nothing else needs to know the list)."""
    kind = BlockKind(name, family, arg_names, kernel, expansion, partial(cost, kernel, expansion))
    BLOCKS[name] = kind
    return kind


def _conv_bn_relu_cost(k: int, e: int, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s, layers = args
    kk, r2 = k * k, out_size(r, s)
    a2 = r2 * r2
    weights = (cin + (layers - 1) * cout) * cout * kk
    return weights + 2 * cout * layers, weights * a2, cout * a2 * layers, layers, r2


def _res_kxkx_cost(k: int, e: int, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s, b, layers = args
    kk, r2 = k * k, out_size(r, s)
    a2, n = r2 * r2, layers - 1
    unit = (b + cout) * 2                                   # BN parameters of one unit
    first_w = cin * b * kk + b * cout * kk + cin * cout     # + projection 1x1 (with bias below)
    rest_w = cout * b * kk + b * cout * kk
    params = first_w + cout + unit + 2 * cout + n * (rest_w + unit)
    acts = (b + 2 * cout) * a2 + n * (b + cout) * a2
    return params, (first_w + n * rest_w) * a2, acts, 2 * layers, r2


def _res_k1kxk1_cost(k: int, e: int, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s, b, layers = args
    kk, r2 = k * k, out_size(r, s)
    a1, a2, n = r * r, r2 * r2, layers - 1
    bn_unit = 2 * (2 * b + cout)
    tail_w = b * b * kk + b * cout                          # k x k and closing 1x1 of a unit
    unit_w = cout * b + tail_w                              # a unit fed by `cout` channels
    params = (cin * b + tail_w + cin * cout + cout + 2 * cout + bn_unit) + (unit_w + bn_unit) + 2 * n * (unit_w + bn_unit)
    macs = cin * b * a1 + (tail_w + cin * cout) * a2 + unit_w * a2 * (1 + 2 * n)
    acts = b * a1 + (b + 2 * cout) * a2 + (2 * b + cout) * a2 * (1 + 2 * n)
    return params, macs, acts, 6 * layers, r2


def _inverted_unit(cin: int, hidden: int, cout: int, kk: int, a_in: int, a_out: int, shortcut: bool) -> Cost:
    """1x1 expand -> depthwise k x k -> 1x1 project, with BN, optionally a 1x1 projection shortcut with bias."""
    params = cin * hidden + hidden * kk + hidden * cout + 2 * (2 * hidden + cout)
    macs = cin * hidden * a_in + (hidden * kk + hidden * cout) * a_out
    acts = hidden * a_in + (hidden + cout) * a_out
    if shortcut:
        params, macs, acts = params + cin * cout + 3 * cout, macs + cin * cout * a_out, acts + cout * a_out
    return params, macs, acts, 3, 0


def _res_idwe_cost(k: int, e: int, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s, b, layers = args
    kk, r2 = k * k, out_size(r, s)
    d1, d2 = round8(b * e), round8(cout * e)
    a1, a2, n = r * r, r2 * r2, layers - 1
    first = _inverted_unit(cin, d1, b, kk, a1, a2, True)
    later = _inverted_unit(cout, d1, b, kk, a2, a2, cout != b)
    second = _inverted_unit(b, d2, cout, kk, a2, a2, b != cout)
    return (first[0] + later[0] * n + second[0] * layers, first[1] + later[1] * n + second[1] * layers,
            first[2] + later[2] * n + second[2] * layers, 6 * layers, r2)


def _mb_cost(k: int, e: int, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s = args
    r2 = out_size(r, s)
    params, macs, acts, depth, _ = _inverted_unit(cin, cin * e, cout, k * k, r * r, r2 * r2,
                                                  False)
    return params, macs, acts, depth, r2


def _skip_cost(k: int, e: int, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s = args
    r2 = out_size(r, s)
    if cin == cout and s == 1:
        return 0, 0, 0, 0, r2
    return cin * cout + 2 * cout, cin * cout * r2 * r2, cout * r2 * r2, 1, r2


_CONV_ARGS = ("in_channels", "out_channels", "stride", "sub_layers")
_RES_ARGS = ("in_channels", "out_channels", "stride", "bottleneck_channels", "sub_layers")
_MB_ARGS = ("in_channels", "out_channels", "stride")

for _k in (1, 3, 5, 7):
    register_block(f"ConvK{_k}BNRELU", "conv", _CONV_ARGS, _k, 1, _conv_bn_relu_cost)
for _k in (3, 5, 7):
    register_block(f"ResK{_k}K{_k}", "res_kxkx", _RES_ARGS, _k, 1, _res_kxkx_cost)
    register_block(f"ResK1K{_k}K1", "res_k1kxk1", _RES_ARGS, _k, 1, _res_k1kxk1_cost)
    for _e in (1, 2, 4, 6):
        register_block(f"ResIDWE{_e}K{_k}", "res_idwe", _RES_ARGS, _k, _e, _res_idwe_cost)
    for _e in (1, 3, 6):
        register_block(f"MB{_e}K{_k}", "mb", _MB_ARGS, _k, _e, _mb_cost)
register_block("Skip", "skip", _MB_ARGS, 1, 1, _skip_cost)

ALIAS_PREFIX = "Super"  # Zen-NAS spells blocks SuperResK1K3K1 etc.; we accept it and always print without.
