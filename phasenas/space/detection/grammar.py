"""The llama.cpp grammar of the yolo space: YOLOv8's layer graph, with every choice the search varies left open.

A small model that writes a detector token by token under a free layer-list grammar almost never gets the
Concat and Detect indices and the P3/P4/P5 strides right (SmolLM2-135M: 0 valid detectors in 24 answers; it
runs on with layers until the token limit). So the grammar fixes what makes the text a detector - the order
of the layers, where the resolution halves, the Upsample/Concat wiring and ``Detect(15,18,21)`` - and leaves
open what ``sample`` and ``mutate`` vary too: each width, each CSP block's type (C2f or C3), repeats and
shortcut, Conv or SCDown and its kernel for each downsampling, and the SPPF kernel. Budgets stay the
validator's job. Answers of unconstrained models, and YAML, may still use any layer graph.
"""

from __future__ import annotations

from phasenas.space.detection.layers import Layer
from phasenas.space.detection.parse import parse_compact
from phasenas.space.detection.presets import YOLOV8_LAYERS

_RULES = (
    'down ::= ("Conv" | "SCDown") "(" ch "," kernel ",2)"\n'
    'csp ::= ("C2f" | "C3") "(" ch "," bool ")" rep?\n'
    'sppf ::= "SPPF(" ch "," ("3" | "5" | "7" | "9") ")"\n'
    'ch ::= [2-9] | [1-9] [0-9]{1,2}\n'
    'kernel ::= "1" | "3" | "5" | "7"\n'
    'bool ::= "True" | "False"\n'
    'rep ::= "x" [1-9]\n'
)


def _slot(layer: Layer) -> str:
    """The grammar rule for a free layer of the reference graph, or the layer itself as a literal."""
    if layer.module in ("Conv", "SCDown") and layer.args[2] == 2:
        return "down"
    if layer.module in ("C2f", "C3"):
        return "csp"
    if layer.module == "SPPF":
        return "sppf"
    return f'"{layer}"'


def topology_gbnf() -> str:
    """A grammar whose sentences are YOLOv8's layer graph with the searched choices open."""
    layers = parse_compact(YOLOV8_LAYERS).resolved().layers
    return "root ::= " + ' " " '.join(_slot(layer) for layer in layers) + "\n" + _RULES
