"""uvicorn's httptools protocol, writing a response's head and body with one system call.

uvicorn writes the status line and headers as soon as the app sends ``http.response.start``,
and the body when it sends ``http.response.body``: two sends, two packets, and on loopback two
wake-ups of the client for every response. Measured with the diagnosis stubbed (bench/
service.py's load, one worker): 25-40 us less server CPU a request with the writes joined, and
more requests a second, since the client wakes once. :class:`CoalescingTransport` holds what is
written during one turn of the event loop and writes it at the end of that turn (sooner once
``MAX_HELD`` bytes are held, so that a streamed body still meets the transport's flow control).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["CoalescingHttpToolsProtocol", "CoalescingTransport"]

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
    """uvicorn's httptools protocol over a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Serve the connection through a coalescing wrapper of its transport."""
        super().connection_made(CoalescingTransport(transport, self.loop))
