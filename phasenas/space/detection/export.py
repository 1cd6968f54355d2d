"""``DetArch`` -> ultralytics model YAML, so a found detector trains with ``yolo detect train model=found.yaml``.

The file holds the resolved network (multiples 1.0, exact channels and repeats), so ultralytics builds exactly
the model phasenas validated and scored, whatever multiples the architecture was written with.
"""

from __future__ import annotations

from phasenas.space.detection.layers import DETECT, DetArch, Layer


def to_ultralytics_yaml(arch: DetArch, classes: int = 80) -> str:
    """The model YAML of ``arch`` for ``classes`` classes (validate ``arch`` first)."""
    resolved = arch.resolved()
    split = next((i for i, layer in enumerate(resolved.layers) if layer.module in ("Upsample", "Concat")),
                 len(resolved.layers) - 1)
    split = max(split, 1)
    rows = [_row(layer) for layer in resolved.layers]
    lines = [
        "# Exported by phasenas. Train with: yolo detect train model=<this file> data=<your data>.yaml",
        f"# phasenas architecture: {resolved}",
        f"nc: {classes}",
        "depth_multiple: 1.0",
        "width_multiple: 1.0",
        "backbone:",
        *(f"  - {row} # {i}" for i, row in enumerate(rows[:split])),
        "head:",
        *(f"  - {row} # {i}" for i, row in enumerate(rows[split:], start=split)),
    ]
    return "\n".join(lines) + "\n"


def _row(layer: Layer) -> str:
    spec = layer.spec
    if spec.multi_input:
        args = "[nc]" if layer.module == DETECT else "[1]"
        return f"[[{', '.join(map(str, layer.sources))}], {layer.repeats}, {spec.yaml_name}, {args}]"
    if layer.module == "Upsample":
        args = f'[None, {layer.args[0]}, "nearest"]'
    else:
        args = f"[{', '.join(map(str, layer.args))}]"
    return f"[{layer.sources[0]}, {layer.repeats}, {spec.yaml_name}, {args}]"
