"""SynFlow (Tanaka et al., NeurIPS 2020; as a zero-cost proxy, Abdelfattah et al., ICLR 2021).

Weights replaced by their absolute values, an all-ones input, R = sum of the outputs; score = Σ |θ · ∂R/∂θ|.
The product of layer norms overflows float32 on deep networks, so the network runs in float64 and the proxy
reports the natural log. BatchNorm runs in eval mode with its fresh statistics (mean 0, variance 1), i.e. as the
identity the data-free formulation assumes.
"""

from __future__ import annotations

import math

import torch

from phasenas.scoring.proxies.weights import require_model
from phasenas.scoring.registry import ProxyInput, register_proxy


@register_proxy("synflow", settings=("seed",))
def synflow(inp: ProxyInput) -> float:
    """Log of the synaptic-flow saliency summed over all parameters (float64)."""
    model = require_model(inp).double().eval()
    params = [p for p in model.parameters() if p.requires_grad]
    with torch.no_grad():
        for p in params:
            p.abs_()
    ones = torch.ones(1, inp.image_channels, inp.resolution, inp.resolution, dtype=torch.float64,
                      device=inp.device)
    model.zero_grad(set_to_none=True)
    model(ones).sum().backward()
    with torch.no_grad():
        total = sum(float((p * p.grad).abs().sum()) for p in params if p.grad is not None)
    return math.log(total) if total > 0 else float("-inf")
