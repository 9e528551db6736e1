"""``POST /v1/diagnose`` answered below FastAPI's routing, for the common well-formed request.

A chatbot's plain diagnosis is the service's hot path. Through FastAPI it paid for the router,
the dependency solver, the request object and the exception middleware: together more CPU than
the diagnosis itself (bench/service.py). This layer sits inside the Guard (so every check, limit
and log line still applies) and answers a request that is exactly what the route expects: a JSON
body that validates as a :class:`DiagnoseRequest`, not asking to collect. It answers the same
bytes the route would (the same models, the same problem for our errors). Anything else (a
malformed or invalid body, another content type, ``collect: true``) goes on, body and all, to
the FastAPI route, whose answers, errors included, stay the reference.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncdoctor.errors import SyncdoctorError
from syncdoctor.service.problems import error_problem, problem_response
from syncdoctor.tools.contract import diagnose_request
from syncdoctor.tools.requests import DiagnoseRequest

if TYPE_CHECKING:
    from syncdoctor.service.app import Engine

__all__ = ["DiagnoseFastPath"]

PATH = "/v1/diagnose"


def _is_json(scope: Scope) -> bool:
    """Whether the request says its body is plain JSON (anything unusual goes to FastAPI)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media, _, rest = value.partition(b";")
            return media.strip().lower() == b"application/json" and (
                not rest.strip() or rest.strip().lower() in (b"charset=utf-8", b"charset=utf8"))
    return False


class DiagnoseFastPath:
    """Answers a plain, valid diagnose request itself; passes everything else on."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a plain diagnose request, or hand the request (body replayed) to the app."""
        if (scope["type"] != "http" or scope.get("path") != PATH
                or scope.get("method") != "POST" or not _is_json(scope)):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:  # the Guard has read and bounded the body already: this is a replay
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        request = _valid_request(b"".join(chunks)) if messages[-1]["type"] == "http.request" \
            else None
        if request is None or request.collect:
            async def replay() -> Message:
                return messages.pop(0) if messages else await receive()

            await self.app(scope, replay, send)
            return
        state = scope.get("state", {})
        arrived = state.get("arrived")
        try:
            result = self.engine.run_here(
                lambda: diagnose_request(request, self.engine.kb, False),
                arrived if isinstance(arrived, float) else time.monotonic())
        except SyncdoctorError as error:
            problem = error_problem(error, PATH)
            request_id = state.get("request_id")
            problem.request_id = request_id if isinstance(request_id, str) else None
            await problem_response(problem)(scope, receive, send)
            return
        body = result.model_dump_json().encode()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def _valid_request(body: bytes) -> DiagnoseRequest | None:
    """The body as a request, or None: FastAPI's route then answers it, errors included.

    Parsed by pydantic's own JSON reader, without building Python objects for ``json.loads``
    first. The route reads ``json.loads`` and then validates in Python mode; for this model's
    fields (strings, booleans, integers, JSON values) the two accept the same documents with
    the same values, and where pydantic's reader is stricter (``NaN``), the route decides.
    """
    try:
        return DiagnoseRequest.model_validate_json(body)
    except (ValueError, ValidationError, RecursionError):
        return None
