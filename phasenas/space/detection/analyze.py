"""Pure validation of a resolved detector: sources, shapes, strides, parameters, MACs and budgets.

No torch: every number is closed-form from the module definitions (see ``modules`` for the torch side, which
tests check against these counts). Parameters are counted as ultralytics' ``model.info()`` counts them, the
frozen DFL weights included; MACs are those of convolutions (ultralytics' GFLOPs = 2 * MACs / 1e9).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from phasenas.space.detection.layers import DETECT, DetArch, Layer
from phasenas.space.errors import Issue
from phasenas.space.validate import Budget, Task

DETECT_STRIDES = (8, 16, 32)
REG_MAX = 16                       # DFL bins per box side, as in YOLOv8
KERNELS = frozenset({1, 3, 5, 7})
POOL_KERNELS = frozenset({3, 5, 7, 9})
UPSAMPLE_SCALES = frozenset({2})
MAX_REPEATS = 16


@dataclass(frozen=True, slots=True)
class Shape:
    """A layer's output: channels, square map size, and stride relative to the image."""

    channels: int
    size: int
    stride: Fraction


@dataclass(slots=True)
class Cost:
    params: int = 0
    macs: int = 0
    activations: int = 0
    convs: int = 0

    def add(self, other: Cost, times: int = 1) -> None:
        self.params += other.params * times
        self.macs += other.macs * times
        self.activations += other.activations * times
        self.convs += other.convs * times


@dataclass(frozen=True, slots=True)
class DetMetrics:
    params: int
    flops: int            # multiply-accumulates at the task's image size
    depth: int            # convolution layers
    activations: int      # elements per sample, summed over conv and layer outputs
    shapes: tuple[Shape, ...]


def conv_out(size: int, stride: int) -> int:
    """Map size after an odd-kernel convolution padded k//2 (as torch computes it)."""
    return (size - 1) // stride + 1


def conv_cost(c1: int, c2: int, k: int, size_out: int, groups: int = 1, bn: bool = True, bias: bool = False) -> Cost:
    """Conv2d (+ BatchNorm): weights, BN scale and shift, MACs over the output map."""
    weights = c1 // groups * c2 * k * k
    return Cost(weights + (2 * c2 if bn else 0) + (c2 if bias else 0), weights * size_out * size_out,
                c2 * size_out * size_out, 1)


def bottleneck_cost(c1: int, c2: int, hidden: int, k1: int, k2: int, size: int) -> Cost:
    cost = conv_cost(c1, hidden, k1, size)
    cost.add(conv_cost(hidden, c2, k2, size))
    return cost


def module_cost(layer: Layer, c1: int, size: int) -> tuple[Cost, int, int]:
    """Cost of one (repeats-expanded) layer with ``c1`` input channels: (cost, out channels, out size)."""
    name, args, n = layer.module, layer.args, layer.repeats
    cost = Cost()
    if name == "C2f":
        c2, c = args[0], args[0] // 2
        cost.add(conv_cost(c1, 2 * c, 1, size))
        cost.add(bottleneck_cost(c, c, c, 3, 3, size), n)
        cost.add(conv_cost((2 + n) * c, c2, 1, size))
        cost.activations += (2 + n) * c * size * size  # the concatenation
        return cost, c2, size
    if name == "C3":
        c2, c = args[0], args[0] // 2
        cost.add(conv_cost(c1, c, 1, size), 2)
        cost.add(bottleneck_cost(c, c, c, 1, 3, size), n)
        cost.add(conv_cost(2 * c, c2, 1, size))
        cost.activations += 2 * c * size * size
        return cost, c2, size
    # chained modules: n copies with the same arguments (validation requires c1 == c2 when n > 1)
    c_in = c1
    for _ in range(n):
        one, c2, size = _single_cost(name, args, c_in, size)
        cost.add(one)
        c_in = c2
    return cost, c_in, size


