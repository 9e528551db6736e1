"""uvicorn's httptools protocol, writing a response's head and body with one system call.

uvicorn writes the status line and headers as soon as the app sends ``http.response.start``,
and the body when it sends ``http.response.body``: two sends, two packets, and on loopback two
wake-ups of the client for every response. Measured with the diagnosis stubbed (bench/
service.py's load, one worker): 25-40 us less server CPU a request with the writes joined, and
more requests a second, since the client wakes once. :class:`CoalescingTransport` holds what is
written during one turn of the event loop and writes it at the end of that turn (sooner once
``MAX_HELD`` bytes are held, so that a streamed body still meets the transport's flow control).

The protocol also has a direct door for the hot path, a plain ``POST /v1/diagnose``
(:class:`CoalescingHttpToolsProtocol`): bench/service.py's http_vs_inprocess_per_worker went
from 0.682 to 0.728 (means of three alternated runs, with and without the door).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from syncdoctor.service.fastpath import PATH as FAST_PATH
from syncdoctor.service.guard import Checkpoint

__all__ = ["CoalescingHttpToolsProtocol", "CoalescingTransport"]

DIRECT_URL = FAST_PATH.encode()
"""The request target the direct door takes: the path exactly, no query, nothing escaped."""

MAX_HELD = 64 * 1024
"""Past this many bytes held, a write goes out at once (the transport then applies back
pressure as it would have)."""


class CoalescingTransport(asyncio.Transport):
    """A transport that joins the writes of one event-loop turn into one write."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Hold ``data`` until the end of this loop turn, or write it now if enough is held."""
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))
        self._held_bytes += len(data)
        if self._held_bytes >= MAX_HELD:
            self.flush()

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        """Each piece as :meth:`write`."""
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Write what is held, in order, in one call."""
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        self._held_bytes = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        """Write what is held, then close (uvicorn closes after a last response)."""
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        """Drop what is held and abort."""
        self._held.clear()
        self._held_bytes = 0
        self._transport.abort()

    def write_eof(self) -> None:
        """Write what is held, then the end of the stream."""
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        """As the wrapped transport's."""
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        """As the wrapped transport's."""
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: object = None) -> object:
        """As the wrapped transport's."""
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        """As the wrapped transport's."""
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        """As the wrapped transport's."""
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        """As the wrapped transport's."""
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        """As the wrapped transport's."""
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        """As the wrapped transport's."""
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        """What is held, and what the wrapped transport holds."""
        return self._held_bytes + self._transport.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        """As the wrapped transport's."""
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """As the wrapped transport's."""
        self._transport.set_write_buffer_limits(high, low)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a :class:`CoalescingTransport`, with a direct door.

    The door: a ``POST /v1/diagnose`` is held while its body arrives, instead of starting an
    ASGI task at its headers, and when it is whole the app's :class:`Checkpoint` answers it
    (``Checkpoint.direct``: the Guard's checks, the fast path's diagnosis and bytes, the access
    line) and the response is written here. That skips what every ASGI request pays around the
    same work: the scope, a task, uvicorn's request cycle and header checks, FastAPI's and
    Starlette's outer layers. Whatever the door declines (a refusal, a body the fast path does
    not take, one past the body limit) is handed to uvicorn as if it had just been parsed, and
    goes the ASGI way. The door is open only when nothing else is in flight on the connection
    and its writes are not paused, so responses keep their order and flow control still holds.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Serve the connection through a coalescing wrapper of its transport."""
        super().connection_made(CoalescingTransport(transport, self.loop))
        checkpoint = getattr(getattr(self.app, "state", None), "checkpoint", None)
        self._door = checkpoint if isinstance(checkpoint, Checkpoint) else None
        self._held: bytearray | None = None  # the body of a request at the door
        self._last = False  # the server is shutting down: the held request is the last

    def on_headers_complete(self) -> None:
        """Hold a request the door may answer; start any other as uvicorn does."""
        if self._door is not None and self._at_the_door():
            self._held = bytearray()
            return
        super().on_headers_complete()

    def _at_the_door(self) -> bool:
        return (self.url == DIRECT_URL and not self.root_path
                and self.parser.get_method() == b"POST" and not self.expect_100_continue
                and not self.parser.should_upgrade() and self.limit_concurrency is None
                and (self.cycle is None or self.cycle.response_complete)
                and not self.flow.write_paused)

    def on_body(self, body: bytes) -> None:
        """Hold a held request's body (up to the limit; past it, hand the request over)."""
        held = self._held
        if held is None:
            super().on_body(body)
            return
        held += body
        assert self._door is not None
        if len(held) > self._door.max_body:
            self._hand_over(bytes(held), whole=False)

    def on_message_complete(self) -> None:
        """Answer a held request at the door, or hand it over."""
        held = self._held
        if held is None:
            super().on_message_complete()
            return
        assert self._door is not None
        body = bytes(held)
        result = self._door.direct(self.headers, body)
        if result is None:
            self._hand_over(body, whole=True)
            return
        self._held = None
        answer, request_id = result
        keep_alive = (not self._last and self.parser.get_http_version() != "1.0"
                      and self.parser.should_keep_alive())
        head = [STATUS_LINE[answer.status]]
        for name, value in self.server_state.default_headers:
            head += [name.lower(), b": ", value, b"\r\n"]
        head += [b"content-length: ", str(len(answer.body)).encode(), b"\r\n",
                 b"content-type: ", answer.media_type, b"\r\n",
                 b"x-request-id: ", request_id.encode(), b"\r\n",
                 b"cache-control: no-store\r\nx-content-type-options: nosniff\r\n"]  # as Guard
        if not keep_alive:
            head.append(b"connection: close\r\n")
        head += [b"\r\n", answer.body]
        self.transport.write(b"".join(head))
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()

    def _hand_over(self, body: bytes, *, whole: bool) -> None:
        """Start the held request as uvicorn would have at its headers, with its body so far."""
        self._held = None
        super().on_headers_complete()
        if self._last and self.cycle is not None:
            self.cycle.keep_alive = False
        if body:
            super().on_body(body)
        if whole:
            super().on_message_complete()

    def shutdown(self) -> None:
        """Close the connection once it is idle, as uvicorn does.

        A request held at the door is answered first, as uvicorn lets one in flight finish.
        """
        if self._held is not None:
            self._last = True
            return
        super().shutdown()
