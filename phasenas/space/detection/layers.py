"""The parsed form of a detector: layers in ultralytics' ``[from, repeats, module, args]`` convention.

One ``DetArch`` is what both text forms (the compact one-line string and the model YAML) parse to. It keeps the
depth and width multiples as written; ``resolved`` applies them exactly as ultralytics' ``parse_model`` does,
so the canonical string (the resolved form, multiples 1) names one network however it was written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

Arg = int | bool


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    """A module of the template: argument names and defaults (after the implicit input channels)."""

    name: str
    yaml_name: str                   # the module as the ultralytics YAML spells it
    arg_names: tuple[str, ...]
    defaults: tuple[Arg, ...]        # values of the trailing optional arguments
    multi_input: bool = False        # Concat/Detect: the from list is the argument list in the compact form
    scaled: bool = False             # first argument is output channels, scaled by width and max_channels
    internal_repeats: bool = False   # repeats become the module's own n (C2f, C3) instead of chained copies
    bool_args: frozenset[str] = frozenset()

    @property
    def required(self) -> int:
        return len(self.arg_names) - len(self.defaults)


MODULES: dict[str, ModuleSpec] = {spec.name: spec for spec in (
    ModuleSpec("Conv", "Conv", ("channels", "kernel", "stride"), (1, 1), scaled=True),
    ModuleSpec("C2f", "C2f", ("channels", "shortcut"), (False,), scaled=True, internal_repeats=True,
               bool_args=frozenset({"shortcut"})),
    ModuleSpec("C3", "C3", ("channels", "shortcut"), (True,), scaled=True, internal_repeats=True,
               bool_args=frozenset({"shortcut"})),
    ModuleSpec("Bottleneck", "Bottleneck", ("channels", "shortcut"), (True,), scaled=True,
               bool_args=frozenset({"shortcut"})),
    ModuleSpec("SPPF", "SPPF", ("channels", "kernel"), (5,), scaled=True),
    ModuleSpec("SCDown", "SCDown", ("channels", "kernel", "stride"), (), scaled=True),
    ModuleSpec("Upsample", "nn.Upsample", ("scale",), (2,)),
    ModuleSpec("Concat", "Concat", (), (), multi_input=True),
    ModuleSpec("Detect", "Detect", (), (), multi_input=True),
)}
DETECT = "Detect"


@dataclass(frozen=True, slots=True)
class Layer:
    """One row ``[from, repeats, module, args]``; ``sources`` has one entry except for Concat and Detect."""

    module: str
    sources: tuple[int, ...] = (-1,)
    repeats: int = 1
    args: tuple[Arg, ...] = ()

    @property
    def spec(self) -> ModuleSpec:
        return MODULES[self.module]

    def __str__(self) -> str:
        if self.spec.multi_input:
            text = f"{self.module}({','.join(map(str, self.sources))})"
        else:
            source = "" if self.sources == (-1,) else f"@{self.sources[0]}"
            text = f"{self.module}{source}({','.join(map(str, self.args))})"
        return text if self.repeats == 1 else f"{text}x{self.repeats}"


def make_divisible(x: float, divisor: int = 8) -> int:
    """Round up to a multiple of ``divisor`` (ultralytics' channel rounding)."""
    return math.ceil(x / divisor) * divisor


@dataclass(frozen=True, slots=True)
class DetArch:
    """A detector: layers plus the depth multiple, width multiple and channel cap they are written with."""

    layers: tuple[Layer, ...]
    depth: float = 1.0
    width: float = 1.0
    max_channels: int | None = None

    def __str__(self) -> str:
        body = " ".join(map(str, self.layers))
        header = []
        if self.depth != 1.0:
            header.append(f"depth={self.depth:g}")
        if self.width != 1.0:
            header.append(f"width={self.width:g}")
        if self.max_channels is not None:
            header.append(f"max_channels={self.max_channels}")
        return f"{' '.join(header)}; {body}" if header else body

    def __len__(self) -> int:
        return len(self.layers)

    @property
    def is_resolved(self) -> bool:
        return self.depth == 1.0 and self.width == 1.0 and self.max_channels is None

    def replace_layer(self, index: int, layer: Layer) -> DetArch:
        layers = list(self.layers)
        layers[index] = layer
        return replace(self, layers=tuple(layers))

    def resolved(self) -> DetArch:
        """The same network with multiples 1 and no cap: repeats and channels as ultralytics computes them.

        Sources become canonical too: the previous layer is ``-1``, any other layer its absolute index.
        (ultralytics before 8.3 left a width equal to the class count unscaled; current releases scale every
        width, and so does this.)
        """
        return DetArch(tuple(self._resolve(i, layer) for i, layer in enumerate(self.layers)))

    def _resolve(self, i: int, layer: Layer) -> Layer:
        repeats = max(round(layer.repeats * self.depth), 1) if layer.repeats > 1 else layer.repeats
        args = layer.args
        if layer.spec.scaled:
            cap = args[0] if self.max_channels is None else min(args[0], self.max_channels)
            args = (make_divisible(cap * self.width), *args[1:])
        relative = layer.module != DETECT  # as in ultralytics' files: Detect names its inputs by index
        return Layer(layer.module, tuple(_canonical_source(i, s, relative) for s in layer.sources), repeats, args)


def _canonical_source(i: int, source: int, relative: bool) -> int:
    absolute = i + source if source < 0 else source
    if absolute < 0 or (i == 0 and source == -1):
        return source  # the image, or out of range (validation reports it): as written
    return -1 if relative and absolute == i - 1 else absolute
