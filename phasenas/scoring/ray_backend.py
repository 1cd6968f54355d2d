"""The ``ray`` backend (extra ``phasenas[ray]``): one actor per GPU (``num_gpus=1``) or per CPU slot.

Locally ``ray.init()`` starts a private Ray instance for the queue's lifetime. On a cluster, start Ray on every
node (``ray start --head`` on one, ``ray start --address=HEAD:6379`` on the others), install phasenas on all of
them, and pass ``ray_address="auto"`` (or the head's address) from a driver on a cluster node: the queue then
places one actor per GPU across the whole cluster. Ray runs the calls of one actor in submission order, so a
batch is simply several submitted calls, and the pool's timeout and retry logic applies unchanged.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import deque
from collections.abc import Sequence
from typing import Any

import orjson
import structlog

from phasenas.errors import PhaseNASError
from phasenas.scoring.pool import WorkerDied, WorkerHandle
from phasenas.scoring.protocol import (
    ScoreReply,
    ScoreRequest,
    decode_reply,
    decode_request,
    encode,
    prepare_worker,
    run_request,
)

log = structlog.get_logger(__name__)

class RayUnavailable(PhaseNASError):
    """``backend="ray"`` was asked for but Ray is not installed."""


STARTUP_TIMEOUT = 300.0  # a fresh actor imports torch; on a busy cluster placement can also wait
_state = {"started_here": False}


class ScoringActor:
    """The Ray actor: a worker process that scores requests with the same code as a local worker."""

    def __init__(self, threads: int, imports: Sequence[str]) -> None:
        import ray

        prepare_worker(threads, imports)
        self.device = "cuda" if ray.get_gpu_ids() else "cpu"

    def ready(self) -> int:
        return os.getpid()

    def score(self, payload: bytes) -> bytes:
        return encode(run_request(decode_request(orjson.loads(payload)), self.device))


class RayWorker:
    """One Ray actor behind the ``WorkerHandle`` interface."""

    def __init__(self, index: int, actor_class: Any, options: dict[str, Any], imports: Sequence[str]) -> None:
        self.name = f"ray-{index}"
        self._class = actor_class
        self._options = options
        self._imports = tuple(imports)
        self._actor: Any = None
        self._refs: deque[Any] = deque()

    async def start(self) -> None:
        from ray.exceptions import RayError

        await self.kill()
        self._actor = self._class.options(**self._options).remote(1, self._imports)
        try:
            pid = await asyncio.wait_for(_awaitable(self._actor.ready.remote()), STARTUP_TIMEOUT)
        except TimeoutError:
            await self.kill()
            raise WorkerDied(f"{self.name} did not start within {STARTUP_TIMEOUT:g} s") from None
        except RayError as exc:
            await self.kill()
            raise WorkerDied(f"{self.name} failed to start: {exc}") from exc
        log.debug("scoring.worker_started", worker=self.name, pid=pid)

    def send(self, requests: Sequence[ScoreRequest]) -> None:
        if self._actor is None:
            raise WorkerDied(f"{self.name} is not running")
        self._refs.extend(self._actor.score.remote(encode(request)) for request in requests)

    async def receive(self, timeout: float) -> ScoreReply:
        from ray.exceptions import RayError

        if not self._refs:
            raise WorkerDied(f"{self.name} has nothing in flight")
        try:
            payload = await asyncio.wait_for(_awaitable(self._refs.popleft()), timeout)
        except RayError as exc:  # actor died (os._exit, segfault, OOM) or its method raised
            raise WorkerDied(f"{self.name}: {type(exc).__name__}") from exc
        return decode_reply(orjson.loads(payload))

    async def kill(self) -> None:
        import ray

        actor, self._actor = self._actor, None
        self._refs.clear()
        if actor is not None:
            ray.kill(actor, no_restart=True)


async def _awaitable(ref: Any) -> Any:
    return await ref


def make_ray_workers(count: int | None, imports: Sequence[str], address: str | None
                     ) -> tuple[list[WorkerHandle], int | None]:
    """Connect to (or start) Ray and describe one actor per GPU, else per CPU; no memory limit by default."""
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable("the ray backend needs Ray: pip install 'phasenas[ray]'") from exc

    if not ray.is_initialized():
        # Locally started workers get this process's import path, so test and user modules resolve there too.
        runtime_env = None if address else {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}}
        ray.init(address=address, include_dashboard=False, runtime_env=runtime_env, logging_level="warning")
        _state["started_here"] = True
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    options: dict[str, Any] = {"num_gpus": 1, "num_cpus": 1} if gpus else {"num_cpus": 1}
    n = count or gpus or int(resources.get("CPU", 1))
    actor_class = ray.remote(ScoringActor)
    log.info("scoring.ray_connected", address=address or "local", gpus=gpus, cpus=resources.get("CPU"), actors=n)
    return [RayWorker(i, actor_class, options, imports) for i in range(n)], None


def release_ray() -> None:
    """Shut Ray down if this process started it (a cluster connection made by the user is left alone)."""
    import ray

    if _state["started_here"] and ray.is_initialized():
        ray.shutdown()
        _state["started_here"] = False
