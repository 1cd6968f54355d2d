"""Zen-score (Lin et al., "Zen-NAS", ICCV 2021), as published.

Gaussian weights, BatchNorm in training mode; Δ = mean over the batch of the L1 difference between the pre-GAP
feature maps of x and x + γ·ε; score = log Δ + Σ over BN layers of log sqrt(mean over channels of the BN
variance). Repeated R times with fresh weights and inputs and averaged.

Unlike the reference code, BN running statistics are reset before every repeat and accumulated as a plain
average (momentum None), so each BN term is the batch variance the paper defines rather than a blend with the
initial value 1 and earlier repeats.
"""

from __future__ import annotations

import math

import torch

from phasenas.scoring.proxies.weights import batchnorms, gaussian_images, gaussian_init, require_model
from phasenas.scoring.registry import ProxyInput, register_proxy


@register_proxy("zen", settings=("batch_size", "repeats", "gamma", "seed"))
def zen(inp: ProxyInput) -> float:
    """Zen-NAS expressivity score: log feature-map sensitivity to a small input perturbation, BN-rescaled."""
    model = require_model(inp)
    features = model.forward_pre_gap  # the space's modules expose the feature map before global pooling
    bns = batchnorms(model)
    model.train()
    scores = []
    with torch.no_grad():
        for _ in range(inp.settings.repeats):
            gaussian_init(model)
            for bn in bns:
                bn.reset_running_stats()
                bn.momentum = None  # cumulative average: the running variance is this repeat's batch variance
            x = gaussian_images(inp)
            perturbed = x + inp.settings.gamma * torch.randn_like(x)
            delta = (features(x) - features(perturbed)).abs().flatten(1).sum(1).mean()
            bn_term = sum(0.5 * math.log(bn.running_var.double().mean().item())
                          for bn in bns if bn.running_var is not None)
            scores.append(math.log(delta.item()) + bn_term)
    return sum(scores) / len(scores)
