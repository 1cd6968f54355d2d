"""Fixtures for the provider tests: the fault server on a free port, a test key, a plain sync server."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiohttp import web

from phasenas.llm import close_shared_session
from tests.llm.fault_server import TEST_KEY, FaultServer, completion_body


@pytest.fixture(autouse=True)
async def _close_pooled_session() -> AsyncIterator[None]:
    """Close the test loop's pooled HTTP session, which would otherwise live (unclosed) until the interpreter exits."""
    yield
    await close_shared_session()


@pytest.fixture
async def fault_server() -> AsyncIterator[FaultServer]:
    server = FaultServer()
    app = web.Application()
    app.router.add_post("/{scenario}/v1/chat/completions", server.handle)
    app.router.add_post("/{scenario}/v1/messages", server.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.base = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await close_shared_session()  # before the server stops, so its shutdown need not wait on keep-alives
        await runner.cleanup()


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PHASENAS_TEST_KEY", TEST_KEY)
    return TEST_KEY


class _OkHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        self.rfile.read(int(self.headers["Content-Length"]))
        body = completion_body()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        """Silence per-request lines on stderr."""


@pytest.fixture
def fault_server_sync() -> Iterator[str]:
    """A plain threaded server answering 'ok', for the sync `invoke` path (which runs its own event loop)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OkHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
