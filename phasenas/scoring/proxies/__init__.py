"""The built-in proxies; importing this package registers them."""

from phasenas.scoring.proxies import analytic, gradnorm, naswot, synflow, zen, zen_det

__all__ = ["analytic", "gradnorm", "naswot", "synflow", "zen", "zen_det"]
