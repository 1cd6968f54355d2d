"""What crosses process boundaries (local workers and Ray actors alike): orjson requests and replies.

The worker side lives here too, so both backends run a request the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson
import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ScoreRequest:
    """One candidate to score: already validated and admitted by the queue."""

    id: int
    space: str
    resolution: int | None
    classes: int | None
    canonical: str
    proxy: str
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScoreReply:
    """The worker's answer to the request with the same ``id``."""

    id: int
    score: float | None
    error: str | None
    detail: str | None
    seconds: float


def encode(message: Any) -> bytes:
    return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY)


def decode_request(data: dict[str, Any]) -> ScoreRequest:
    return ScoreRequest(**data)


def decode_reply(data: dict[str, Any]) -> ScoreReply:
    return ScoreReply(**data)


def prepare_worker(threads: int, imports: Sequence[str]) -> None:
    """Run once at worker start: logging, torch thread count, then modules that register extra proxies or spaces."""
    import torch

    from phasenas import logs

    logs.configure()  # a worker's events go to stderr (warnings and up), never into its parent's stdout
    torch.set_num_threads(threads)
    for module in imports:
        importlib.import_module(module)
    from phasenas.scoring.registry import load_entry_point_proxies

    load_entry_point_proxies()
    log.debug("scoring.worker_ready", threads=threads, imports=list(imports))


def run_request(request: ScoreRequest, device: str) -> ScoreReply:
    """Score one request in this process (the body of every worker)."""
    import torch

    from phasenas.scoring.pipeline import SpaceRef, score_text
    from phasenas.scoring.settings import ScoreSettings

    space = SpaceRef(request.space, request.resolution, request.classes).resolve()
    outcome = score_text(space, request.canonical, request.proxy, ScoreSettings.from_dict(request.settings),
                         torch.device(device))
    return ScoreReply(request.id, **asdict(outcome))
