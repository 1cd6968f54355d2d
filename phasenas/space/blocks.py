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

# (params, macs, activations, depth, out_resolution): activations = elements per sample written by convolutions.
Cost = tuple[int, int, int, int, int]
CostFn = Callable[[tuple[int, ...], int], Cost]


def round8(x: float) -> int:
    """Zen-NAS's channel rounding for inverted residuals: nearest multiple of 8 (ties to even), at least 8."""
    return max(8, round(x / 8.0) * 8)


def out_size(resolution: int, stride: int) -> int:
    """Output size of a padded (k-1)//2 convolution with odd kernel, as torch computes it."""
    return (resolution - 1) // stride + 1


def _conv(cin: int, cout: int, k: int, res_out: int, groups: int = 1, bias: bool = False) -> tuple[int, int, int]:
    """(params, macs, activations) of one convolution producing a res_out x res_out map."""
    weights = cin // groups * cout * k * k
    return weights + (cout if bias else 0), weights * res_out * res_out, cout * res_out * res_out


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
                   cost: Callable[[BlockKind, tuple[int, ...], int], Cost]) -> BlockKind:
    """Add a block type to the language (one call per block name; nothing else needs to know the list)."""
    kind_holder: list[BlockKind] = []

    def bound_cost(args: tuple[int, ...], resolution: int) -> Cost:
        return cost(kind_holder[0], args, resolution)

    kind = BlockKind(name, family, arg_names, kernel, expansion, bound_cost)
    kind_holder.append(kind)
    BLOCKS[name] = kind
    return kind


def _conv_bn_relu_cost(kind: BlockKind, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s, layers = args
    k = kind.kernel
    r2 = out_size(r, s)
    p1, m1, a1 = _conv(cin, cout, k, r2)
    pn, mn, an = _conv(cout, cout, k, r2)
    rest = layers - 1
    bn = 2 * cout * layers
    return p1 + rest * pn + bn, m1 + rest * mn, a1 + rest * an, layers, r2


def _res_kxkx_cost(kind: BlockKind, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s, b, layers = args
    k = kind.kernel
    r2 = out_size(r, s)
    first = [_conv(cin, b, k, r2), _conv(b, cout, k, r2), _conv(cin, cout, 1, r2, bias=True)]
    rest = [_conv(cout, b, k, r2), _conv(b, cout, k, r2)]
    bn_first = 2 * (b + cout + cout)
    bn_rest = 2 * (b + cout)
    return _total(first, rest, layers, bn_first, bn_rest, 2 * layers, r2)


def _res_k1kxk1_cost(kind: BlockKind, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s, b, layers = args
    k = kind.kernel
    r2 = out_size(r, s)
    unit_out = [_conv(cout, b, 1, r2), _conv(b, b, k, r2), _conv(b, cout, 1, r2)]  # a unit fed by `cout` channels
    first = [_conv(cin, b, 1, r), _conv(b, b, k, r2), _conv(b, cout, 1, r2), _conv(cin, cout, 1, r2, bias=True)]
    first += unit_out
    rest = unit_out + unit_out
    bn_unit = 2 * (b + b + cout)
    return _total(first, rest, layers, 2 * bn_unit + 2 * cout, 2 * bn_unit, 6 * layers, r2)


def _res_idwe_cost(kind: BlockKind, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s, b, layers = args
    k, e = kind.kernel, kind.expansion
    r2 = out_size(r, s)
    d1, d2 = round8(b * e), round8(cout * e)
    # second unit: b -> cout, projection shortcut when channels change
    unit_b = [_conv(b, d2, 1, r2), _conv(d2, d2, k, r2, groups=d2), _conv(d2, cout, 1, r2)]
    bn_b = 2 * (d2 + d2 + cout)
    if b != cout:
        unit_b.append(_conv(b, cout, 1, r2, bias=True))
        bn_b += 2 * cout
    first = [_conv(cin, d1, 1, r), _conv(d1, d1, k, r2, groups=d1), _conv(d1, b, 1, r2),
             _conv(cin, b, 1, r2, bias=True)] + unit_b
    bn_a = 2 * (d1 + d1 + b)
    rest = [_conv(cout, d1, 1, r2), _conv(d1, d1, k, r2, groups=d1), _conv(d1, b, 1, r2)] + unit_b
    bn_rest = bn_a + bn_b
    if cout != b:
        rest.append(_conv(cout, b, 1, r2, bias=True))
        bn_rest += 2 * b
    return _total(first, rest, layers, bn_a + 2 * b + bn_b, bn_rest, 6 * layers, r2)


def _mb_cost(kind: BlockKind, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s = args
    k, hidden = kind.kernel, cin * kind.expansion
    r2 = out_size(r, s)
    convs = [_conv(cin, hidden, 1, r), _conv(hidden, hidden, k, r2, groups=hidden), _conv(hidden, cout, 1, r2)]
    return _total(convs, [], 1, 2 * (hidden + hidden + cout), 0, 3, r2)


def _skip_cost(kind: BlockKind, args: tuple[int, ...], r: int) -> Cost:
    cin, cout, s = args
    r2 = out_size(r, s)
    if cin == cout and s == 1:
        return 0, 0, 0, 0, r2
    return _total([_conv(cin, cout, 1, r2)], [], 1, 2 * cout, 0, 1, r2)


def _total(first: list[tuple[int, int, int]], rest: list[tuple[int, int, int]], layers: int,
           bn_first: int, bn_rest: int, depth: int, r2: int) -> Cost:
    """Sum the convolutions of the first sub-layer plus (layers-1) copies of a later one."""
    n = layers - 1
    params = sum(c[0] for c in first) + n * sum(c[0] for c in rest) + bn_first + n * bn_rest
    macs = sum(c[1] for c in first) + n * sum(c[1] for c in rest)
    acts = sum(c[2] for c in first) + n * sum(c[2] for c in rest)
    return params, macs, acts, depth, r2


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
