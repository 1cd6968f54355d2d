"""``zen-det``: a Zen-style zero-shot score for detectors, over the three maps the Detect head reads.

Zen-NAS scores a classifier by how strongly its pre-pooling feature map reacts to a small input perturbation,
with Gaussian weights and BatchNorm in training mode, adding back the scale each BN removed (log of the square
root of its mean batch variance). A detector has three such maps, P3/P4/P5 at strides 8/16/32, each the output of
its own sub-network of the layer graph. ``zen-det`` scores each scale as Zen-NAS scores one network, using only
the BN layers on that scale's path (its ancestors in the graph), and averages the three with equal weights:

    score = sum_s w_s * ( log Δ_s + Σ_{BN ∈ path(s)} log sqrt(mean_c σ²_BN) ),   w = (1/3, 1/3, 1/3)
    Δ_s = mean over the batch of || f_s(x) - f_s(x + γ ε) ||_1

Equal weights because every scale is needed (P3 finds small objects, P5 large ones) and none is known to
matter more before training; a weighting that favoured one scale would let the search starve the others.
The head's own convolutions are excluded, as Zen-NAS excludes the classifier.

Cost: the score runs at ``min(task resolution, 320)`` px with at most ``MAX_BATCH`` images, so a YOLOv8n-size
detector scores in about a second on a CPU (``benchmarks/zen_det.py``); the value ranks architectures, it does
not need the full 640 px.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from phasenas.scoring.proxies.weights import batchnorms, gaussian_init, require_model
from phasenas.scoring.registry import ProxyInput, register_proxy
from phasenas.scoring.results import CandidateRejected, Failure

PROXY_RESOLUTION = 320
MAX_BATCH = 8
SCALE_WEIGHTS = (1 / 3, 1 / 3, 1 / 3)


def scale_batchnorms(model: nn.Module) -> list[list[_BatchNorm]]:
    """For each map the head reads, the BN layers of the layers it depends on."""
    layers = model.layers  # type: ignore[attr-defined]
    return [[bn for j in sorted(model.ancestors(source)) for bn in batchnorms(layers[j])]  # type: ignore[operator]
            for source in model.head_sources]  # type: ignore[attr-defined]


def zen_det_score(model: nn.Module, images: torch.Tensor, gamma: float,
                  weights: tuple[float, ...] = SCALE_WEIGHTS) -> float:
    """One repeat of the score on ``model`` (a ``Detector``): Gaussian weights drawn here, from torch's RNG."""
    per_scale = scale_batchnorms(model)
    if len(per_scale) != len(weights):
        raise ValueError(f"{len(per_scale)} detection scales but {len(weights)} weights")
    gaussian_init(model)
    for bn in batchnorms(model):
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: running_var becomes this call's batch variance
    model.train()
    with torch.no_grad():
        clean = model.forward_features(images)  # type: ignore[operator]
        noisy = model.forward_features(images + gamma * torch.randn_like(images))  # type: ignore[operator]
    score = 0.0
    for weight, a, b, bns in zip(weights, clean, noisy, per_scale):
        delta = (a - b).abs().flatten(1).sum(1).mean().item()
        bn_term = sum(0.5 * math.log(bn.running_var.double().mean().item()) for bn in bns
                      if bn.running_var is not None)
        score += weight * (math.log(delta) + bn_term)
    return score


@register_proxy("zen-det", settings=("batch_size", "repeats", "gamma", "seed"), max_batch=MAX_BATCH,
                max_resolution=PROXY_RESOLUTION)
def zen_det(inp: ProxyInput) -> float:
    """Zen-score of a detector: perturbation sensitivity of P3, P4 and P5 plus their BN terms, averaged."""
    model = require_model(inp)
    if not hasattr(model, "forward_features") or not hasattr(model, "head_sources"):
        raise CandidateRejected(Failure.PROXY_FAILED, "zen-det scores detectors (the yolo space); use zen here")
    resolution = min(inp.resolution, PROXY_RESOLUTION)
    batch = min(inp.settings.batch_size, MAX_BATCH)
    scores = []
    for _ in range(inp.settings.repeats):
        images = torch.randn(batch, inp.image_channels, resolution, resolution, device=inp.device)
        scores.append(zen_det_score(model, images, inp.settings.gamma))
    return sum(scores) / len(scores)
