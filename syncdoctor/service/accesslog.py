"""The access log: one JSON line per request, built cheaply and written in batches.

A served worker wrote each line with a ``write`` and a ``flush`` of its own: one system call
per request, which on this project's machines cost more CPU than FastAPI's routing (bench/
service.py: 80-130 us a request, with the diagnosis stubbed). :class:`BatchedLineHandler`
holds lines for at most ``flush_seconds`` (or ``max_bytes``) and writes them with one call;
``syncdoctor serve`` configures it for the ``syncdoctor.access`` logger. A worker writes what
it holds when its app shuts down (SIGTERM, SIGINT: :func:`flush_access_log`, from the app's
lifespan) and at exit (:func:`logging.shutdown`); one killed with SIGKILL loses at most
``flush_seconds`` of lines.
"""

from __future__ import annotations

import logging
import threading
import time
from json.encoder import encode_basestring_ascii as _json_text
from typing import IO

__all__ = ["BatchedLineHandler", "access_line", "flush_access_log", "log_access"]

access_logger = logging.getLogger("syncdoctor.access")


def access_line(*, method: str, path: str, status: int, ms: float, received: int, sent: int,
                request_id: str, worker: int) -> str:
    """The JSON line for one request, the bytes ``json.dumps(..., separators=(",", ":"))`` makes.

    Written out rather than through ``json.dumps``: a fifth of its cost, for a dict whose keys
    and value types are always these. ``method`` and ``path`` come from the client and are
    escaped as JSON strings (ASCII only, as ``json.dumps`` does).
    """
    return (f'{{"method":{_json_text(method)},"path":{_json_text(path)},"status":{status},'
            f'"ms":{float(ms)!r},"in":{received},"out":{sent},'
            f'"request_id":{_json_text(request_id)},"worker":{worker}}}')


def log_access(line: str) -> None:
    """Hand one line to the ``syncdoctor.access`` logger, as ``logger.info(line)`` would.

    ``Logger.info`` walks the stack to find its caller for every record; nothing here prints
    where a line was logged from, so the record is made directly. When the logger's only
    destination is a :class:`BatchedLineHandler` that writes messages as they are (what
    ``syncdoctor serve`` configures), the line goes straight to it: making a ``LogRecord``
    nobody reads was a tenth of a stubbed request's CPU.
    """
    if not access_logger.isEnabledFor(logging.INFO):
        return
    handlers = access_logger.handlers
    if (len(handlers) == 1 and not access_logger.propagate and not access_logger.filters
            and isinstance(handler := handlers[0], BatchedLineHandler)
            and handler.takes_plain_lines()):
        handler.hold_line(line)
        return
    access_logger.handle(access_logger.makeRecord(
        access_logger.name, logging.INFO, __file__, 0, line, (), None))


def flush_access_log() -> None:
    """Write every line the access logger's handlers hold (the app's shutdown calls this)."""
    for handler in access_logger.handlers:
        handler.flush()


class BatchedLineHandler(logging.Handler):
    """Formats each record as it comes; writes the lines at most ``flush_seconds`` later.

    The lines are written, in order, when ``max_bytes`` of them are held, when a timer that
    starts with the first line held runs out, on ``flush()`` and on ``close()``.
    """

    def __init__(self, stream: IO[str], *, flush_seconds: float = 0.5,
                 max_bytes: int = 64 * 1024) -> None:
        super().__init__()
        self.stream = stream
        self.flush_seconds = flush_seconds
        self.max_bytes = max_bytes
        self._held: list[str] = []
        self._held_bytes = 0
        self._timer: threading.Timer | None = None
        self._first_held = 0.0
        self._plain = True  # no formatter: Handler.format writes the message alone

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        """Set the formatter, noting whether it writes a record's message and nothing else."""
        super().setFormatter(fmt)
        probe = logging.LogRecord("probe", logging.INFO, __file__, 0, "\x00probe%s", (), None)
        try:
            self._plain = fmt is None or (type(fmt) is logging.Formatter
                                          and fmt.format(probe) == probe.msg)
        except Exception:  # a formatter that cannot format the probe: take the slow path
            self._plain = False

    def takes_plain_lines(self) -> bool:
        """Whether :meth:`hold_line` writes what a record of that message would.

        So it does when the formatter writes the message alone and no level or filter of this
        handler stops an INFO line.
        """
        return self._plain and not self.filters and self.level <= logging.INFO

    def hold_line(self, line: str) -> None:
        """Hold a line already formatted (see :meth:`takes_plain_lines`), as :meth:`emit`."""
        self.acquire()
        try:
            self._hold(line + "\n")
        finally:
            self.release()

    def emit(self, record: logging.LogRecord) -> None:
        """Hold the record's line; write the batch if it is full or old enough."""
        try:
            line = self.format(record) + "\n"
        except Exception:  # as logging.StreamHandler does: report, never raise into the app
            self.handleError(record)
            return
        # Handler.handle holds self.lock around emit: the timer's flush takes it too.
        self._hold(line)

    def _hold(self, line: str) -> None:
        if not self._held:
            self._first_held = time.monotonic()
            self._timer = threading.Timer(self.flush_seconds, self.flush)
            self._timer.daemon = True
            self._timer.start()
        self._held.append(line)
        self._held_bytes += len(line)
        if (self._held_bytes >= self.max_bytes
                or time.monotonic() - self._first_held >= self.flush_seconds):
            self._write_held()

    def flush(self) -> None:
        """Write every line held now."""
        self.acquire()
        try:
            self._write_held()
        finally:
            self.release()

    def close(self) -> None:
        """Write what is held, then stop (logging.shutdown calls this at exit)."""
        self.flush()
        super().close()

    def _write_held(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._held:
            return
        text = "".join(self._held)
        self._held.clear()
        self._held_bytes = 0
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: reported, never raised
            self.handleError(logging.LogRecord(
                access_logger.name, logging.WARNING, __file__, 0,
                f"{text.count(chr(10))} access log lines could not be written", (), None))
