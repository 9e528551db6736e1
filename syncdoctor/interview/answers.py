"""One answer, from what was typed to what is stored.

Typed by the pack's catalogue, datetime phrases read against the case clock, and redacted
before it reaches a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from syncdoctor.diagnosis.case import check_ids
from syncdoctor.diagnosis.pipeline import check_not_fixed
from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.errors import REDACTED, FactError, describe
from syncdoctor.interview.datetimes import ACCEPTED_FORMS, parse_datetime_text
from syncdoctor.interview.errors import DateTimeTextError, InterviewError
from syncdoctor.interview.events import EventSource, StoredJson
from syncdoctor.kb.credentials import mask_credentials, shown_value
from syncdoctor.kb.problems import nearest
from syncdoctor.kb.recordvalues import type_records
from syncdoctor.kb.values import iso_moment, redact_secrets, type_value
from syncdoctor.types import FactValue

__all__ = [
    "Answer",
    "ParsedAnswer",
    "as_json",
    "check_fact",
    "fact_ids",
    "held_cause",
    "message_fact",
    "parse_answer",
    "shared_message_fact",
    "stored_facts",
    "stored_value",
]

_JSON: TypeAdapter[StoredJson] = TypeAdapter(StoredJson)


class Answer(BaseModel):
    """One answer or "don't know" still in effect, as ``Interview.answers`` lists it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(description="The event's place in the session's log.")
    fact: str = Field(description="The fact answered.")
    value: StoredJson = Field(
        description="The answer as stored (canonical JSON: datetimes ISO 8601 UTC, decimals as "
        "text); None when unknown."
    )
    unknown: bool = Field(description="True for a skip: the user does not know.")
    at: datetime = Field(description="When it was given (UTC).")
    source: EventSource = Field(description="Who gave it: agent, case, bot, collector, derived.")


@dataclass(frozen=True)
class ParsedAnswer:
    """An answer checked against the pack, before anything is stored."""

    fact: str
    value: FactValue
    """The typed value."""
    json: StoredJson
    """Its canonical JSON form: what is stored (after :func:`stored_value`) and replayed."""
    understood: str | None = None
    """For a datetime phrase ("3 hours ago"): how it was read, to show the user."""


def check_fact(pack: Pack, fact: object, *, for_skip: bool = False) -> str:
    """The fact id, if the pack has it (and, for a skip, if it is ever asked).

    Raises:
        FactError: a fact the pack does not have, with the nearest id.
    """
    if not isinstance(fact, str):
        raise FactError(describe(fact), "fact ids are text")
    spec = pack.facts.get(fact)
    if spec is None:
        raise FactError(
            fact, f"unknown fact for pack {pack.id!r}", suggestion=nearest(fact, pack.facts)
        )
    if for_skip and spec.derived and not spec.observable:
        raise FactError(fact, "is worked out by the rules, never asked; it cannot be skipped")
    return fact


def parse_answer(pack: Pack, fact: object, value: object, *, clock: datetime) -> ParsedAnswer:
    """Type an answer with the pack's catalogue; datetime facts also take phrases.

    ``clock`` is the case clock: "3 hours ago" and "yesterday 15:00" are read against it.

    Raises:
        FactError: an unknown fact, no value (a skip is the way to say "don't know"), or a value
            of the wrong type (for a datetime, the message lists the phrases accepted).
    """
    name = check_fact(pack, fact)
    spec = pack.facts[name]
    if value is None:
        raise FactError(name, "an answer needs a value; skip() says the user does not know")
    if spec.type == "records":
        typed: FactValue = type_records(name, spec, value)
        return ParsedAnswer(name, typed, as_json(name, typed))
    try:
        scalar = type_value(name, spec, value)
    except FactError as error:
        if spec.type != "datetime" or not isinstance(value, str):
            raise
        try:
            understood = parse_datetime_text(value, now=clock)
        except DateTimeTextError:
            shown = REDACTED if spec.secret else shown_value(value)
            raise FactError(
                name,
                f"cannot read {shown} as a date-time; accepted: " + ", ".join(ACCEPTED_FORMS),
                expected="datetime",
                value=shown,
            ) from error
        scalar = type_value(name, spec, understood.value)
        return ParsedAnswer(name, scalar, as_json(name, scalar), understood.understood)
    return ParsedAnswer(name, scalar, as_json(name, scalar))


