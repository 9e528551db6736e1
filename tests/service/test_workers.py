"""Several worker processes over one SQLite store: sessions survive workers, and a worker killed
in the middle of a request leaves the session intact and the client a clean error."""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import httpx
from servers import serve_process

from support import NOW, reply


def _workers(log) -> dict[str, set[int]]:
    log.seek(0)
    seen: dict[str, set[int]] = {}
    for line in log.read().decode().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            seen.setdefault(f"{entry['method']} {entry['path']}", set()).add(entry["worker"])
    return seen


def _connections_to_two_workers(base: str) -> list[tuple[int, httpx.Client]]:
    """Keep-alive clients until two of them are held by different workers."""
    opened: list[tuple[int, httpx.Client]] = []
    for _ in range(40):
        client = httpx.Client(base_url=base, limits=httpx.Limits(max_connections=1))
        opened.append((client.get("/v1/health").json()["worker"], client))
        workers = {pid for pid, _ in opened}
        if len(workers) == 2:
            break
    keep = {pid: client for pid, client in opened}
    for _, client in opened:
        if client not in keep.values():
            client.close()
    assert len(keep) == 2, "the kernel gave every connection to one worker"
    return sorted(keep.items())


def test_two_workers_keep_every_answer_of_an_interview(tmp_path) -> None:
    store = f"sqlite:///{tmp_path / 'sessions.db'}"
    with serve_process("--workers", "2", "--store", store) as (base, _process, log):
        clients = _connections_to_two_workers(base)
        session = clients[0][1].post("/v1/sessions", json={
            "pack": "impac", "facts": {"sync.status": "failed"}, "now": NOW}).json()
        given = []
        for turn in range(12):  # worker A, then B, then A...: each reads what the other wrote
            question = session["next_question"]
            if question is None:
                break
            _, client = clients[(turn + 1) % 2]
            response = client.post(f"/v1/sessions/{session['id']}/answers", json=reply(question))
            assert response.status_code == 200, response.text
            session = response.json()
            given.append(question["fact"])
        again = clients[0][1].get(f"/v1/sessions/{session['id']}").json()
        assert [a["fact"] for a in again["answers"]] == given and len(given) >= 5
        answered = f"POST /v1/sessions/{session['id']}/answers"
        deadline = time.monotonic() + 10  # a worker writes its log lines in batches
        while _workers(log).get(answered) != {pid for pid, _ in clients} \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _workers(log)[answered] == {pid for pid, _ in clients}
        for _, client in clients:
            client.close()


def _receive(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)  # the socket's timeout bounds the wait
    assert chunk, "the server closed the connection mid-response"  # b"" would loop forever
    return chunk


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += _receive(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += _receive(sock)
    return body


def test_a_worker_killed_mid_request_leaves_the_session_intact(tmp_path) -> None:
    store = f"sqlite:///{tmp_path / 'sessions.db'}"
    with serve_process("--workers", "2", "--store", store) as (base, _process, _log):
        session = httpx.post(f"{base}/v1/sessions", json={
            "pack": "impac", "facts": {"sync.status": "failed"}, "now": NOW}).json()
        for _ in range(2):
            question = session["next_question"]
            session = httpx.post(f"{base}/v1/sessions/{session['id']}/answers", json=reply(question)).json()
        before = session["answers"]
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            # One keep-alive connection: the worker that says its pid holds the next request.
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            worker = json.loads(_read_response(sock))["worker"]
            question = session["next_question"]
            body = json.dumps(reply(question)).encode()
            sock.sendall(
                f"POST /v1/sessions/{session['id']}/answers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body[: len(body) // 2])
            time.sleep(0.2)
            os.kill(worker, signal.SIGKILL)
            try:
                answered = sock.recv(65536)
            except ConnectionResetError:
                answered = b""
            assert answered == b"", "the client gets a closed connection, not half a response"
        deadline = time.monotonic() + 30
        while True:  # the other worker answers at once; a new one replaces the killed one
            try:
                after = httpx.get(f"{base}/v1/sessions/{session['id']}", timeout=5).json()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert after["answers"] == before
        response = httpx.post(f"{base}/v1/sessions/{session['id']}/answers",
                              json=reply(question))
        assert response.status_code == 200
        assert len(response.json()["answers"]) == len(before) + 1
