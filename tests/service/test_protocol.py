"""uvicorn's protocol with one write per response: the wrapper's rules, then real connections."""

from __future__ import annotations

import asyncio
import socket

from servers import uvicorn_thread

from syncdoctor.service.protocol import MAX_HELD, CoalescingTransport


class _Recorded(asyncio.Transport):
    """Records what reaches the socket's transport (the wrapper's rules, without a socket)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.events.append("close")
        self.closing = True

    def abort(self) -> None:
        self.events.append("abort")
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0


def _wrapped() -> tuple[asyncio.AbstractEventLoop, _Recorded, CoalescingTransport]:
    loop = asyncio.new_event_loop()
    inner = _Recorded()
    return loop, inner, CoalescingTransport(inner, loop)


def _turn(loop: asyncio.AbstractEventLoop) -> None:
    loop.run_until_complete(asyncio.sleep(0))


def test_the_writes_of_one_loop_turn_go_out_as_one_write_in_order() -> None:
    loop, inner, transport = _wrapped()
    try:
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(memoryview(b"body"))
        assert inner.writes == [] and transport.get_write_buffer_size() == 23
        _turn(loop)
        assert inner.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
        transport.write(b"next")
        _turn(loop)
        assert inner.writes[1:] == [b"next"]
    finally:
        loop.close()


def test_a_large_body_goes_out_at_once_so_flow_control_still_applies() -> None:
    loop, inner, transport = _wrapped()
    try:
        transport.write(b"h" * 10)
        transport.write(b"b" * MAX_HELD)
        assert inner.writes == [b"h" * 10 + b"b" * MAX_HELD]
        _turn(loop)
        assert len(inner.writes) == 1
    finally:
        loop.close()


def test_close_writes_what_is_held_first_and_abort_drops_it() -> None:
    loop, inner, transport = _wrapped()
    try:
        transport.write(b"last response")
        transport.close()
        assert inner.writes == [b"last response"] and inner.events == ["close"]
        _turn(loop)
        assert inner.writes == [b"last response"]  # nothing written twice

        loop2, inner2, transport2 = _wrapped()
        transport2.write(b"dropped")
        transport2.abort()
        _turn(loop2)
        loop2.close()
        assert inner2.writes == [] and inner2.events == ["abort"]
    finally:
        loop.close()


async def _streamed(scope, receive, send) -> None:
    """An app whose body comes in many pieces, larger in all than MAX_HELD."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    for number in range(40):
        await send({"type": "http.response.body", "body": bytes([65 + number % 26]) * 4096,
                    "more_body": True})
    await send({"type": "http.response.body", "body": b"end"})


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_pipelined_streamed_and_closing_responses_arrive_whole() -> None:
    with uvicorn_thread(_streamed) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                         b"GET /b HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = _read_all(sock)  # the server closes after the second response
    expected = b"".join(bytes([65 + n % 26]) * 4096 for n in range(40)) + b"end"
    responses = data.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert len(responses) == 2
    for response in responses:
        head, _, chunked = response.partition(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head
        body, rest = b"", chunked
        while True:
            size, _, rest = rest.partition(b"\r\n")
            if int(size, 16) == 0:
                break
            body, rest = body + rest[:int(size, 16)], rest[int(size, 16) + 2:]
        assert body == expected
