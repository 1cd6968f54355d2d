"""NASWOT (Mellor et al., "Neural Architecture Search without Training", ICML 2021).

One forward pass of a batch through the freshly initialised network (BN in training mode); each ReLU's output
gives every input a binary code; the kernel K[i, j] counts the units where inputs i and j agree. The score is
log |K|. When two inputs share every code, K is singular and the score is -inf: the proxy raises instead
(a ``non_finite`` failure), because such a network cannot tell its inputs apart.
"""

from __future__ import annotations

import torch
from torch import nn

from phasenas.scoring.proxies.weights import gaussian_images, require_model
from phasenas.scoring.registry import ProxyInput, register_proxy
from phasenas.scoring.results import CandidateRejected, Failure


@register_proxy("naswot", settings=("batch_size", "seed"))
def naswot(inp: ProxyInput) -> float:
    """Log-determinant of the Hamming kernel of binary ReLU activation codes over a batch."""
    model = require_model(inp)
    n = inp.settings.batch_size
    kernel = torch.zeros(n, n, dtype=torch.float64, device=inp.device)

    def accumulate(_module: nn.Module, _args: object, out: torch.Tensor) -> None:
        code = (out.detach().flatten(1) > 0).to(torch.float32)
        agree_on = code @ code.T
        agree_off = (1 - code) @ (1 - code).T
        kernel.add_((agree_on + agree_off).double())

    hooks = [m.register_forward_hook(accumulate) for m in model.modules() if isinstance(m, (nn.ReLU, nn.ReLU6))]
    if not hooks:
        raise CandidateRejected(Failure.PROXY_FAILED, "naswot needs ReLU modules; the network has none")
    model.train()
    try:
        with torch.no_grad():
            model(gaussian_images(inp))
    finally:
        for hook in hooks:
            hook.remove()
    sign, logdet = torch.linalg.slogdet(kernel)
    if sign.item() <= 0:
        raise CandidateRejected(Failure.NON_FINITE, "activation-code kernel is singular (inputs share codes)")
    return float(logdet.item())
