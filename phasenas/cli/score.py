"""``phasenas score ARCH``: score one architecture with a zero-shot proxy, in this process.

Exit 0 with a score, 1 when it cannot be scored (invalid, too large, non-finite, ...), 2 on usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phasenas.cli import app
from phasenas.cli.common import ClassesOption, JsonOption, ResolutionOption, SpaceOption, echo_json, space_for


@app.command()
def score(
    arch: Annotated[str, typer.Argument(help="Architecture string (or an 8-digit code for --space macro).")],
    space: SpaceOption = "zen-cifar",
    proxy: Annotated[str | None, typer.Option(
        "--proxy", help="zen, naswot, synflow, gradnorm, params, flops (default: the space's measured default)."
    )] = None,
    classes: ClassesOption = None,
    resolution: ResolutionOption = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=2, help="Inputs per forward pass.")] = 64,
    seed: Annotated[int, typer.Option("--seed", help="Seed mixed with the canonical form.")] = 0,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", help="Score cache directory, e.g. a search's (default: no cache).")] = None,
    json: JsonOption = False,
) -> None:
    """Score an architecture with a zero-shot proxy (higher = predicted more accurate)."""
    from phasenas.scoring import ScoreCache, ScoreSettings, UnknownProxy, get_proxy  # torch: load on use only
    from phasenas.scoring.memory import default_memory_limit
    from phasenas.scoring.pipeline import score_once

    the_space = space_for(space, classes, resolution)
    name = proxy or the_space.default_proxy
    try:
        get_proxy(name)
    except UnknownProxy as exc:
        raise typer.BadParameter(str(exc), param_hint="--proxy") from exc

    import torch

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cache = ScoreCache(cache_dir) if cache_dir is not None else None
    try:
        result = score_once(the_space, arch, name, ScoreSettings(batch_size=batch_size, seed=seed), device=device,
                            memory_limit=default_memory_limit(str(device), 1), cache=cache)
    finally:
        if cache is not None:
            cache.close()
    if json:
        echo_json(result.to_dict())
    elif result.ok:
        typer.echo(f"{result.proxy} {result.score:.6g}  ({result.seconds:.2f} s{', cached' if result.cached else ''})"
                   f"\n{result.canonical}")
    else:
        typer.echo(f"cannot score: {result.error}: {result.detail}")
    raise typer.Exit(0 if result.ok else 1)
