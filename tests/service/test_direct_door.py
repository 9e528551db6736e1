"""The protocol's direct door: a plain POST /v1/diagnose answered before any ASGI layer runs.

On a real uvicorn server with `syncdoctor serve`'s protocol, over raw sockets: the door's bytes
are the Guard's fast path's and the route's; it keeps responses in order on a keep-alive or
pipelined connection, honours ``Connection: close`` and HTTP/1.0, and hands everything it does
not answer (a refusal, a body too large, a body the fast path does not take) to the ASGI way.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from servers import free_port, uvicorn_thread

from syncdoctor.casefile import read_case
from syncdoctor.service.app import create_app
from syncdoctor.service.config import ApiKeys, ServiceConfig
from syncdoctor.service.guard import Guard
from syncdoctor.service.run import HTTP_PROTOCOL

REPO = Path(__file__).resolve().parents[2]
LIMIT = 50_000
EXAMPLES = sorted((REPO / "examples").glob("*/*.yaml"))[::9]


def _body(path: Path) -> bytes:
    case = read_case(path)
    payload = {"facts": case.facts, "pack": case.pack, "now": case.now or "2024-05-01T12:00:00Z",
               "unknown": list(case.unknown)}
    return json.dumps(payload, default=str).encode()


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    app = create_app(ServiceConfig(store="memory:", max_body_bytes=LIMIT), keys=ApiKeys([]))
    with uvicorn_thread(app) as url:
        yield int(url.rsplit(":", 1)[1])


@pytest.fixture
def through_asgi(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths (with their query) of the requests that reached the Guard, the ASGI way."""
    seen: list[str] = []
    real = Guard.__call__

    async def counted(self: Guard, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(scope["path"] + ("?" + scope["query_string"].decode()
                                         if scope["query_string"] else ""))
        await real(self, scope, receive, send)

    monkeypatch.setattr(Guard, "__call__", counted)
    return seen


def _post(target: str, body: bytes, *, content_type: str = "application/json",
          extra: str = "", version: str = "1.1") -> bytes:
    return (f"POST {target} HTTP/{version}\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}"
            f"\r\nContent-Length: {len(body)}\r\n{extra}\r\n").encode() + body


class Reader:
    """Whole HTTP/1.1 responses (with a Content-Length) read off one socket, in order."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.data = sock, b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.data += chunk
        return bool(chunk)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.data:
            assert self._fill(), "the connection closed before a response"
        head, _, self.data = self.data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip()
                   for name, _, value in (line.partition(":") for line in lines)}
        length = int(headers["content-length"])
        while len(self.data) < length:
            assert self._fill(), "the connection closed inside a body"
        body, self.data = self.data[:length], self.data[length:]
        return int(status_line.split()[1]), headers, body

    def closed(self) -> bool:
        return self.data == b"" and not self._fill()


def _exchange(port: int, *requests: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"".join(requests))
        reader = Reader(sock)
        return [reader.response() for _ in requests]


def _comparable(response: tuple[int, dict[str, str], bytes]) -> tuple[int, dict[str, str], bytes]:
    status, headers, body = response[0], dict(response[1]), response[2]
    assert len(headers.pop("x-request-id")) == 16 and headers.pop("date")
    document = json.loads(body)
    if isinstance(document, dict):
        document.pop("request_id", None)
    return status, headers, json.dumps(document).encode()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_the_door_answers_the_guards_and_the_routes_bytes(port: int, through_asgi: list[str],
                                                          example: Path) -> None:
    body = _body(example)
    door, = _exchange(port, _post("/v1/diagnose", body))
    assert through_asgi == []
    guard, = _exchange(port, _post("/v1/diagnose?via=guard", body))
    route, = _exchange(port, _post("/v1/diagnose", body, content_type="application/json; x=r"))
    assert through_asgi == ["/v1/diagnose?via=guard", "/v1/diagnose"]
    assert door[0] == 200 and door[1]["content-type"] == "application/json"
    assert door[2] == guard[2]  # the same Diagnosis bytes
    assert _comparable(door) == _comparable(guard)
    assert _comparable(door)[2] == _comparable(route)[2]


def test_pipelined_requests_are_answered_in_order_on_one_connection(
        port: int, through_asgi: list[str]) -> None:
    bodies = [_body(path) for path in EXAMPLES[:3]]
    alone = [_exchange(port, _post("/v1/diagnose", body))[0][2] for body in bodies]
    health = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    answers = _exchange(port, _post("/v1/diagnose", bodies[0]), health,
                        _post("/v1/diagnose", bodies[1]), _post("/v1/diagnose", bodies[2]))
    assert [a[0] for a in answers] == [200, 200, 200, 200]
    assert json.loads(answers[1][2])["status"] == "ok"
    assert [answers[0][2], answers[2][2], answers[3][2]] == alone
    assert through_asgi.count("/v1/health") == 1  # a diagnose behind it may wait in line


@pytest.mark.parametrize("ending", [{"extra": "Connection: close\r\n"}, {"version": "1.0"}],
                         ids=["connection-close", "http-1.0"])
def test_a_last_request_gets_its_answer_and_then_the_connection_closes(
        port: int, through_asgi: list[str], ending: dict[str, str]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(_post("/v1/diagnose", _body(EXAMPLES[0]), **ending))
        reader = Reader(sock)
        status, headers, _ = reader.response()
        assert status == 200 and headers["connection"] == "close"
        assert reader.closed()
    assert through_asgi == []


def test_what_the_door_declines_goes_the_asgi_way(port: int, through_asgi: list[str]) -> None:
    body = _body(EXAMPLES[0])
    origin, = _exchange(port, _post("/v1/diagnose", body, extra="Origin: https://evil.test\r\n"))
    assert origin[0] == 403 and json.loads(origin[2])["code"] == "OriginNotAllowed"
    malformed, = _exchange(port, _post("/v1/diagnose", b'{"facts": '))
    assert malformed[0] == 422 and malformed[1]["content-type"] == "application/problem+json"
    chunk = b"x" * (LIMIT + 10)
    chunked = (b"POST /v1/diagnose HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
               b"\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(chunk) + chunk
               + b"\r\n0\r\n\r\n")
    too_large, = _exchange(port, chunked)
    assert too_large[0] == 413 and json.loads(too_large[2])["code"] == "BodyTooLarge"
    assert through_asgi == ["/v1/diagnose"] * 3


def test_our_errors_are_answered_at_the_door_as_the_route_answers_them(
        port: int, through_asgi: list[str]) -> None:
    body = b'{"facts": {"sync.statuss": "failed"}}'
    door, = _exchange(port, _post("/v1/diagnose", body))
    assert through_asgi == []
    route, = _exchange(port, _post("/v1/diagnose", body, content_type="application/json; x=r"))
    assert door[0] == 422 and door[1]["content-type"] == "application/problem+json"
    assert _comparable(door) == _comparable(route)
    assert b"sync.status" in door[2]  # the fact named, with a suggestion


def test_a_request_held_at_shutdown_is_answered_before_the_connection_closes() -> None:
    app = create_app(ServiceConfig(store="memory:"), keys=ApiKeys([]))
    server = uvicorn.Server(uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", access_log=False,
        lifespan="on", http=HTTP_PROTOCOL, proxy_headers=False, timeout_graceful_shutdown=20))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    request = _post("/v1/diagnose", _body(EXAMPLES[0]))
    try:
        with socket.create_connection(("127.0.0.1", server.config.port), timeout=30) as sock:
            sock.sendall(request[:-5])
            time.sleep(0.2)  # the server has the headers: the request is at the door
            server.should_exit = True
            time.sleep(0.3)
            sock.sendall(request[-5:])
            reader = Reader(sock)
            status, headers, _ = reader.response()
            assert status == 200 and headers["connection"] == "close"
            assert reader.closed()
    finally:
        server.should_exit = True
        thread.join(30)
    assert not thread.is_alive()
