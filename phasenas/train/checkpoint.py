"""Checkpoints: everything needed to rebuild a network, resume its training exactly, or just evaluate it.

Written atomically (temp file, then rename) so a training killed mid-save leaves the previous epoch intact,
and read with ``weights_only=True``: a checkpoint holds tensors and plain values, never pickled objects.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from phasenas.errors import PhaseNASError

LAST = "last.pt"
BEST = "best.pt"
FORMAT = 1


class CheckpointError(PhaseNASError):
    """A checkpoint is missing, unreadable, or belongs to another network."""


@dataclass(frozen=True)
class ModelInfo:
    """Which network was trained on what: enough to rebuild it with ``get_space(space).build``."""

    canonical: str
    space: str
    dataset: str
    classes: int
    channels: int
    resolution: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` (plus the format version) to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save({"format": FORMAT, **payload}, partial)
    os.replace(partial, path)


def load_checkpoint(path: Path, device: torch.device | str = "cpu") -> dict[str, Any]:
    """A checkpoint written by ``save_checkpoint`` (tensors mapped to ``device``)."""
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except (RuntimeError, OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "info" not in payload:
        raise CheckpointError(f"{path} is not a phasenas training checkpoint (format {FORMAT})")
    return payload


def model_info(payload: dict[str, Any]) -> ModelInfo:
    return ModelInfo(**payload["info"])
