"""Size proxies read from the validation report: no model, no worker, exact."""

from __future__ import annotations

from phasenas.scoring.registry import ProxyInput, register_proxy


@register_proxy("params", analytic=True)
def params(inp: ProxyInput) -> float:
    """Number of parameters (analytic, with the head)."""
    assert inp.report is not None and inp.report.params is not None
    return float(inp.report.params)


@register_proxy("flops", analytic=True)
def flops(inp: ProxyInput) -> float:
    """Multiply-accumulates of one forward pass (analytic, with the head)."""
    assert inp.report is not None and inp.report.flops is not None
    return float(inp.report.flops)
