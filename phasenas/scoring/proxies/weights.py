"""Weight and input helpers shared by the model-based proxies."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from phasenas.scoring.registry import ProxyInput


def gaussian_init(model: nn.Module) -> None:
    """Zen-NAS initialisation: conv and linear weights N(0, 1), biases 0, norm layers scale 1 and shift 0."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (_BatchNorm, nn.GroupNorm)) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)


def batchnorms(model: nn.Module) -> list[_BatchNorm]:
    return [m for m in model.modules() if isinstance(m, _BatchNorm)]


def gaussian_images(inp: ProxyInput, batch_size: int | None = None, dtype: torch.dtype = torch.float32
                    ) -> torch.Tensor:
    """A batch of N(0, 1) images of the task's shape, drawn from the (per-architecture seeded) global RNG."""
    n = inp.settings.batch_size if batch_size is None else batch_size
    return torch.randn(n, inp.image_channels, inp.resolution, inp.resolution, device=inp.device, dtype=dtype)


def require_model(inp: ProxyInput) -> nn.Module:
    if inp.model is None:
        raise ValueError("this proxy needs a built model")
    return inp.model
