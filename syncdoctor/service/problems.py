"""RFC 9457 problem details: every error the service answers is ``application/problem+json``.

Our errors become problems through :func:`syncdoctor.tools.problem_of` (the same data a chatbot
gets over MCP); HTTP-level errors (404, 405, 413, 401, 403) and the catch-all 500 use the same
shape, so a client parses one thing. A 500 says nothing but a request id.
"""

from __future__ import annotations

from http import HTTPStatus

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from syncdoctor.errors import SyncdoctorError
from syncdoctor.tools.problems import FieldError, ToolProblem, problem_of
from syncdoctor.types import JsonValue

__all__ = ["PROBLEM_JSON", "Problem", "error_responses", "http_problem", "problem_response"]

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem, with syncdoctor's structured fields as extension members."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="A URI naming the kind of problem; about:blank for plain HTTP.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong, for a person.")
    instance: str | None = Field(default=None, description="The request path.")
    code: str = Field(description="The error's kind: FactError, PackError, RequestError, ...")
    fact: str | None = Field(default=None, description="The fact at fault, if any.")
    expected: str | None = Field(default=None, description="What was expected.")
    suggestion: str | None = Field(default=None, description="What was probably meant.")
    errors: list[FieldError] = Field(default_factory=list,
                                     description="Every field at fault, named.")
    details: dict[str, JsonValue] = Field(default_factory=dict,
                                          description="The rest of the error's fields.")
    request_id: str | None = Field(default=None, description="The request's id, for the logs.")


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def from_tool_problem(problem: ToolProblem, instance: str | None) -> Problem:
    """A ToolProblem as an RFC 9457 problem."""
    return Problem(
        type=f"urn:syncdoctor:error:{problem.code}", title=_title(problem.status),
        status=problem.status, detail=problem.message, instance=instance, code=problem.code,
        fact=problem.fact, expected=problem.expected, suggestion=problem.suggestion,
        errors=list(problem.errors), details=dict(problem.details),
    )


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response:
    """The problem as a response with its status and media type."""
    return Response(problem.model_dump_json(exclude_none=True), status_code=problem.status,
                    media_type=PROBLEM_JSON, headers=headers)


def error_problem(error: SyncdoctorError, instance: str | None) -> Problem:
    """One of our errors as a problem, with the status its class stands for."""
    return from_tool_problem(problem_of(error), instance)


def http_problem(status: int, detail: str, instance: str | None, *, code: str | None = None,
                 request_id: str | None = None) -> Problem:
    """A plain HTTP problem (no such route, method not allowed, body too large, ...)."""
    return Problem(type="about:blank", title=_title(status), status=status, detail=detail,
                   instance=instance, code=code or f"HTTP{status}", request_id=request_id)


def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses`` declaring each status as a problem+json Problem."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {"description": _title(status), "content": {PROBLEM_JSON: {"schema": schema}}}
        for status in statuses
    }
