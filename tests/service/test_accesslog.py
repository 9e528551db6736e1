"""The access log: lines as json.dumps writes them, held briefly, and every one written in the end."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import time

import httpx
from hypothesis import given
from hypothesis import strategies as st
from servers import serve_process

from syncdoctor.service.accesslog import BatchedLineHandler, access_line


@given(method=st.text(max_size=12), path=st.text(max_size=60),
       status=st.integers(100, 599), ms=st.floats(0, 1e6, allow_nan=False).map(lambda v: round(v, 2)),
       received=st.integers(0, 10**9), sent=st.integers(0, 10**9),
       request_id=st.text(alphabet="0123456789abcdef", min_size=16, max_size=16),
       worker=st.integers(1, 4_194_304))
def test_a_line_is_the_bytes_json_dumps_writes(method, path, status, ms, received, sent,
                                               request_id, worker) -> None:
    expected = json.dumps({"method": method, "path": path, "status": status, "ms": ms,
                           "in": received, "out": sent, "request_id": request_id,
                           "worker": worker}, separators=(",", ":"))
    assert access_line(method=method, path=path, status=status, ms=ms, received=received,
                       sent=sent, request_id=request_id, worker=worker) == expected


def _record(text: str) -> logging.LogRecord:
    return logging.LogRecord("syncdoctor.access", logging.INFO, __file__, 0, text, (), None)


def test_lines_are_held_then_written_in_order_on_flush_and_close() -> None:
    stream = io.StringIO()
    handler = BatchedLineHandler(stream, flush_seconds=60)
    for number in range(3):
        handler.handle(_record(f"line {number}"))
    assert stream.getvalue() == ""
    handler.flush()
    assert stream.getvalue() == "line 0\nline 1\nline 2\n"
    handler.handle(_record("last"))
    handler.close()
    assert stream.getvalue().endswith("line 2\nlast\n")


def test_a_held_line_is_written_once_its_time_is_up_with_no_other_request() -> None:
    stream = io.StringIO()
    handler = BatchedLineHandler(stream, flush_seconds=0.05)
    handler.handle(_record("alone"))
    deadline = time.monotonic() + 10
    while not stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.getvalue() == "alone\n"
    handler.close()


def test_a_full_batch_is_written_at_once() -> None:
    stream = io.StringIO()
    handler = BatchedLineHandler(stream, flush_seconds=60, max_bytes=20)
    handler.handle(_record("0123456789"))
    assert stream.getvalue() == ""
    handler.handle(_record("abcdefghij"))  # 22 bytes with the newlines
    assert stream.getvalue() == "0123456789\nabcdefghij\n"
    handler.close()


def test_a_broken_stream_is_reported_not_raised(capsys) -> None:
    stream = io.StringIO()
    handler = BatchedLineHandler(stream, flush_seconds=60)
    handler.handle(_record("lost"))
    stream.close()
    handler.close()  # must not raise into the server
    assert "1 access log lines could not be written" in capsys.readouterr().err


def test_every_request_of_two_workers_is_logged_by_the_end_of_a_graceful_shutdown() -> None:
    with serve_process("--workers", "2", "--store", "memory:") as (base, process, log):
        with httpx.Client(base_url=base) as client:
            for _ in range(25):
                assert client.get("/v1/packs").status_code == 200
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)
        log.seek(0)
        text = log.read().decode()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert sum(1 for line in lines if line["path"] == "/v1/packs") == 25, text[-3000:]


def _configured(handler: logging.Handler):
    """The access logger with ``handler`` alone, as `syncdoctor serve` sets it; restored after."""
    logger = logging.getLogger("syncdoctor.access")
    saved = (logger.handlers[:], logger.propagate, logger.level, logger.filters[:])
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)

    def restore() -> None:
        logger.handlers[:], logger.propagate, level, logger.filters[:] = saved
        logger.setLevel(level)

    return logger, restore


def test_a_line_logged_straight_to_the_handler_is_what_a_record_would_write() -> None:
    from syncdoctor.service.accesslog import log_access

    stream = io.StringIO()
    handler = BatchedLineHandler(stream, flush_seconds=60)
    handler.setFormatter(logging.Formatter("%(message)s"))
    assert handler.takes_plain_lines()
    _, restore = _configured(handler)
    try:
        log_access('{"a":1}')
        log_access("%s not a format")
        handler.flush()
    finally:
        restore()
        handler.close()
    assert stream.getvalue() == '{"a":1}\n%s not a format\n'


def test_a_formatter_a_filter_or_a_level_sends_the_line_through_a_record() -> None:
    from syncdoctor.service.accesslog import log_access

    stream = io.StringIO()
    handler = BatchedLineHandler(stream, flush_seconds=60)
    handler.setFormatter(logging.Formatter("access %(levelname)s %(message)s"))
    assert not handler.takes_plain_lines()
    logger, restore = _configured(handler)
    try:
        log_access("one")
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addFilter(lambda record: "secret" not in record.getMessage())
        log_access("a secret line")
        logger.filters.clear()
        handler.setLevel(logging.WARNING)
        assert not handler.takes_plain_lines()
        log_access("below the handler's level")
        handler.setLevel(logging.NOTSET)
        log_access("two")
        handler.flush()
    finally:
        restore()
        handler.close()
    assert stream.getvalue() == "access INFO one\ntwo\n"
