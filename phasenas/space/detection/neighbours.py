"""Random detectors and their neighbours, for baselines, warm starts and the graph's fallback proposals.

Samples keep YOLOv8's topology (backbone P1-P5 with SPPF, a PAN neck, Detect on layers 15/18/21) and draw the
parts PhaseNAS varies: widths, depths, CSP block type (C2f or C3) and downsampling (Conv or SCDown). Mutations
change one such part of any detector and never move layers, so every Concat and Detect index stays right.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from phasenas.space.detection.layers import DetArch, Layer, make_divisible

if TYPE_CHECKING:
    from phasenas.space.detection.space import YoloSpace

_SAMPLE_TRIES = 256
_V8_WIDTHS = (64, 128, 256, 512, 1024)   # YOLOv8 at width 1, before the channel cap
_MAX_SAMPLED_REPEATS = 4


def sample_detector(space: YoloSpace, rng: random.Random) -> DetArch:
    """A random YOLOv8-topology detector within the space's budget (widths shrink until it fits)."""
    scale = rng.uniform(0.15, 0.4)
    for attempt in range(_SAMPLE_TRIES):
        arch = _v8_topology(rng, scale)
        if space.check(arch).valid:
            return arch
        if attempt % 8 == 7:
            scale *= 0.85
    raise RuntimeError("could not sample a valid yolo detector; is the budget satisfiable?")


def _v8_topology(rng: random.Random, scale: float) -> DetArch:
    def width(base: int) -> int:
        return max(8, make_divisible(min(base, 1024) * scale * rng.choice((0.75, 1.0, 1.25))))

    def csp(c: int, shortcut: bool) -> Layer:
        return Layer(rng.choice(("C2f", "C2f", "C2f", "C3")), (-1,), rng.randint(1, _MAX_SAMPLED_REPEATS - 1),
                     (c, shortcut))

    def down(c: int) -> Layer:
        return Layer(rng.choice(("Conv", "Conv", "SCDown")), (-1,), 1, (c, 3, 2))

    w = [width(base) for base in _V8_WIDTHS]
    h3, h4, h5 = width(256), width(512), width(1024)
    layers = [
        Layer("Conv", args=(w[0], 3, 2)), Layer("Conv", args=(w[1], 3, 2)), csp(w[1], True),
        down(w[2]), csp(w[2], True), down(w[3]), csp(w[3], True), down(w[4]), csp(w[4], True),
        Layer("SPPF", args=(w[4], 5)),
        Layer("Upsample", args=(2,)), Layer("Concat", (-1, 6)), csp(h4, False),
        Layer("Upsample", args=(2,)), Layer("Concat", (-1, 4)), csp(h3, False),
        down(h3), Layer("Concat", (-1, 12)), csp(h4, False),
        down(h4), Layer("Concat", (-1, 9)), csp(h5, False),
        Layer("Detect", (15, 18, 21)),
    ]
    return DetArch(tuple(layers))


# --- mutations: each returns a changed detector, or None when it does not apply ------------------------------------
def _pick(arch: DetArch, rng: random.Random, accept: Callable[[Layer], bool]) -> int | None:
    indices = [i for i, layer in enumerate(arch.layers) if accept(layer)]
    return rng.choice(indices) if indices else None


def mutate_width(arch: DetArch, rng: random.Random) -> DetArch | None:
    i = _pick(arch, rng, lambda layer: layer.spec.scaled)
    if i is None:
        return None
    layer = arch.layers[i]
    channels = max(8, make_divisible(layer.args[0] * rng.choice((0.5, 0.75, 1.25, 1.5))))
    return arch.replace_layer(i, Layer(layer.module, layer.sources, layer.repeats, (channels, *layer.args[1:])))


def mutate_repeats(arch: DetArch, rng: random.Random) -> DetArch | None:
    i = _pick(arch, rng, lambda layer: layer.spec.internal_repeats)
    if i is None:
        return None
    layer = arch.layers[i]
    repeats = layer.repeats + rng.choice((-1, 1))
    return arch.replace_layer(i, Layer(layer.module, layer.sources, repeats, layer.args)) if repeats >= 1 else None


def mutate_block(arch: DetArch, rng: random.Random) -> DetArch | None:
    """C2f <-> C3, or a stride-2 Conv <-> SCDown (same arguments)."""
    swaps = {"C2f": "C3", "C3": "C2f", "Conv": "SCDown", "SCDown": "Conv"}
    i = _pick(arch, rng, lambda layer: layer.module in ("C2f", "C3") or (
        layer.module in ("Conv", "SCDown") and layer.args[2] == 2))
    if i is None:
        return None
    layer = arch.layers[i]
    return arch.replace_layer(i, Layer(swaps[layer.module], layer.sources, layer.repeats, layer.args))


def mutate_shortcut(arch: DetArch, rng: random.Random) -> DetArch | None:
    i = _pick(arch, rng, lambda layer: "shortcut" in layer.spec.arg_names)
    if i is None:
        return None
    layer = arch.layers[i]
    return arch.replace_layer(i, Layer(layer.module, layer.sources, layer.repeats, (layer.args[0], not layer.args[1])))


def mutate_kernel(arch: DetArch, rng: random.Random) -> DetArch | None:
    i = _pick(arch, rng, lambda layer: "kernel" in layer.spec.arg_names)
    if i is None:
        return None
    layer = arch.layers[i]
    choices = (3, 5, 7) if layer.module == "SPPF" else (1, 3, 5)
    kernel = rng.choice([k for k in choices if k != layer.args[1]])
    return arch.replace_layer(i, Layer(layer.module, layer.sources, layer.repeats,
                                       (layer.args[0], kernel, *layer.args[2:])))


MUTATIONS = (mutate_width, mutate_repeats, mutate_block, mutate_shortcut, mutate_kernel)


def mutate_detector(arch: DetArch, rng: random.Random) -> DetArch | None:
    """One random mutation (validity and budget are the caller's check)."""
    return rng.choice(MUTATIONS)(arch, rng)
