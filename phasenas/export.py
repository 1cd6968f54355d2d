"""Export a found architecture: a state-free PyTorch program (torch.export), an ONNX graph, or an ultralytics YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch

from phasenas.errors import PhaseNASError
from phasenas.space import Space

Format = Literal["torch", "onnx", "ultralytics"]


class ExportError(PhaseNASError):
    pass


def export(space: Space, architecture: str, fmt: Format, out: Path) -> Path:
    """Write the untrained network of ``architecture`` to ``out``; returns the path written.

    ``torch``: ``torch.export`` program (``.pt2``), loadable without phasenas via ``torch.export.load(path).module()``.
    ``onnx``: an ONNX graph (needs ``pip install phasenas[onnx]``).
    ``ultralytics``: a detection model YAML for ``YOLO("found.yaml")`` / ``yolo detect train model=found.yaml``.
    """
    report = space.validate(architecture)
    if not report.valid:
        raise ExportError(f"not a valid {space.name} architecture: {'; '.join(map(str, report.errors))}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "ultralytics":
        if space.name != "yolo":
            raise ExportError("the ultralytics format is for detection architectures (--space yolo)")
        from phasenas.space.detection import to_ultralytics_yaml

        out.write_text(to_ultralytics_yaml(report.arch, space.task.classes), encoding="utf-8")  # type: ignore[arg-type]
        return out
    model = space.build(report.arch).eval()  # type: ignore[arg-type]
    task = space.task
    example = (torch.randn(1, task.image_channels, task.resolution, task.resolution),)
    if fmt == "torch":
        torch.export.save(torch.export.export(model, example), out)
    elif fmt == "onnx":
        try:
            import onnx  # noqa: F401
            import onnxscript  # noqa: F401
        except ImportError:
            raise ExportError("ONNX export needs the onnx extra: pip install 'phasenas[onnx]'") from None
        torch.onnx.export(model, example, str(out), dynamo=True, verbose=False)
    else:
        raise ExportError(f"unknown export format {fmt!r}; use torch, onnx or ultralytics")
    return out
