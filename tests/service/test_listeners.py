"""Each worker listens on a socket of its own (Linux): keep-alive clients are spread over the
workers, and a port already taken is refused, however its holder bound it."""

from __future__ import annotations

import asyncio
import io
import json
import os
import pickle
import signal
import socket
import subprocess
import tempfile
import time
from multiprocessing.reduction import ForkingPickler

import pytest
from servers import SYNCDOCTOR, serve_process
from uvicorn import config as uvicorn_config

from syncdoctor.service.listeners import (
    STARTUP_FAILURE,
    WorkerListener,
    balances_connections,
    worker_listener,
)

from support import NOW, REPO

pytestmark = pytest.mark.skipif(not balances_connections(),
                                reason="SO_REUSEPORT spreads connections on Linux only")


DIAGNOSE = json.dumps({"pack": "impac", "now": NOW, "facts": {"sync.status": "failed"}}).encode()


async def _busy_client(address: tuple[str, int], seconds: float) -> set[str]:
    """Diagnoses on one keep-alive connection for ``seconds`` (one at least): the workers that
    answered (a request id starts with its worker's own prefix)."""
    reader, writer = await asyncio.open_connection(*address)
    prefixes: set[str] = set()
    until = time.monotonic() + seconds
    try:
        while not prefixes or time.monotonic() < until:  # one request at least
            writer.write(b"POST /v1/diagnose HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: "
                         + str(len(DIAGNOSE)).encode() + b"\r\n\r\n" + DIAGNOSE)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            fields = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if line)
            await reader.readexactly(int(fields["content-length"]))
            assert head.startswith("http/1.1 200"), head
            prefixes.add(fields["x-request-id"][:8])
    finally:
        writer.close()
    return prefixes


async def _load(address: tuple[str, int], clients: int, seconds: float) -> list[set[str]]:
    return list(await asyncio.gather(*(_busy_client(address, seconds) for _ in range(clients))))


def test_keep_alive_clients_are_spread_over_both_workers() -> None:
    # Sixteen keep-alive clients diagnosing at once, as bench/service.py's: through one shared
    # socket, the worker that woke first often accepted all of them, and kept them. By the
    # kernel's hash, all sixteen on one worker has odds of 2 in 65,536.
    with serve_process("--workers", "2", "--store", "memory:") as (base, _process, _log):
        address = ("127.0.0.1", int(base.rpartition(":")[2]))
        _until_both_listen(address)
        assert _listening(address[1]) == 2  # one socket per worker; the parent's never listens
        per_connection = asyncio.run(_load(address, 16, 1.0))
    assert len(set.union(*per_connection)) == 2


def _listening(port: int) -> int:
    """How many sockets listen on ``port`` (Linux's /proc/net/tcp: state 0A is LISTEN)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                count += fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port
    return count


def _until_both_listen(address: tuple[str, int]) -> None:
    """Connect, one connection at a time, until two workers have answered (each warms up
    before it listens)."""
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while len(seen) < 2:
        assert time.monotonic() < deadline, "the second worker never answered"
        seen |= asyncio.run(_load(address, 1, 0.0))[0]
        time.sleep(0.05)


def test_a_worker_listener_pickles_as_a_new_socket_on_the_same_address() -> None:
    with WorkerListener("127.0.0.1", 0) as parent:
        address = parent.getsockname()
        sent = io.BytesIO()
        ForkingPickler(sent).dump(parent)  # as multiprocessing sends a worker its arguments
        with pickle.loads(sent.getvalue()) as child:
            assert type(child) is socket.socket
            assert child.fileno() != parent.fileno()
            assert child.getsockname() == address
            assert child.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            child.listen()
            with socket.create_connection(address, timeout=5):
                accepted, _ = child.accept()  # the parent's socket never listens
                accepted.close()


def test_a_worker_that_cannot_bind_exits_with_the_startup_failure_status(capsys) -> None:
    # uvicorn's supervisor stops, rather than restarts, a worker that exits with this status.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        address = holder.getsockname()
        with pytest.raises(SystemExit) as stopped:
            worker_listener(socket.AF_INET, address)
    assert stopped.value.code == STARTUP_FAILURE == uvicorn_config.STARTUP_FAILURE
    assert f"a worker cannot listen on 127.0.0.1:{address[1]}: Address already in use" in (
        capsys.readouterr().err)


def test_a_second_service_cannot_join_the_port_while_the_first_starts() -> None:
    # The first service's parent holds the port before any worker listens. Had it set
    # SO_REUSEADDR too, the second's probe would bind beside it, and SO_REUSEPORT would then
    # let the second service take half the connections (seen failing that way, 3 runs of 3).
    with serve_process("--workers", "2", "--store", "memory:", health=False) as (
            base, first, _log):
        port = int(base.rpartition(":")[2])
        deadline = time.monotonic() + 60
        while _free(port):  # until the first's parent has bound it (its workers take longer)
            assert first.poll() is None and time.monotonic() < deadline, "it never bound"
            time.sleep(0.01)
        status, errors = _serve_expecting_refusal(port)
    assert status == 2
    assert "Address already in use" in errors


def _serve_expecting_refusal(port: int) -> tuple[int | None, str]:
    """``serve --workers 2`` on ``port``: its exit status and stderr (None if it ran on)."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [SYNCDOCTOR, "serve", "--port", str(port), "--workers", "2", "--store", "memory:"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        try:
            status: int | None = process.wait(30)
        except subprocess.TimeoutExpired:  # it joined the port: stop it and its workers
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
            status = None
        log.seek(0)
        return status, log.read().decode()


def _free(port: int) -> bool:
    """Whether no socket at all is bound to ``port`` (a bind with no reuse option fails)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.parametrize("share", [False, True], ids=["plain", "reuseport"])
def test_a_taken_port_is_refused_with_a_clear_error(share: bool) -> None:
    # Sharing the port with another SO_REUSEPORT service would take half its connections.
    with socket.socket() as holder:
        if share:
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        status, errors = _serve_expecting_refusal(port)
    assert status == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in errors
    assert "Traceback" not in errors