def _single_cost(name: str, args: tuple[int, ...], c1: int, size: int) -> tuple[Cost, int, int]:
    if name == "Conv":
        c2, k, s = args
        out = conv_out(size, s)
        return conv_cost(c1, c2, k, out), c2, out
    if name == "Bottleneck":
        c2 = args[0]
        return bottleneck_cost(c1, c2, c2 // 2, 3, 3, size), c2, size
    if name == "SPPF":
        c2, k = args
        hidden = c1 // 2
        cost = conv_cost(c1, hidden, 1, size)
        cost.add(conv_cost(4 * hidden, c2, 1, size))
        cost.activations += 4 * hidden * size * size  # three pooled maps and their concatenation
        return cost, c2, size
    if name == "SCDown":
        c2, k, s = args
        out = conv_out(size, s)
        cost = conv_cost(c1, c2, 1, size)
        cost.add(conv_cost(c2, c2, k, out, groups=c2))
        return cost, c2, out
    if name == "Upsample":
        out = size * args[0]
        return Cost(activations=c1 * out * out), c1, out
    raise ValueError(f"no cost rule for {name}")


def stride_factor(layer: Layer) -> Fraction:
    """How much a layer multiplies the stride: s per strided copy, 1/scale per upsampling."""
    named = dict(zip(layer.spec.arg_names, layer.args))
    if "stride" in named:
        return Fraction(named["stride"]) ** layer.repeats
    if "scale" in named:
        return Fraction(1, named["scale"]) ** layer.repeats
    return Fraction(1)


def detect_cost(channels: list[int], sizes: list[int], classes: int) -> Cost:
    """YOLOv8's decoupled head: per level a box branch (to 4 x reg_max) and a class branch, plus the DFL."""
    box = max(16, channels[0] // 4, REG_MAX * 4)
    cls = max(channels[0], min(classes, 100))
    cost = Cost(params=REG_MAX)  # DFL: a fixed 1x1 conv, counted by ultralytics though not trained
    for c, size in zip(channels, sizes):
        for hidden, out in ((box, 4 * REG_MAX), (cls, classes)):
            cost.add(conv_cost(c, hidden, 3, size))
            cost.add(conv_cost(hidden, hidden, 3, size))
            cost.add(conv_cost(hidden, out, 1, size, bn=False, bias=True))
    return cost


# --- validation ----------------------------------------------------------------------------------------------------
def measure_detector(arch: DetArch, task: Task, budget: Budget) -> tuple[DetMetrics | None, list[Issue]]:
    """Check a *resolved* detector (``DetArch.resolved``); metrics are None when shapes cannot be computed."""
    issues = _structure_issues(arch, task, budget)
    for i, layer in enumerate(arch.layers):
        issues.extend(_argument_issues(i, layer, budget))
        issues.extend(_source_issues(i, layer, len(arch.layers)))
    if issues:
        return None, issues
    shapes: list[Shape] = []
    total = Cost()
    per_layer: list[Cost] = []
    image = Shape(task.image_channels, task.resolution, Fraction(1))
    for i, layer in enumerate(arch.layers):
        inputs = [shapes[s] if s >= 0 else (shapes[i - 1] if i > 0 else image) for s in _absolute(i, layer)]
        found = _shape_issues(i, layer, inputs)
        if found:
            return None, issues + found
        if layer.module == DETECT:
            cost = detect_cost([s.channels for s in inputs], [s.size for s in inputs], task.classes)
            shape = inputs[0]
        elif layer.module == "Concat":
            shape = Shape(sum(s.channels for s in inputs), inputs[0].size, inputs[0].stride)
            cost = Cost(activations=shape.channels * shape.size * shape.size)
        else:
            cost, channels, size = module_cost(layer, inputs[0].channels, inputs[0].size)
            shape = Shape(channels, size, inputs[0].stride * stride_factor(layer))
        total.add(cost)
        per_layer.append(cost)
        shapes.append(shape)
    metrics = DetMetrics(total.params, total.macs, total.convs, total.activations, tuple(shapes))
    return metrics, _budget_issues(metrics, budget, arch, per_layer)


def _absolute(i: int, layer: Layer) -> list[int]:
    """Absolute source indices; -1 stands for the image (only reachable from layer 0)."""
    return [i + s if s < 0 else s for s in layer.sources]


def _structure_issues(arch: DetArch, task: Task, budget: Budget) -> list[Issue]:
    issues = []
    if not arch.layers:
        return [Issue("empty", "no layers")]
    if len(arch.layers) > budget.max_blocks:
        issues.append(Issue("too_many_layers", f"{len(arch.layers)} layers; the limit is {budget.max_blocks}"))
    detects = [i for i, layer in enumerate(arch.layers) if layer.module == DETECT]
    if not detects:
        issues.append(Issue("no_detect", "the last layer must be Detect(P3,P4,P5) with the indices of the "
                                         "stride-8, 16 and 32 feature maps"))
    elif detects != [len(arch.layers) - 1]:
        issues.append(Issue("detect_not_last", "exactly one Detect layer, and it must be the last",
                            block=detects[0]))
    if task.resolution % max(DETECT_STRIDES):
        issues.append(Issue("bad_resolution", f"image size {task.resolution} is not a multiple of "
                                              f"{max(DETECT_STRIDES)}"))
    return issues


def _argument_issues(i: int, layer: Layer, budget: Budget) -> list[Issue]:
    name, args = layer.module, layer.args
    issues = []
    if not 1 <= layer.repeats <= MAX_REPEATS:
        issues.append(Issue("bad_repeats", f"{name}: repeats must be 1..{MAX_REPEATS}, got {layer.repeats}", block=i))
    elif layer.repeats > 1 and layer.spec.multi_input:
        issues.append(Issue("bad_repeats", f"{name} cannot be repeated", block=i))
    if layer.spec.scaled:
        if args[0] < 2:
            issues.append(Issue("zero_channels", f"{name}: channels must be at least 2, got {args[0]}", block=i))
        elif args[0] > budget.max_channels:
            issues.append(Issue("too_many_channels", f"{name}: {args[0]} channels exceed the limit of "
                                                     f"{budget.max_channels}", block=i))
    kernel = dict(zip(layer.spec.arg_names, args)).get("kernel")
    allowed = POOL_KERNELS if name == "SPPF" else KERNELS
    if kernel is not None and kernel not in allowed:
        issues.append(Issue("bad_kernel", f"{name}: kernel must be one of {sorted(allowed)}, got {kernel}", block=i))
    stride = dict(zip(layer.spec.arg_names, args)).get("stride")
    if stride is not None and stride not in (1, 2):
        issues.append(Issue("bad_stride", f"{name}: stride must be 1 or 2, got {stride}", block=i))
    if name == "Upsample" and args[0] not in UPSAMPLE_SCALES:
        issues.append(Issue("bad_scale", f"Upsample: scale must be 2, got {args[0]}", block=i))
    return issues


def _source_issues(i: int, layer: Layer, count: int) -> list[Issue]:
    name = layer.module
    issues = []
    if name == "Concat" and len(layer.sources) < 2:
        issues.append(Issue("bad_inputs", f"Concat joins at least two layers, got {list(layer.sources)}", block=i))
    if name == DETECT and len(layer.sources) != len(DETECT_STRIDES):
        issues.append(Issue("detect_inputs", f"Detect takes three inputs (P3, P4, P5 at strides 8, 16, 32), got "
                                             f"{list(layer.sources)}", block=i))
    for source, absolute in zip(layer.sources, _absolute(i, layer)):
        if absolute >= count or absolute < -1 or (absolute == -1 and i > 0):
            issues.append(Issue("from_out_of_range", f"{name}: from {source} points outside layers 0..{count - 1}",
                                block=i))
        elif absolute >= i:
            issues.append(Issue("from_forward", f"{name}: from {source} is layer {absolute}, not before layer {i}; "
                                                f"inputs must come from earlier layers", block=i))
    return issues


def _shape_issues(i: int, layer: Layer, inputs: list[Shape]) -> list[Issue]:
    name = layer.module
    if name == "Concat" and len({s.size for s in inputs}) > 1:
        sizes = ", ".join(f"{s.size}x{s.size} (stride {s.stride})" for s in inputs)
        return [Issue("concat_size_mismatch", f"Concat({','.join(map(str, layer.sources))}) joins maps of "
                                              f"different sizes: {sizes}; upsample or downsample first", block=i)]
    if name == DETECT:
        strides = tuple(s.stride for s in inputs)
        if strides != DETECT_STRIDES:
            shown = ", ".join(str(s) for s in strides)
            return [Issue("detect_strides", f"Detect({','.join(map(str, layer.sources))}) gets maps at strides "
                                            f"{shown}; it needs P3, P4, P5 at strides 8, 16, 32 in that order",
                          block=i)]
    c1, c2 = inputs[0].channels, (layer.args[0] if layer.spec.scaled else inputs[0].channels)
    if layer.repeats > 1 and not layer.spec.internal_repeats and c1 != c2:
        return [Issue("channel_mismatch", f"{name} repeated {layer.repeats} times takes {c1} channels but outputs "
                                          f"{c2}: every copy after the first would get {c2}; use repeats 1 or "
                                          f"{c1} output channels", block=i)]
    return []


def _budget_issues(m: DetMetrics, budget: Budget, arch: DetArch, per_layer: list[Cost]) -> list[Issue]:
    issues = []
    if budget.max_params is not None and m.params > budget.max_params:
        issues.append(Issue("over_params", f"{m.params:,} parameters exceed the budget of {budget.max_params:,}; "
                                           + _costliest(arch, [c.params / 1e6 for c in per_layer], "M")))
    if budget.max_flops is not None and m.flops > budget.max_flops:
        issues.append(Issue("over_flops", f"{m.flops:,} multiply-accumulates ({2 * m.flops / 1e9:.2f} GFLOPs) "
                                          f"exceed the budget of {budget.max_flops:,} "
                                          f"({2 * budget.max_flops / 1e9:.2f} GFLOPs); "
                                          + _costliest(arch, [2 * c.macs / 1e9 for c in per_layer], " GFLOPs")))
    if budget.max_depth is not None and m.depth > budget.max_depth:
        issues.append(Issue("too_deep", f"{m.depth} conv layers exceed the depth budget of {budget.max_depth}"))
    return issues


def _costliest(arch: DetArch, amounts: list[float], unit: str, count: int = 3) -> str:
    """Where a detector over budget spends it, so that a repair knows which layers to narrow."""
    head = len(arch.layers) - 1  # validated: Detect is the last layer
    top = sorted(range(head), key=lambda i: -amounts[i])[:count]
    shown = ", ".join(f"layer {i} {arch.layers[i]} ({amounts[i]:.2f}{unit})" for i in top)
    inputs = ", ".join(map(str, arch.layers[head].sources))
    return (f"the costliest layers are {shown}, and the Detect head ({amounts[head]:.2f}{unit}; it grows with the "
            f"channels of layers {inputs}): give them fewer channels or repeats")
