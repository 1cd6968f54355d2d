"""The ``local`` backend: one spawned worker process per CUDA device (pinned), or CPU workers sharing the cores.

Spawn, not fork: a forked child inherits CUDA state and the parent's threads, which breaks both. Parent and
child talk over a ``multiprocessing`` pipe carrying orjson bytes; the parent reads it from the event loop
(``add_reader``), so a dead child shows up as end-of-file at once. Children ignore SIGINT (the parent shuts them
down) and, on Linux, are killed by the kernel if the parent dies, so nothing is orphaned.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import orjson
import structlog

from phasenas.scoring.pool import WorkerDied
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

STARTUP_TIMEOUT = 180.0  # importing torch in a fresh interpreter on a loaded machine can take a while
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class WorkerSlot:
    """Where one worker runs: its torch device and how many CPU threads it may use."""

    device: str
    threads: int


def plan_slots(workers: int | None = None) -> list[WorkerSlot]:
    """One slot per CUDA device, else ``workers`` (default: one per core) CPU slots splitting the cores."""
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    gpus = torch.cuda.device_count()
    if gpus:
        n = workers or gpus
        return [WorkerSlot(f"cuda:{i % gpus}", max(1, cores // n)) for i in range(n)]
    n = workers or cores
    return [WorkerSlot("cpu", max(1, cores // n)) for _ in range(n)]


class LocalWorker:
    """A spawned worker process behind the ``WorkerHandle`` interface."""

    def __init__(self, index: int, slot: WorkerSlot, imports: Sequence[str] = ()) -> None:
        self.name = f"local-{index}-{slot.device}"
        self.slot = slot
        self._imports = tuple(imports)
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        await self.kill()
        ctx = multiprocessing.get_context("spawn")
        parent_end, child_end = ctx.Pipe(duplex=True)
        process = ctx.Process(target=worker_main, args=(child_end, self.slot, self._imports), daemon=True,
                              name=f"phasenas-{self.name}")
        process.start()
        child_end.close()  # so the parent sees end-of-file when the child dies
        self._process, self._conn, self._inbox = process, parent_end, asyncio.Queue()
        asyncio.get_running_loop().add_reader(parent_end.fileno(), self._on_readable)
        try:
            ready = await asyncio.wait_for(self._next(), STARTUP_TIMEOUT)
        except TimeoutError:
            await self.kill()
            raise WorkerDied(f"{self.name} did not start within {STARTUP_TIMEOUT:g} s") from None
        log.debug("scoring.worker_started", worker=self.name, pid=ready.get("pid"))

    def send(self, requests: Sequence[ScoreRequest]) -> None:
        if self._conn is None:
            raise WorkerDied(f"{self.name} is not running")
        try:
            self._conn.send_bytes(encode({"requests": list(requests)}))
        except (BrokenPipeError, ConnectionResetError, OSError) as exc:
            self._inbox.put_nowait(None)
            log.debug("scoring.worker_send_failed", worker=self.name, error=str(exc))

    async def receive(self, timeout: float) -> ScoreReply:
        return decode_reply(await asyncio.wait_for(self._next(), timeout))

    async def _next(self) -> dict[str, Any]:
        message = await self._inbox.get()
        if message is None:
            code = self._process.exitcode if self._process is not None else None
            raise WorkerDied(f"{self.name} exited (exit code {code})")
        return message

    def _on_readable(self) -> None:
        assert self._conn is not None
        try:
            while self._conn.poll():
                self._inbox.put_nowait(orjson.loads(self._conn.recv_bytes()))
        except (EOFError, OSError):
            self._detach()
            self._inbox.put_nowait(None)

    def _detach(self) -> None:
        if self._conn is not None:
            asyncio.get_running_loop().remove_reader(self._conn.fileno())
            self._conn.close()
            self._conn = None

    async def kill(self) -> None:
        self._detach()
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            await asyncio.to_thread(process.join)
            process.close()


def worker_main(conn: Connection, slot: WorkerSlot, imports: tuple[str, ...]) -> None:
    """Entry point of a worker process: serve batches until the parent closes the pipe or is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if slot.device.startswith("cuda"):
        import torch

        torch.cuda.set_device(torch.device(slot.device))
    prepare_worker(slot.threads, imports)
    conn.send_bytes(encode({"ready": True, "pid": os.getpid()}))
    while True:
        try:
            message = orjson.loads(conn.recv_bytes())
        except EOFError:
            return
        for data in message["requests"]:
            conn.send_bytes(encode(run_request(decode_request(data), slot.device)))


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no orphans even if the parent is killed -9)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        parent = multiprocessing.parent_process()
        if parent is not None and os.getppid() != parent.pid:  # the parent died before prctl took effect
            os._exit(0)
