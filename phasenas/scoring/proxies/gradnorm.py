"""Grad-norm (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021).

Sum over parameters of the L2 norm of the cross-entropy gradient at initialisation, for one batch of Gaussian
images with random labels (BN in training mode).
"""

from __future__ import annotations

import torch
from torch.nn import functional

from phasenas.scoring.proxies.weights import gaussian_images, require_model
from phasenas.scoring.registry import ProxyInput, register_proxy


@register_proxy("gradnorm", settings=("batch_size", "seed"))
def gradnorm(inp: ProxyInput) -> float:
    """Sum of per-parameter gradient L2 norms of the loss at initialisation."""
    model = require_model(inp).train()
    images = gaussian_images(inp)
    labels = torch.randint(0, inp.classes, (images.shape[0],), device=inp.device)
    model.zero_grad(set_to_none=True)
    functional.cross_entropy(model(images), labels).backward()
    return float(sum(p.grad.norm() for p in model.parameters() if p.grad is not None))
