"""Each worker listens on a socket of its own (Linux): keep-alive clients are spread over the
workers, and a port already taken is refused, however its holder bound it."""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import subprocess
import time

import pytest
from servers import SYNCDOCTOR, serve_process

from syncdoctor.service.listeners import WorkerListener, balances_connections

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
        per_connection = asyncio.run(_load(address, 16, 1.0))
    assert all(len(prefixes) == 1 for prefixes in per_connection)  # one worker per connection
    assert len(set.union(*per_connection)) == 2


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
        with pickle.loads(pickle.dumps(parent)) as child:
            assert type(child) is socket.socket
            assert child.fileno() != parent.fileno()
            assert child.getsockname() == address
            assert child.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            child.listen()
            with socket.create_connection(address, timeout=5):
                accepted, _ = child.accept()  # the parent's socket never listens
                accepted.close()


@pytest.mark.parametrize("share", [False, True], ids=["plain", "reuseport"])
def test_a_taken_port_is_refused_with_a_clear_error(share: bool) -> None:
    # Sharing the port with another SO_REUSEPORT service would take half its connections.
    with socket.socket() as holder:
        if share:
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [SYNCDOCTOR, "serve", "--port", str(port), "--workers", "2", "--store", "memory:"],
            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "Traceback" not in done.stderr
