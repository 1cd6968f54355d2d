"""The memory guard: refuse a candidate whose activations would not fit, before building it."""

from __future__ import annotations

import os

from phasenas.scoring.settings import ScoreSettings

# Bytes per activation element per sample: float32 forward values plus as much again for gradients or the
# second (perturbed) pass. SynFlow runs in float64 but with one sample, so this bound covers it as well.
_BYTES_PER_ELEMENT = 8


def estimate_bytes(activations: int, settings: ScoreSettings) -> int:
    """Upper bound of activation memory for one proxy evaluation (layer outputs summed, as the report counts)."""
    return activations * settings.batch_size * _BYTES_PER_ELEMENT


def default_memory_limit(device: str, workers: int) -> int:
    """Half of what each worker may use: the GPU's memory, or this machine's RAM split between workers."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_properties(torch.device(device)).total_memory // 2
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return ram // (2 * max(1, workers))
