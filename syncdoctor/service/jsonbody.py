"""Request bodies that do not read as JSON for reasons past its grammar, said as such.

FastAPI reports a body that breaks JSON's grammar as a problem of the field ``body``, with the
decoder's reason; a body nested deeper than the decoder recurses, holding a number of more than
4,300 digits, or not UTF-8, failed another way and became a bare 400 "There was an error parsing
the body", naming nothing. Every API route reads its body through :class:`JsonBodyRoute`, which
decodes it first and answers those as the same ``body`` problem, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from syncdoctor.errors import FieldProblem, RequestError

__all__ = ["JsonBodyRoute", "not_json_problem"]


def _reason(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "it is nested too deep"
    if isinstance(error, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {error.start})"
    if "integer string conversion" in str(error):
        return "a number in it has more than 4,300 digits"
    return "it cannot be decoded"


def not_json_problem(content_type: str | None, body_problems: bool) -> FieldProblem | None:
    """The problem of a body FastAPI could not read because it was not sent as JSON, or None.

    FastAPI reads such a body as form data or text, and says only "Input should be a valid
    dictionary": ``curl -d '{...}'`` without ``-H 'Content-Type: application/json'`` is the usual
    way to get there.
    """
    if not body_problems or _is_json(content_type):
        return None
    sent = f"it came as {content_type[:80]!r}" if content_type else "it came with none"
    return FieldProblem("body", f"send the body as JSON, with Content-Type: application/json "
                        f"({sent})", expected="a JSON object")


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                            and media.endswith("+json"))


class JsonBodyRoute(APIRoute):
    """An API route whose JSON body, when it cannot be decoded, is a ``body`` problem."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, given a request whose JSON body is already decoded."""
        handler = super().get_route_handler()

        async def read_json_body(request: Request) -> Response:
            if _is_json(request.headers.get("content-type")):
                body = await request.body()
                if body:
                    try:
                        # Starlette's Request.json() returns what it finds here.
                        request._json = json.loads(body)
                    except json.JSONDecodeError:
                        pass  # FastAPI's own "body" problem says where
                    except (RecursionError, ValueError) as error:
                        raise RequestError([FieldProblem(
                            "body", f"the body is not valid JSON: {_reason(error)}",
                            expected="a JSON object")]) from None
            return await handler(request)

        return read_json_body
