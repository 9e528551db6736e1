"""The service's outer wall, one ASGI layer: host, origin, API key, body limit, log, last resort.

- A ``Host`` header naming a host the service does not answer for gets 421 (DNS rebinding: a
  page on another site whose name is re-pointed at 127.0.0.1 sends that site's name). The
  names are the loopback ones, the address bound and ``serve --allow-host``; the port is not
  compared (a reverse proxy may change it).
- A browser ``Origin`` not allowed gets 403; requests without one (curl, bots) pass, and so do
  the service's own pages posting to it (an Origin naming the Host the request was sent to).
- With API keys configured, every route but ``/v1/health`` needs ``Authorization: Bearer KEY``
  or ``X-API-Key: KEY`` (401 otherwise); keys are compared in constant time and never logged.
  The web page's paths (:func:`syncdoctor.web.is_browser_path`) sign a browser in with a cookie
  of their own instead, which they check themselves.
- A body over the limit gets 413, whether or not it declared its length.
- Any exception no handler caught becomes a 500 problem that says nothing but a request id; the
  log gets the exception's type and where it was raised, never its message (it may hold data).
- A plain, valid ``POST /v1/diagnose`` is answered here, once the checks pass and the body is
  read (:mod:`syncdoctor.service.fastpath`); everything else goes on to the app. Under
  `syncdoctor serve` most such requests never reach the Guard: the protocol's direct door
  (:mod:`syncdoctor.service.protocol`) answers them through :meth:`Checkpoint.direct`, with
  the same checks, ids and log line.
- One JSON line per request on the ``syncdoctor.access`` logger: method, path, status, time,
  sizes, request id, worker pid. No query string, header or body: no fact value is ever logged.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import secrets
import time
import traceback
from collections.abc import Callable, Iterable, Mapping

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncdoctor.service.accesslog import access_line, log_access
from syncdoctor.service.config import ApiKeys, ServiceConfig
from syncdoctor.service.fastpath import PATH as FAST_PATH
from syncdoctor.service.fastpath import Answer, DiagnoseFastPath, is_plain_json
from syncdoctor.service.problems import PROBLEM_JSON, Problem, http_problem
from syncdoctor.web.paths import is_browser_path, wants_a_page
from syncdoctor.web.security import PAGE_HEADERS

__all__ = ["Checkpoint", "ErrorPage", "Guard", "arrived_at", "page_for"]

error_logger = logging.getLogger("syncdoctor.service")

OPEN_PATHS = frozenset({"/v1/health"})
"""Paths that need no API key (a load balancer's health check)."""


_CHECKED = frozenset({b"host", b"origin", b"content-length", b"x-api-key", b"authorization",
                      b"content-type", b"accept", b"hx-request"})
"""The request headers the Guard reads."""

ErrorPage = Callable[[int, str, str], bytes]
"""status, detail, path -> the HTML page a browser is shown instead of a problem+json."""

def _checked_headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The headers the checks read, in one pass (a repeated one counts as its first).

    ``headers``: as in an ASGI scope, names in lower case.
    """
    found: dict[str, str] = {}
    for name, value in headers:
        if name in _CHECKED:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


def _presented_key(headers: Mapping[str, str]) -> str | None:
    direct = headers.get("x-api-key")
    if direct is not None:
        return direct
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _same_origin(origin: str, host: str | None) -> bool:
    """Whether a browser's Origin names the host it sent the request to (our own page).

    The scheme is not compared: behind a TLS proxy the page is https while we see http.
    """
    scheme, _, rest = origin.partition("://")
    return bool(host) and scheme in ("http", "https") and rest == host


def host_name(host: str) -> str:
    """The name in a Host header, without its port: ``[::1]:8080`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        rest = host[end + 1:]
        if end < 0 or (rest and not (rest[:1] == ":" and rest[1:].isdigit())):
            return host  # not "[address]" with an optional port ("[::1].evil.com"): no name
        return host[1:end]
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() and ":" not in name else host


def log_unhandled(request_id: str, error: BaseException) -> None:
    """Log an exception no handler caught: its type and where it was raised.

    Never its message: it may hold data.
    """
    error_logger.error(json.dumps({"event": "unhandled", "request_id": request_id,
                                   "error": type(error).__name__, "where": _where(error)}))


def _internal_error(path: str, request_id: str) -> Problem:
    return http_problem(500, "internal error; the request id is in the server's log", path,
                        code="InternalError", request_id=request_id)


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    inside = [f for f in frames if "syncdoctor" in f.filename] or list(frames)
    last = inside[-1] if inside else None
    return f"{last.filename}:{last.lineno} in {last.name}" if last else "?"


class Checkpoint:
    """The Guard's checks, ids and log, shared with the protocol's direct door.

    ``direct`` answers a plain ``POST /v1/diagnose`` for :mod:`syncdoctor.service.protocol`
    before any ASGI machinery runs; the Guard answers every other request, and any request the
    direct door declines, with the same checks.
    """

    def __init__(self, config: ServiceConfig, keys: ApiKeys,
                 fast: DiagnoseFastPath | None = None) -> None:
        self.fast = fast  # answers a plain POST /v1/diagnose itself (service.fastpath)
        self.max_body = config.max_body_bytes
        self.origins = frozenset(config.allowed_origins)
        self.hosts = frozenset(host_name(h) for h in config.allowed_hosts)
        self.any_host = "*" in config.allowed_hosts
        self.keys = keys
        self.log = config.access_log
        self.pid = os.getpid()
        # Request ids: a random prefix per process, then a counter (uuid4 per request cost an
        # os.urandom call on the event loop each time); 16 hex digits, as before.
        self._id_prefix = secrets.token_hex(4)
        self._request_count = itertools.count(1)
        self.page: ErrorPage | None = None
        """Set when the web page is served: then a browser is shown its errors as a page."""

    def next_request_id(self) -> str:
        """A new request id, unique in this process."""
        return f"{self._id_prefix}{next(self._request_count):08x}"

    def direct(self, headers: Iterable[tuple[bytes, bytes]], body: bytes
               ) -> tuple[Answer, str] | None:
        """The answer and request id for a whole ``POST /v1/diagnose``, or None.

        ``headers``: its raw headers; ``body``: all of it. On None the request goes the ASGI
        way, where the Guard checks it again and refuses it, or the route answers it. An
        answer is logged as the Guard logs one.
        """
        if self.fast is None or len(body) > self.max_body:
            return None
        started = time.perf_counter()
        checked = _checked_headers(headers)
        if not is_plain_json(checked.get("content-type")):
            return None
        request_id = self.next_request_id()
        if self.refusal(checked, FAST_PATH, request_id) is not None:
            return None
        try:
            answer = self.fast.answer(body, time.monotonic(), request_id)
        except Exception as error:  # the last resort, as the Guard's
            log_unhandled(request_id, error)
            problem = _internal_error(FAST_PATH, request_id)
            answer = Answer(problem.status, PROBLEM_JSON.encode(),
                            problem.model_dump_json(exclude_none=True).encode())
        if answer is None:
            return None
        if self.log:
            log_access(access_line(
                method="POST", path=FAST_PATH, status=answer.status,
                ms=round((time.perf_counter() - started) * 1000, 2), received=len(body),
                sent=len(answer.body), request_id=request_id, worker=self.pid))
        return answer, request_id

    def refusal(self, headers: Mapping[str, str], path: str, request_id: str
                ) -> Problem | None:
        """The problem a request's checked headers earn it, or None when it may go on."""
        if not self.any_host and host_name(headers.get("host", "")) not in self.hosts:
            return http_problem(
                421, "this service does not answer for that host name (start it with "
                "--allow-host NAME to add one)", path, code="HostNotAllowed",
                request_id=request_id)
        origin = headers.get("origin")
        if origin is not None and origin not in self.origins and not _same_origin(
                origin, headers.get("host")):
            return http_problem(403, "this origin may not call the service", path,
                                code="OriginNotAllowed", request_id=request_id)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return http_problem(413, f"the request body is larger than {self.max_body} bytes",
                                path, code="BodyTooLarge", request_id=request_id)
        if self.keys.enabled and path not in OPEN_PATHS and not is_browser_path(
                path) and not self.keys.check(_presented_key(headers)):
            return http_problem(401, "a valid API key is needed (Authorization: Bearer KEY)",
                                path, code="Unauthorized", request_id=request_id)
        return None


def _hardened(headers: Iterable[tuple[bytes, bytes]], request_id: str
              ) -> list[tuple[bytes, bytes]]:
    """A response's headers, with its request id, and never cached or sniffed.

    A diagnosis or a session holds a customer's case: no proxy or browser cache may keep it
    (static files say how long they may be kept, and keep that), and no browser may read JSON
    as a page.
    """
    out = list(headers)
    names = {name.lower() for name, _ in out}
    out.append((b"x-request-id", request_id.encode()))
    if b"cache-control" not in names:
        out.append((b"cache-control", b"no-store"))
    if b"x-content-type-options" not in names:
        out.append((b"x-content-type-options", b"nosniff"))
    return out


class Guard:
    """Wraps the app: checks first, then the app, with a problem for whatever escapes it."""

    def __init__(self, app: ASGIApp, checkpoint: Checkpoint) -> None:
        self.app = app
        self.checkpoint = checkpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check, then run the app; log one line; answer a problem for whatever escapes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checkpoint = self.checkpoint
        started = time.perf_counter()
        request_id = checkpoint.next_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["arrived"] = time.monotonic()
        path = str(scope.get("path", ""))
        status = 500
        sent_bytes = 0
        received = 0
        response_started = False  # once set, a failure can only close the connection
        headers: dict[str, str] = {}

        async def send_counted(message: Message) -> None:
            nonlocal status, sent_bytes, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                message = {**message, "headers": _hardened(
                    message.get("headers", []), request_id)}
            elif message["type"] == "http.response.body":
                sent_bytes += len(message.get("body", b""))
            await send(message)

        try:
            headers = _checked_headers(scope.get("headers", ()))
            refusal = checkpoint.refusal(headers, path, request_id)
            body: list[Message] = []
            if refusal is None:
                body, received = await self._read_body(receive)
                if received > checkpoint.max_body:
                    refusal = http_problem(
                        413, f"the request body is larger than {checkpoint.max_body} bytes", path,
                        code="BodyTooLarge", request_id=request_id)
            answer = None
            if (refusal is None and checkpoint.fast is not None and path == FAST_PATH
                    and scope.get("method") == "POST" and is_plain_json(
                        headers.get("content-type")) and body[-1]["type"] == "http.request"):
                answer = checkpoint.fast.answer(b"".join(m.get("body", b"") for m in body),
                                          state["arrived"], request_id)
            if refusal is not None:
                await self._answer(send_counted, refusal, headers, refusal_headers(refusal))
            elif answer is not None:
                status, sent_bytes, response_started = answer.status, len(answer.body), True
                await send({"type": "http.response.start", "status": answer.status,
                            "headers": _hardened([(b"content-length", str(sent_bytes).encode()),
                                                  (b"content-type", answer.media_type)],
                                                 request_id)})
                await send({"type": "http.response.body", "body": answer.body})
            else:
                async def replay() -> Message:
                    return body.pop(0) if body else await receive()

                await self.app(scope, replay, send_counted)
        except Exception as error:  # the last resort: a problem that leaks nothing
            log_unhandled(request_id, error)
            if not response_started:
                await self._answer(send_counted, _internal_error(path, request_id), headers)
        finally:
            if checkpoint.log:
                log_access(access_line(
                    method=str(scope.get("method", "")), path=path, status=status,
                    ms=round((time.perf_counter() - started) * 1000, 2), received=received,
                    sent=sent_bytes, request_id=request_id, worker=checkpoint.pid))

    async def _read_body(self, receive: Receive) -> tuple[list[Message], int]:
        """The whole body, read up to just past the limit; chunked bodies are bounded too.

        A declared length over the limit was refused before anything was read.
        """
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > self.checkpoint.max_body or not message.get("more_body", False):
                break
        return messages, received

    async def _answer(self, send: Send, problem: Problem, request: Mapping[str, str],
                      headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
        page = page_for(self.checkpoint, request, problem)
        if page is not None:
            body, media_type = page, b"text/html; charset=utf-8"
            headers = [*headers, *_PAGE_HEADERS]
        else:
            body, media_type = problem.model_dump_json(exclude_none=True).encode(), PROBLEM_BYTES
        await send({"type": "http.response.start", "status": problem.status, "headers": [
            (b"content-type", media_type),
            (b"content-length", str(len(body)).encode()), *headers]})
        await send({"type": "http.response.body", "body": body})


PROBLEM_BYTES = PROBLEM_JSON.encode()
_PAGE_HEADERS = [(name.encode(), value.encode()) for name, value in PAGE_HEADERS.items()]


def page_for(checkpoint: Checkpoint, request: Mapping[str, str], problem: Problem
             ) -> bytes | None:
    """The page a browser is shown for ``problem``, or None for a client of the API.

    ``request``: its headers (lower-case names). Only with the web page served.
    """
    path = problem.instance or ""
    if checkpoint.page is None or not wants_a_page(
            path, request.get("accept"), "hx-request" in request):
        return None
    return checkpoint.page(problem.status, problem.detail, path)


def arrived_at(request: Request) -> float:
    """When the Guard let the request in (``time.monotonic()``); now, for an app without it."""
    arrived = getattr(request.state, "arrived", None)
    return arrived if isinstance(arrived, float) else time.monotonic()


def refusal_headers(problem: Problem) -> list[tuple[bytes, bytes]]:
    """Extra headers a refusal carries (how to authenticate, for a 401)."""
    return [(b"www-authenticate", b"Bearer")] if problem.status == 401 else []