def as_json(fact: str, value: object) -> StoredJson:
    """A fact value as JSON data (typed values in their canonical form).

    Raises:
        FactError: a value that is not JSON data (e.g. an object of some class).
    """
    try:
        return _JSON.validate_python(_plain(value), strict=True)
    except (ValidationError, RecursionError):
        raise FactError(fact, "the value is not JSON data (text, number, true/false, list, "
                        "mapping)", value=shown_value(value)) from None


def _plain(value: object) -> object:
    """Typed values (Decimal, datetime) in their JSON form; anything else as it is."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        # To the second as the Diagnosis shows it; finer only when there is more to keep.
        return iso_moment(moment) if not moment.microsecond else moment.strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return value


def message_fact(pack: Pack) -> str:
    """The text fact a pasted error message goes into: the one the pack's extractors read.

    Raises:
        FactError: (for ``message``) the pack classifies no error text.
    """
    sources = sorted(pack.index.extracted_from)
    if not sources:
        raise FactError("message", f"pack {pack.id!r} reads no error message; answer its "
                        "questions instead")
    return "error.message" if "error.message" in sources else sources[0]


def shared_message_fact(kb: KnowledgeBase) -> str:
    """The message fact most packs read (``error.message`` in the bundled KB), for routing."""
    counts: dict[str, int] = {}
    for pack in kb.packs.values():
        if pack.index.extracted_from:
            name = message_fact(pack)
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "error.message"
    return min(counts, key=lambda name: (-counts[name], name))


def stored_value(kb: KnowledgeBase, fact: str, value: StoredJson) -> StoredJson:
    """The value as it may be written to a session store: THE ONE PLACE FOR REDACTION.

    Every fact value bound for a store (starting facts and answers alike) passes through here.
    A fact that any pack of ``kb`` marks ``secret: true`` is stored as ``***`` (a session may not
    have chosen its pack yet): the store never holds a secret, and the session's state, which
    is replayed from the store, knows only that the fact was given.
    """
    for pack in kb.packs.values():
        redacted = redact_secrets({fact: value}, pack.facts)[fact]
        if redacted is not value:
            return REDACTED
    return value


def fact_ids(unknown: Iterable[str]) -> list[str]:
    """The ids of an ``unknown`` list, each checked to be text."""
    if isinstance(unknown, str | bytes) or not isinstance(unknown, Iterable):
        raise FactError("unknown", "expected a list of fact ids", expected="list")
    return check_ids(unknown)  # each checked to be text (a hostile id cannot crash str())


def stored_facts(
    kb: KnowledgeBase, pack: Pack | None, facts: Mapping[str, object], now: datetime
) -> dict[str, StoredJson]:
    """The starting facts as stored: typed when the pack is known, JSON, redacted."""
    stored: dict[str, StoredJson] = {}
    for name in sorted(check_ids(facts)):
        value = facts[name]
        if value is None:
            continue  # "not given"
        if pack is not None:
            parsed = parse_answer(pack, name, value, clock=now)
            stored[name] = stored_value(kb, name, parsed.json)
        else:  # typed (and a text's credentials masked) once the pack is chosen; not yet
            shown = mask_credentials(value) if isinstance(value, str) else value
            stored[name] = stored_value(kb, name, as_json(name, shown))
    return stored


def held_cause(pack: Pack, current: Sequence[str], cause: str | None, said: str) -> str:
    """``cause``, or the top of the ``current`` causes, checked to be among them.

    What a "fixed" or "not fixed" report holds (``said`` names it in the error).
    """
    if cause is not None:  # a cause the pack has, or a FactError
        check_not_fixed(pack, [cause], field="cause")
    target = cause if cause is not None else (current[0] if current else None)
    if target is None or target not in current:
        raise InterviewError(
            f"cause {describe(target)} is not among the current causes" if target
            else f"there is no cause to report as {said}",
            hint=f"current causes: {', '.join(current) or 'none'}")
    return target
