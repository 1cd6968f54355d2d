"""The ``yolo`` search space: YOLOv8-style detectors (80 classes, 640 px), budgeted at YOLOv8n's size.

Architectures are layer lists in ultralytics' convention (see ``parse`` for the compact form); validation is
closed-form (``analyze``), the canonical string is the resolved compact form, and ``build`` returns a
``Detector`` whose ``forward_features`` gives the P3/P4/P5 maps.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING

from phasenas.space.base import Space, register_space
from phasenas.space.detection.analyze import DetMetrics, measure_detector
from phasenas.space.detection.grammar import topology_gbnf
from phasenas.space.detection.layers import MODULES, DetArch
from phasenas.space.detection.neighbours import mutate_detector, sample_detector
from phasenas.space.detection.parse import MAX_TEXT_LENGTH, parse_detector
from phasenas.space.errors import ArchError
from phasenas.space.validate import Budget, Task, ValidationReport

if TYPE_CHECKING:
    from phasenas.space.detection.build import Detector

_LAYER_TEXT = r"[A-Za-z][A-Za-z0-9.]*(?:@-?[0-9]+)?\([^()\n]*\)(?:x[0-9]+)?"
_COMPACT_RUN = re.compile(rf"(?:(?:depth|width|max_channels)=[0-9.]+[ ,]*)*;?\s*(?:{_LAYER_TEXT}[ \t,]*){{3,}}",
                          re.ASCII)
_FENCE = re.compile(r"```[A-Za-z]*\n(.*?)```", re.DOTALL)
_YAML_START = re.compile(r"^(?:nc|scales|depth_multiple|width_multiple|backbone)\s*:", re.MULTILINE)
_MUTATION_TRIES = 64


@register_space("yolo")
class YoloSpace(Space):
    name = "yolo"
    description = "YOLOv8-style detectors (Conv, C2f, C3, Bottleneck, SPPF, SCDown, Upsample, Concat, Detect), " \
                  "COCO-like 80 classes at 640 px, YOLOv8n budget"
    blocks = frozenset(MODULES)
    default_proxy = "zen-det"
    # the grammar fixes the layer graph (where resolution drops, the Concat wiring, the heads): no stride or depth foci
    explore_foci = (
        "change the widths: channel counts",
        "change the repeats of the C2f/C3 blocks",
        "change the kernel sizes",
        "use different block types (C2f or C3, Conv or SCDown, shortcuts on or off)",
        "a bold design unlike the ones above",
    )
    refine_foci = ("the backbone", "the neck", "the widths", "the repeats", "the kernel sizes", "the block types")

    def __init__(self) -> None:
        super().__init__(Task(3, 640, 80), Budget(max_params=3_200_000, max_flops=4_400_000_000, max_channels=1024,
                                                  max_blocks=40, max_length=MAX_TEXT_LENGTH))

    # --- language -----------------------------------------------------------------------------------------------
    def parse(self, text: str) -> DetArch:  # type: ignore[override]  (detectors are DetArch, not Arch)
        """Compact string, ultralytics model YAML, or a preset name (``yolov8n``...) -> ``DetArch``."""
        return parse_detector(text, self.budget.max_length)

    def canonical(self, arch: DetArch) -> str:  # type: ignore[override]
        return str(arch.resolved())

    def check(self, arch: DetArch, budget: Budget | None = None) -> ValidationReport:  # type: ignore[override]
        resolved = arch.resolved()
        metrics, issues = measure_detector(resolved, self.task, budget or self.budget)
        report = ValidationReport(valid=not issues, errors=issues, arch=resolved)  # type: ignore[arg-type]
        if metrics is not None:
            report.params, report.flops, report.depth = metrics.params, metrics.flops, metrics.depth
            report.activations = metrics.activations
        if not issues:
            report.canonical = str(resolved)
        return report

    def metrics(self, arch: DetArch) -> DetMetrics:
        """Shapes and costs of a structurally valid detector (budgets ignored); raises ``ArchError`` otherwise."""
        resolved = arch.resolved()
        metrics, issues = measure_detector(resolved, self.task, Budget(max_channels=1 << 20, max_blocks=1 << 10))
        if metrics is None or issues:
            raise ArchError(issues)
        return metrics

    def build(self, arch: DetArch) -> Detector:  # type: ignore[override]
        """The torch detector: ``forward`` -> head output, ``forward_features`` -> [P3, P4, P5].

        Imported here so that parsing and validating detectors never loads torch.
        """
        from phasenas.space.detection.build import build_detector

        return build_detector(arch.resolved(), self.metrics(arch).shapes, self.task.image_channels,
                              self.task.classes)

    # --- for the agents -----------------------------------------------------------------------------------------
    def task_text(self) -> str:
        t = self.task
        return (f"detect objects of {t.classes} classes in {t.resolution}x{t.resolution} images with "
                f"{t.image_channels} channels: a YOLO-style detector, Detect head on the stride-8, 16 and 32 maps "
                "(P3/P4/P5)")

    def describe(self) -> str:
        t, b = self.task, self.budget
        example = self.canonical(self.parse("yolov8n"))
        return (
            f"Search space yolo: object detectors for {t.resolution}x{t.resolution} images with "
            f"{t.image_channels} channels and {t.classes} classes, written as a list of layers in the "
            "ultralytics YOLO convention on one line, layers separated by spaces. Layer i (counting from 0) is "
            "Module(args), optionally Module@j(args) to read layer j instead of the previous layer, optionally "
            "followed by xN (repeats). YOLOv8n is:\n"
            f"{example}\n"
            "Modules (c = output channels, a multiple of 8; k = kernel 1/3/5/7; s = stride 1 or 2):\n"
            "  Conv(c,k,s): conv-BN-SiLU.  SCDown(c,k,s): 1x1 conv then depthwise k x k with stride s (cheap "
            "downsampling).\n"
            "  C2f(c,shortcut)xN: YOLOv8 CSP block with N bottlenecks; shortcut True or False.  C3(c,shortcut)xN: "
            "YOLOv5 CSP block.  Bottleneck(c,shortcut): two 3x3 convs.\n"
            "  SPPF(c,k): fast spatial pyramid pooling (k 3/5/7/9).  Upsample(2): nearest 2x upsampling.\n"
            "  Concat(a,b,...): joins layers a, b, ... along channels (-1 = previous layer); their maps must have "
            "the same size.\n"
            "  Detect(p3,p4,p5): the head, always the last layer, on the layers at strides 8, 16 and 32 "
            "(each stride-2 layer doubles the stride, each Upsample halves it).\n"
            f"Rules: inputs come from earlier layers only; at most {b.max_blocks} layers; channels at most "
            f"{b.max_channels}; repeats 1-16"
            + (f"; at most {b.max_params:,} parameters" if b.max_params else "")
            + (f"; at most {b.max_flops:,} multiply-accumulates ({2 * b.max_flops / 1e9:.1f} GFLOPs) at "
               f"{t.resolution} px" if b.max_flops else "")
            + ". Changing the indices of layers means updating every Concat and Detect that refers to them.")

    def gbnf(self) -> str:
        """YOLOv8's layer graph with widths, blocks, repeats and kernels open (see ``grammar``)."""
        return topology_gbnf()

    def arch_pattern(self) -> str:
        layer = r"[A-Za-z0-9]+(@-?[0-9]+)?\((-?[0-9]+|True|False)(,(-?[0-9]+|True|False))*\)(x[0-9]+)?"
        return rf"^({layer} ){{2,{self.budget.max_blocks - 1}}}Detect\([0-9]+,[0-9]+,[0-9]+\)$"

    def extract(self, text: str) -> list[str]:
        """JSON fields, code fences (compact or YAML), a bare YAML document, then runs of compact layers.

        Preset names are not extracted from prose (an answer that mentions yolov8n is not proposing it);
        an answer that is only a preset name is still validated as one.
        """
        found = self._json_candidates(text) + [m.group(1).strip() for m in _FENCE.finditer(text)]
        start = _YAML_START.search(text)
        if start is not None:
            found.append(text[start.start():].split("```")[0].strip())
        found += [m.group(0).strip(" \t,;") for m in _COMPACT_RUN.finditer(text)]
        unique: list[str] = []
        for candidate in found:
            if candidate and candidate not in unique:
                unique.append(candidate)
        return unique

    def sample(self, rng: random.Random) -> DetArch:  # type: ignore[override]
        return sample_detector(self, rng)

    def mutate(self, arch: DetArch, rng: random.Random) -> DetArch:  # type: ignore[override]
        """A valid neighbour with a different canonical form (or ``arch`` itself if none is found)."""
        base = arch.resolved()
        for _ in range(_MUTATION_TRIES):
            candidate = mutate_detector(base, rng)
            if candidate is not None and candidate != base and self.check(candidate).valid:
                return candidate
        return base
