"""One collector request: GET, deadlines, retries with backoff, same-host redirects, JSON.

Deadlines: ``connect`` and ``read`` are httpx's, each capped by what is left of ``total``, which
bounds the whole response however slowly it trickles in (checked as each chunk arrives) or
however long a server stays silent. Retries (stamina: jittered exponential backoff) follow
timeouts, connection failures and 5xx answers; on 429 and 503 a ``Retry-After`` sets the wait
instead, and one longer than ``retry_after_max`` gives up at once. Another 4xx is never
retried; only the first bytes of its body are read, for the excerpt in the reason. A redirect
is followed only to the same scheme, host and port: one to another host is refused (the
credential would follow).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final
from urllib.parse import urljoin, urlsplit

import httpx
import stamina

from syncdoctor.collectors.secrets import CollectError, Redactor
from syncdoctor.kb.collector_spec import SourceSpec
from syncdoctor.types import JsonValue

__all__ = ["ECHO", "Fetched", "excerpt", "fetch_json"]

LOG = logging.getLogger("syncdoctor.collectors")
MAX_REDIRECTS: Final = 5
ECHO: Final = 80
"""Longest excerpt of a response shown in a reason (a response is never echoed whole)."""
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_RETRY_AFTER: Final = frozenset({429, 503})


@dataclass(frozen=True)
class Fetched:
    """A JSON response, where it came from and when."""

    document: JsonValue
    url: str
    at: datetime


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


class _Final(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def excerpt(data: bytes, redactor: Redactor, limit: int = ECHO) -> str:
    """The start of a response, redacted, printable, at most ``limit`` characters."""
    text = redactor.text(data[: limit * 4].decode("utf-8", "replace"))
    text = "".join(c if c.isprintable() else " " for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _timeouts(source: SourceSpec, deadline: float) -> httpx.Timeout:
    """The request's own deadlines, none reaching past the total one.

    httpx applies a read timeout to each wait for bytes; capped by what is left of the total, a
    server that sends its headers and then falls silent is stopped at the total deadline rather
    than after a whole read timeout.
    """
    left = max(0.001, deadline - time.monotonic())
    read = min(source.timeout.read, left)
    return httpx.Timeout(connect=min(source.timeout.connect, left), read=read, write=read,
                         pool=min(source.timeout.connect, left))


def _past_total(source: SourceSpec) -> _Retryable:
    return _Retryable(f"the response took longer than the total deadline "
                      f"({source.timeout.total:g} s)")


def _read(response: httpx.Response, deadline: float, source: SourceSpec) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > source.max_bytes:
            raise _Final(f"the response is larger than max_bytes ({source.max_bytes} bytes)")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise _past_total(source)
    return b"".join(chunks)


def _head(response: httpx.Response, deadline: float) -> bytes:
    """The first bytes of a refusal's body, for its excerpt: never the whole of a large one."""
    data = bytearray()
    with contextlib.suppress(httpx.TransportError):  # the excerpt is a courtesy
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= ECHO * 4 or time.monotonic() > deadline:
                break
    return bytes(data[: ECHO * 4])


def _once(
    client: httpx.Client, url: str, headers: dict[str, str], source: SourceSpec,
    redactor: Redactor,
) -> tuple[bytes, str]:
    deadline = time.monotonic() + source.timeout.total
    start = _origin(url)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            with client.stream("GET", current, headers=headers,
                               timeout=_timeouts(source, deadline)) as response:
                status = response.status_code
                phrase = f"{status} {response.reason_phrase}".strip()
                if status in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise _Final(f"{phrase} without a Location")
                    target = urljoin(current, location)
                    if _origin(target) != start:
                        raise _Final(f"redirected to another host ({_origin(target)[1] or '?'})"
                                     "; refused")
                    current = target
                    continue
                if status in _RETRY_AFTER:
                    raise _Retryable(phrase, _retry_after(response.headers.get("retry-after")))
                if status >= 500:
                    raise _Retryable(phrase)
                if status >= 400 or status < 200 or status >= 300:
                    body = excerpt(_head(response, deadline), redactor)
                    raise _Final(f"{phrase}" + (f" ({body!r})" if body else ""))
                return _read(response, deadline, source), current
        except httpx.ConnectTimeout:
            raise _Retryable(f"connect timed out ({source.timeout.connect:g} s)") from None
        except httpx.ReadTimeout:
            if time.monotonic() >= deadline - 0.01:  # the read waited for what the total left
                raise _past_total(source) from None
            raise _Retryable(f"read timed out (no bytes for {source.timeout.read:g} s)") from None
        except httpx.TimeoutException:
            raise _Retryable("timed out") from None
        except httpx.TransportError as error:
            raise _Retryable(f"connection failed ({type(error).__name__})") from None
    raise _Final(f"more than {MAX_REDIRECTS} redirects")


def _parse(body: bytes, redactor: Redactor) -> JsonValue:
    try:
        # Floats as their text: exact decimals, typed by the fact catalogue afterwards.
        document: JsonValue = json.loads(body, parse_float=str)
    except (ValueError, RecursionError) as error:
        detail = str(error) if isinstance(error, ValueError) else "nested too deep"
        raise CollectError(f"malformed JSON ({detail}); the response began "
                           f"{excerpt(body, redactor)!r}") from None
    return redactor.json(document)


def fetch_json(
    client: httpx.Client, url: str, headers: dict[str, str], source: SourceSpec,
    redactor: Redactor, collector: str,
) -> Fetched:
    """GET ``url`` and parse its JSON, retrying what is worth retrying.

    Raises:
        CollectError: with the reason (a timeout, a status after retries, malformed JSON, a
            refused redirect), redacted and truncated.
    """
    retry = source.retry
    gave_up: list[str] = []

    def backoff(error: Exception) -> bool | float:
        if not isinstance(error, _Retryable):
            return False
        if error.retry_after is not None:
            if error.retry_after > retry.retry_after_max:
                gave_up.append(f"Retry-After {error.retry_after:g} s is longer than "
                               f"retry_after_max ({retry.retry_after_max:g} s)")
                return False
            return error.retry_after
        return True

    attempts = 0
    began = time.monotonic()
    try:
        for attempt in stamina.retry_context(
            on=backoff, attempts=retry.attempts, timeout=retry.timeout,
            wait_initial=retry.wait_initial, wait_max=retry.wait_max,
            wait_jitter=retry.wait_initial,
        ):
            with attempt:
                attempts = attempt.num
                body, final_url = _once(client, url, headers, source, redactor)
                LOG.info("collector %s: GET %s: %d bytes in %.2f s", collector,
                         redactor.text(final_url), len(body), time.monotonic() - began)
                return Fetched(_parse(body, redactor), redactor.text(final_url),
                               datetime.now(UTC).replace(microsecond=0))
    except _Retryable as error:
        tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        reason = f"{error.reason} {tries}" + (f": {gave_up[0]}" if gave_up else "")
        raise CollectError(redactor.text(reason)) from None
    except _Final as error:
        raise CollectError(redactor.text(error.reason)) from None
    raise CollectError("no attempt was made")  # stamina yields at least one attempt
