"""One collector request against a real loopback server: deadlines, retries, redirects, JSON."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syncdoctor.collectors.fetch import ECHO, fetch_json
from syncdoctor.collectors.secrets import CollectError, Redactor
from syncdoctor.kb.collector_spec import SourceSpec

FAST = {"connect": 1, "read": 0.3, "total": 1}
QUICK_RETRY = {"attempts": 3, "wait_initial": 0.01, "wait_max": 0.02, "retry_after_max": 2,
               "timeout": 10}


def _source(**changes: object) -> SourceSpec:
    data: dict[str, object] = {"base_url": "http://127.0.0.1", "timeout": FAST,
                               "retry": QUICK_RETRY, **changes}
    return SourceSpec.model_validate(data)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, trust_env=False,
                      timeout=httpx.Timeout(connect=1, read=0.3, write=0.3, pool=1)) as opened:
        yield opened


def _fetch(client: httpx.Client, url: str, source: SourceSpec | None = None):
    return fetch_json(client, url, {}, source or _source(), Redactor(), "test.collector")


def test_a_json_answer_is_parsed_with_exact_decimals(hub: HTTPServer, client) -> None:
    hub.expect_request("/ok").respond_with_data('{"amount": 12.30, "n": 3}',
                                               content_type="application/json")
    fetched = _fetch(client, hub.url_for("/ok"))
    assert fetched.document == {"amount": "12.30", "n": 3}
    assert fetched.url == hub.url_for("/ok")


def test_a_server_that_does_not_answer_in_time_is_a_timeout_after_each_attempt(
    hub: HTTPServer, client
) -> None:
    arrived: list[float] = []

    def slow(_: Request) -> Response:
        arrived.append(time.monotonic())  # the log is written only once the handler returns
        time.sleep(0.6)
        return Response("{}", content_type="application/json")

    hub.expect_request("/slow").respond_with_handler(slow)
    with pytest.raises(CollectError) as caught:
        _fetch(client, hub.url_for("/slow"), _source(retry={**QUICK_RETRY, "attempts": 2}))
    assert caught.value.reason == "read timed out (no bytes for 0.3 s) after 2 attempts"
    assert len(arrived) == 2


def test_a_500_is_retried_then_reported(hub: HTTPServer, client) -> None:
    hub.expect_request("/boom").respond_with_data("oops", status=500)
    with pytest.raises(CollectError) as caught:
        _fetch(client, hub.url_for("/boom"))
    assert caught.value.reason == "500 INTERNAL SERVER ERROR after 3 attempts"
    assert len(hub.log) == 3


def test_a_500_then_an_answer_succeeds(hub: HTTPServer, client) -> None:
    hub.expect_ordered_request("/flaky").respond_with_data("oops", status=500)
    hub.expect_ordered_request("/flaky").respond_with_json({"ok": True})
    assert _fetch(client, hub.url_for("/flaky")).document == {"ok": True}
    assert len(hub.log) == 2


def test_429_waits_for_its_retry_after(hub: HTTPServer, client) -> None:
    hub.expect_ordered_request("/busy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"})
    hub.expect_ordered_request("/busy").respond_with_json({"ok": True})
    began = time.monotonic()
    assert _fetch(client, hub.url_for("/busy")).document == {"ok": True}
    # The backoff alone would have been 0.01-0.03 s: the wait is the server's second.
    assert time.monotonic() - began >= 0.95
    assert len(hub.log) == 2


def test_503_with_a_retry_after_too_long_gives_up_at_once(hub: HTTPServer, client) -> None:
    hub.expect_request("/later").respond_with_data(
        "maintenance", status=503, headers={"Retry-After": "3600"})
    with pytest.raises(CollectError) as caught:
        _fetch(client, hub.url_for("/later"))
    assert caught.value.reason == (
        "503 SERVICE UNAVAILABLE after 1 attempt: Retry-After 3600 s is longer than "
        "retry_after_max (2 s)")
    assert len(hub.log) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_another_4xx_is_never_retried(hub: HTTPServer, client, status: int) -> None:
    hub.expect_request("/no").respond_with_data("nope", status=status)
    with pytest.raises(CollectError) as caught:
        _fetch(client, hub.url_for("/no"))
    assert caught.value.reason.startswith(f"{status} ")
    assert "'nope'" in caught.value.reason
    assert len(hub.log) == 1


def test_malformed_json_is_reported_with_a_truncated_excerpt(hub: HTTPServer, client) -> None:
    hub.expect_request("/html").respond_with_data("<html>" + "x" * 10_000,
                                                 content_type="application/json")
    with pytest.raises(CollectError) as caught:
        _fetch(client, hub.url_for("/html"))
    reason = caught.value.reason
    assert reason.startswith("malformed JSON (Expecting value: line 1 column 1 (char 0)); "
                             "the response began '<html>xxx")
    assert len(reason) < 200 and "x" * (ECHO + 1) not in reason
    assert len(hub.log) == 1  # the same bytes would come back: never retried


def test_a_slow_trickle_past_the_total_deadline_is_stopped(hub: HTTPServer, client) -> None:
    def trickle(_: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield b'{"padding": "'
            for _ in range(40):  # 40 x 0.05 s: each byte inside the read deadline
                time.sleep(0.05)
                yield b"x"
            yield b'"}'

        return Response(body(), content_type="application/json")

    hub.expect_request("/trickle").respond_with_handler(trickle)
    source = _source(timeout={"connect": 1, "read": 0.5, "total": 0.3},
                     retry={**QUICK_RETRY, "attempts": 1})
    began = time.monotonic()
    with pytest.raises(CollectError) as caught:
        _fetch(client, hub.url_for("/trickle"), source)
    assert caught.value.reason == (
        "the response took longer than the total deadline (0.3 s) after 1 attempt")
    assert time.monotonic() - began < 1.5  # stopped, not read to its 2 s end


def test_a_body_over_max_bytes_is_refused(hub: HTTPServer, client) -> None:
    hub.expect_request("/big").respond_with_data('"' + "x" * 5000 + '"',
                                                content_type="application/json")
    with pytest.raises(CollectError, match=r"larger than max_bytes \(1000 bytes\)"):
        _fetch(client, hub.url_for("/big"), _source(max_bytes=1000))


def test_a_redirect_to_another_host_is_refused(hub: HTTPServer, client) -> None:
    other = HTTPServer(host="localhost", port=0)
    other.start()
    try:
        other.expect_request("/steal").respond_with_json({"stolen": True})
        hub.expect_request("/moved").respond_with_data(
            "", status=302, headers={"Location": other.url_for("/steal")})
        with pytest.raises(CollectError) as caught:
            _fetch(client, hub.url_for("/moved"))
        assert caught.value.reason == "redirected to another host (localhost); refused"
        assert other.log == []  # the credential never went there
        assert len(hub.log) == 1
    finally:
        other.stop()


def test_a_redirect_on_the_same_host_is_followed(hub: HTTPServer, client) -> None:
    hub.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    hub.expect_request("/new").respond_with_json({"here": 1})
    fetched = _fetch(client, hub.url_for("/old"))
    assert fetched.document == {"here": 1}
    assert fetched.url == hub.url_for("/new")


def test_a_closed_port_is_a_connection_failure(client) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(CollectError) as caught:
        _fetch(client, f"http://127.0.0.1:{port}/x")
    assert caught.value.reason == "connection failed (ConnectError) after 3 attempts"


def _slow_body(first: bytes, pieces: int, pause: float) -> Iterator[bytes]:
    yield first
    for _ in range(pieces):
        time.sleep(pause)
        yield b"x"


def test_a_server_silent_after_its_headers_is_stopped_at_the_total_deadline(
    hub: HTTPServer, client
) -> None:
    hub.expect_request("/silent").respond_with_handler(
        lambda _: Response(_slow_body(b'{"a": "', 1, 3.0), content_type="application/json"))
    # The read timeout alone (5 s) would wait for the next bytes well past the total (0.4 s).
    source = _source(timeout={"connect": 1, "read": 5, "total": 0.4},
                     retry={**QUICK_RETRY, "attempts": 1})
    began = time.monotonic()
    with pytest.raises(CollectError) as caught:
        _fetch(client, hub.url_for("/silent"), source)
    assert caught.value.reason == (
        "the response took longer than the total deadline (0.4 s) after 1 attempt")
    assert time.monotonic() - began < 2.0


def test_a_refusals_body_is_not_read_past_its_excerpt(hub: HTTPServer, client) -> None:
    # 40 x 0.05 s: read whole, the body would take 2 s; its excerpt needs only the first bytes.
    hub.expect_request("/refused").respond_with_handler(
        lambda _: Response(_slow_body(b"n" * (ECHO * 4), 40, 0.05), status=403))
    began = time.monotonic()
    with pytest.raises(CollectError) as caught:
        _fetch(client, hub.url_for("/refused"), _source(timeout={**FAST, "read": 1}))
    assert caught.value.reason.startswith("403 FORBIDDEN ('nnn")
    assert time.monotonic() - began < 1.0
