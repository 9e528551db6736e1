"""``POST /v1/diagnose`` answered by the Guard itself, for the common well-formed request.

A chatbot's plain diagnosis is the service's hot path. Through FastAPI it paid for the router,
the dependency solver, the request object and the exception middleware: together more CPU than
the diagnosis itself (bench/service.py). As an ASGI layer of its own inside the Guard it still
paid for a second look at the headers, a replay of the body and a wrapper around every message
sent (15-30 us a request with the diagnosis stubbed); so the Guard, once its checks have passed
and it has read the body, calls :meth:`DiagnoseFastPath.answer` as a plain function. Every
check, limit and log line still applies. It answers a request that is exactly what the route
expects: a JSON body that validates as a :class:`DiagnoseRequest`, not asking to collect, with
the same bytes the route would (the same models, the same problem for our errors). Anything else
(a malformed or invalid body, another content type, ``collect: true``) goes on, body and all, to
the FastAPI route, whose answers, errors included, stay the reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from pydantic import ValidationError

from syncdoctor.errors import SyncdoctorError
from syncdoctor.service.problems import PROBLEM_JSON, error_problem
from syncdoctor.tools.contract import diagnose_request
from syncdoctor.tools.requests import DiagnoseRequest

if TYPE_CHECKING:
    from syncdoctor.service.app import Engine

__all__ = ["PATH", "Answer", "DiagnoseFastPath", "is_plain_json"]

PATH = "/v1/diagnose"


class Answer(NamedTuple):
    """A whole response: its status, media type and body."""

    status: int
    media_type: bytes
    body: bytes


def is_plain_json(content_type: str | None) -> bool:
    """Whether a Content-Type says plain JSON (anything unusual goes to FastAPI)."""
    if content_type is None:
        return False
    media, _, rest = content_type.partition(";")
    return media.strip().lower() == "application/json" and (
        not rest.strip() or rest.strip().lower() in ("charset=utf-8", "charset=utf8"))


class DiagnoseFastPath:
    """Answers a plain, valid diagnose request; says None to everything else."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def answer(self, body: bytes, arrived: float, request_id: str) -> Answer | None:
        """The response to a POST /v1/diagnose JSON ``body``, or None for the route to answer.

        ``arrived``: when the Guard let the request in (``time.monotonic()``).
        """
        request = _valid_request(body)
        if request is None or request.collect:
            return None
        try:
            result = self.engine.run_here(
                lambda: diagnose_request(request, self.engine.kb, False), arrived)
        except SyncdoctorError as error:
            problem = error_problem(error, PATH)
            problem.request_id = request_id
            return Answer(problem.status, PROBLEM_JSON.encode(),
                          problem.model_dump_json(exclude_none=True).encode())
        return Answer(200, b"application/json", result.model_dump_json().encode())


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

