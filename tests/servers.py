"""Real servers for the tests: uvicorn in a thread, ``syncdoctor serve`` and ``mcp`` as processes.

Every server binds 127.0.0.1 on a free port and is stopped (by its own handle or pid) at the end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import uvicorn

from syncdoctor.service.run import HTTP_PROTOCOL

from support import REPO

SYNCDOCTOR = str(Path(sys.executable).parent / "syncdoctor")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def uvicorn_thread(app: object, port: int | None = None, http: str = HTTP_PROTOCOL
                   ) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a thread; yields its base URL.

    ``http``: uvicorn's protocol; by default the one ``syncdoctor serve`` runs.
    """
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",  # type: ignore[arg-type]
                            access_log=False, lifespan="on", http=http,
                            proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def wait_healthy(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited early"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError("the server did not become healthy")


@contextlib.contextmanager
def serve_process(*args: str, env: dict[str, str] | None = None,
                  health: bool = True) -> Iterator[tuple[str, subprocess.Popen[bytes], IO[bytes]]]:
    """``syncdoctor serve ARGS`` on a free port; yields (base URL, process, its stderr log)."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115  # a pipe nobody reads would stall the server
    process = subprocess.Popen(
        [SYNCDOCTOR, "serve", "--port", str(port), *args], cwd=REPO,
        env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        if health:
            wait_healthy(base, process)
        yield base, process, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        log.close()
