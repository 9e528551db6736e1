"""Errors as data a chatbot can act on: the code, the fact, what was expected, a suggestion.

Every door (Python, HTTP, MCP) answers a mistake with one :class:`ToolProblem`, derived from the
error's own ``to_dict()`` (see :mod:`syncdoctor.errors`), so that the same mistake reads the same
everywhere. Fact values are never echoed in the structured fields: they may be a customer's data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from syncdoctor.errors import FactError, FieldProblem, RequestError, SyncdoctorError, bounded
from syncdoctor.types import JsonValue

__all__ = [
    "FieldError",
    "ToolProblem",
    "field_problems",
    "problem_of",
    "request_error",
]

_SHOWN = {"error", "message", "fact", "expected", "suggestion", "value", "problems"}
"""to_dict() keys a ToolProblem carries in fields of its own (or drops: ``value``)."""


class FieldError(BaseModel):
    """One field of the call that is wrong."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(description="The field, dotted: 'facts.sync.status', 'pack', 'include[0]'.")
    message: str = Field(description="What is wrong with it.")
    expected: str | None = Field(default=None, description="What the field takes.")
    suggestion: str | None = Field(default=None, description="The nearest valid value, if any.")


class ToolProblem(BaseModel):
    """An error, structured so that a chatbot can correct its next call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="The error's kind: FactError, PackError, RequestError, ...")
    status: int = Field(description="The HTTP status that stands for it.")
    message: str = Field(description="The error in one line, for a person.")
    fact: str | None = Field(default=None, description="The fact at fault, if any.")
    expected: str | None = Field(default=None, description="What was expected there.")
    suggestion: str | None = Field(default=None, description="What was probably meant.")
    errors: list[FieldError] = Field(description="Every field at fault.")
    details: dict[str, JsonValue] = Field(
        description="The rest of the error's structured fields (known packs, located problems)."
    )


def _text(value: JsonValue) -> str | None:
    return value if isinstance(value, str) else None


def problem_of(error: SyncdoctorError) -> ToolProblem:
    """The error as a ToolProblem, read from its ``to_client_dict()``."""
    data = error.to_client_dict()
    fact = _text(data.get("fact"))
    expected = _text(data.get("expected"))
    suggestion = _text(data.get("suggestion"))
    errors: list[FieldError] = []
    if isinstance(error, RequestError):
        errors = [FieldError(**problem.__dict__) for problem in error.problems]
        first = error.problems[0] if error.problems else None
        if first is not None:
            expected = expected or first.expected
            suggestion = suggestion or first.suggestion
            if first.field.startswith("facts."):
                fact = first.field.removeprefix("facts.")
    elif fact is not None:
        at = error.field if isinstance(error, FactError) and error.field else (
            f"facts.{fact}" if fact != "now" else "now")
        errors = [FieldError(field=at, message=str(error), expected=expected,
                             suggestion=suggestion)]
        if isinstance(error, FactError):
            errors.extend(FieldError(**problem.__dict__) for problem in error.also)
    elif "pack" in data:
        errors = [FieldError(field="pack", message=str(error), expected="a pack id",
                             suggestion=suggestion)]
    details = {k: v for k, v in data.items() if k not in _SHOWN or k == "problems"}
    if isinstance(error, RequestError):
        details.pop("problems", None)
    return ToolProblem(
        code=str(data["error"]),
        status=error.http_status,
        message=str(data["message"]),
        fact=fact,
        expected=expected,
        suggestion=suggestion,
        errors=errors,
        details=details,
    )


def _dotted(location: Sequence[str | int]) -> str:
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def field_problems(errors: Iterable[Mapping[str, object]]) -> list[FieldProblem]:
    """Pydantic (or FastAPI) validation errors as FieldProblems: the field and what it takes.

    The rejected input is never quoted: it may be a customer's data.
    """
    out: list[FieldProblem] = []
    for item in errors:
        raw_location = item.get("loc", ())
        location = [p for p in raw_location if isinstance(p, str | int)] if isinstance(
            raw_location, tuple | list) else []
        if location and location[0] in ("body", "query", "path"):
            location = location[1:]
        kind = str(item.get("type", ""))
        message = str(item.get("msg", "invalid value"))
        expected = None
        context = item.get("ctx")
        if isinstance(context, Mapping) and "expected" in context:
            expected = str(context["expected"])
        if kind == "extra_forbidden":
            message = "unknown field"
        if kind == "json_invalid":
            out.append(_invalid_json(location, context))
            continue
        out.append(FieldProblem(_dotted(location) or "body", message, expected=expected))
    return out


def _invalid_json(location: Sequence[str | int], context: object) -> FieldProblem:
    """A body that is not JSON, as the problem of the field ``body``.

    FastAPI's location holds the character where decoding stopped (a position, not a field),
    its context the decoder's reason (which quotes no input).
    """
    reason = context.get("error") if isinstance(context, Mapping) else None
    message = "the body is not valid JSON"
    if isinstance(reason, str) and reason:
        message += f": {bounded(reason, 120)}"
    if len(location) == 1 and isinstance(location[0], int):
        # "Unterminated string starting at" ends where the position goes.
        where = f"character {location[0]}"
        message += f" {where}" if message.endswith(" at") else f" (at {where})"
    return FieldProblem("body", message, expected="a JSON object")


def request_error(error: ValidationError) -> RequestError:
    """A RequestError naming every field a ValidationError found wrong."""
    return RequestError(field_problems(error.errors(include_input=False)))
