"""Where training runs: one device, or one process per GPU under ``torchrun`` (DDP).

``torchrun`` sets WORLD_SIZE, RANK and LOCAL_RANK; when WORLD_SIZE > 1 the process group is initialised here
(NCCL on CUDA, Gloo on CPU) and every other module only asks ``Placement`` who it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import structlog
import torch
import torch.distributed as dist

from phasenas.errors import PhaseNASError

log = structlog.get_logger(__name__)


class DeviceUnavailable(PhaseNASError):
    """The requested device does not exist on this machine."""


@dataclass(frozen=True)
class Placement:
    """This process's device and its rank among ``world_size`` training processes."""

    device: torch.device
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Only the main process writes checkpoints, records and progress."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def all_sum(self, values: list[float]) -> list[float]:
        """Sum ``values`` over all processes (identity when not distributed)."""
        if not self.distributed:
            return values
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return tensor.tolist()


def choose_device(name: str | None) -> torch.device:
    """``None``/``auto``: CUDA when present, else CPU; otherwise the named device, checked to exist."""
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable(f"device {name!r} asked for but CUDA is not available")
    return device


def place(device: str | None = None) -> Placement:
    """The placement of this process; joins the process group when launched by torchrun with several workers."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Placement(choose_device(device))
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    chosen = choose_device(device)
    if chosen.type == "cuda":
        chosen = torch.device("cuda", local_rank)
        torch.cuda.set_device(chosen)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if chosen.type == "cuda" else "gloo")
    log.info("train.distributed_joined", rank=rank, world_size=world_size, device=str(chosen))
    return Placement(chosen, rank, world_size)


def leave(placement: Placement) -> None:
    """Tear the process group down at the end of a distributed training."""
    if placement.distributed and dist.is_initialized():
        dist.destroy_process_group()
