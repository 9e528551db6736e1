"""What a session store keeps: a session's header and its append-only log of events.

A session is never updated in place. Its header is written once by ``create()``; every answer,
skip, undo, "this did not fix it" and pack choice is one more event with the next ``seq``. The
Interview rebuilds its state by replaying the events in order, so a session read back after a
crash is exactly the sequence of acknowledged events.

Values are stored as given. Redaction of secrets is the caller's job and happens *before*
``append()``/``create()`` (the Interview does it): a store never sees a value it must not keep.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)
from typing_extensions import TypeAliasType

from syncdoctor.errors import FactError
from syncdoctor.kb.credentials import mask_credentials

MAX_INT_DIGITS = 1000


def _bounded_int(number: int) -> int:
    # Far inside Python's 4300-digit limit on int <-> text, so what is written can be read back.
    if abs(number) >= 10**MAX_INT_DIGITS:
        raise ValueError(f"integers have at most {MAX_INT_DIGITS} digits")
    return number


JsonInt = Annotated[StrictInt, AfterValidator(_bounded_int)]
StoredJson = TypeAliasType(
    "StoredJson",
    "dict[str, StoredJson] | list[StoredJson]"
    " | StrictBool | JsonInt | FiniteFloat | StrictStr | None",
)
"""A JSON value a store keeps: a starting fact's value or an event's value.

It is :data:`syncdoctor.types.JsonValue` less what could be written but not read back the same:
NaN, infinities, and integers of more than 1000 digits are refused.
"""

EventKind = Literal["answer", "skip", "undo", "not_fixed", "fixed", "choose_pack"]
EventSource = Literal["agent", "case", "bot", "collector", "derived"]
EVENT_SOURCES: tuple[str, ...] = get_args(EventSource)
"""Who may give a step, as ``source=``."""


def check_source(source: object) -> None:
    """Refuse a ``source=`` that is none of :data:`EVENT_SOURCES` (a FactError, not a trace)."""
    if source not in EVENT_SOURCES:
        raise FactError("source", f"expected one of {', '.join(EVENT_SOURCES)}",
                        expected=" | ".join(EVENT_SOURCES), value=source)

SESSION_ID_ALPHABET = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-")
MAX_SESSION_ID = 64
MAX_NAME = 200  # fact, cause and pack ids are dotted names, far shorter than this


def new_session_id() -> str:
    """A fresh, unguessable session id: 32 hex digits (safe in URLs, file names and shells)."""
    return secrets.token_hex(16)


def is_session_id(text: str) -> bool:
    """Whether ``text`` can be a session id (1-64 of ``[A-Za-z0-9_-]``, not starting with ``-``)."""
    return (
        0 < len(text) <= MAX_SESSION_ID
        and not text.startswith("-")
        and all(char in SESSION_ID_ALPHABET for char in text)
    )


def _session_id(text: str) -> str:
    if not is_session_id(text):
        raise ValueError("a session id is 1-64 of A-Z a-z 0-9 _ - and does not start with '-'")
    return text


def _utc(moment: datetime) -> datetime:
    # One zone in storage: equal moments give equal bytes, and stored text sorts in time order.
    return moment.astimezone(UTC)


def _iso_clock(text: str | None) -> str | None:
    if text is not None:
        try:
            datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("the case clock is ISO 8601 text, e.g. 2026-11-20T15:00:00Z") from None
    return text


SessionId = Annotated[StrictStr, AfterValidator(_session_id)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=MAX_NAME)]


TITLE_CHARACTERS = 90
"""The most of a pasted message's first line a session's default title takes."""


_LEFT_OUT_OF_TITLES: dict[int, int | None] = {
    **dict.fromkeys((*range(0x202A, 0x202F), *range(0x2066, 0x206A))),
    **dict.fromkeys((*range(0x20), 0x7F, *range(0x80, 0xA0))),
    0x09: 0x20,
}
"""Left out of a title: bidirectional overrides and isolates, which only make it read out of
order, and control characters (a NUL, which no store may hold; ESC; a tab becomes a space)."""


def _shown_title(text: str) -> str:
    return mask_credentials(text).translate(_LEFT_OUT_OF_TITLES)


def _masked(title: str | None) -> str | None:
    return None if title is None else _shown_title(title)


def message_title(message: str) -> str | None:
    """A session's title from a pasted message: its first line with text, cut short."""
    line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    shown = _shown_title(line)  # masked whole, then cut: at a word, with an ellipsis
    if len(shown) > TITLE_CHARACTERS:
        cut = shown[:TITLE_CHARACTERS - 1]
        shown = (cut.rsplit(" ", 1)[0] if " " in cut[TITLE_CHARACTERS // 2:] else cut) + "…"
    return shown or None


class SessionHeader(BaseModel):
    """How a session started; written once, by ``create()``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: SessionId = Field(description="The session id (see new_session_id()).")
    created_at: UtcDatetime = Field(description="When the session started (stored in UTC).")
    pack: Name | None = Field(
        description="The pack chosen at the start; None until a choose_pack event picks one."
    )
    kb_version: StrictStr = Field(
        description="The knowledge base version the session started on; a resume on another "
        "version warns."
    )
    clock: Annotated[StrictStr | None, AfterValidator(_iso_clock)] = Field(
        description="The case clock ('now') as ISO 8601 text, or None to use the wall clock."
    )
    facts: dict[str, StoredJson] = Field(
        default_factory=dict,
        description="The starting facts (from a case file or the caller), already redacted.",
    )
    unknown: list[Name] = Field(
        default_factory=list, description="Facts known from the start to be unanswerable."
    )
    title: Annotated[StrictStr | None, AfterValidator(_masked)] = Field(
        default=None, description="What the case is about (credentials in it masked).")


class SessionEvent(BaseModel):
    """One committed step of a session; ``seq`` numbers a session's events 1, 2, 3, ...

    The shape depends on ``kind``:

    - ``answer``: ``fact`` and its ``value`` (not None: a fact the user cannot answer is a skip);
    - ``skip``: ``fact``, no value (the user does not know);
    - ``undo``: neither; takes back the latest answer or skip still in effect;
    - ``not_fixed``: ``value`` is the id of the cause whose remediation did not fix it;
    - ``fixed``: ``value`` is the id of the cause whose remediation fixed it (the session is
      closed while this is its latest event);
    - ``choose_pack``: ``value`` is the pack id.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: StrictInt = Field(ge=1, description="Place in the session's log, assigned by the store.")
    kind: EventKind = Field(description="What happened.")
    fact: Name | None = Field(description="The fact answered or skipped; None for other kinds.")
    value: StoredJson = Field(
        description="The answer as given (JSON, already redacted), the cause id for not_fixed "
        "and fixed, the pack id for choose_pack; None otherwise."
    )
    at: UtcDatetime = Field(description="When it happened (wall clock, stored in UTC).")
    source: EventSource = Field(
        description="Who gave it: the agent at a prompt, a case file, a chatbot, a collector, "
        "or worked out by the engine."
    )

    @model_validator(mode="after")
    def _shape_fits_kind(self) -> Self:
        needs_fact = self.kind in ("answer", "skip")
        if needs_fact != (self.fact is not None):
            raise ValueError(f"a {self.kind} event {'needs' if needs_fact else 'takes no'} fact")
        if self.kind == "answer" and self.value is None:
            raise ValueError("an answer needs a value (a fact the user cannot answer is a skip)")
        if self.kind in ("skip", "undo") and self.value is not None:
            raise ValueError(f"a {self.kind} event takes no value")
        if self.kind in ("not_fixed", "fixed", "choose_pack") and not (
            isinstance(self.value, str) and 0 < len(self.value) <= MAX_NAME
        ):
            what = "pack" if self.kind == "choose_pack" else "cause"
            raise ValueError(f"a {self.kind} event's value is the {what} id")
        return self


class StoredSession(BaseModel):
    """A session as read back: its header and every committed event, in ``seq`` order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: SessionHeader = Field(description="How the session started.")
    events: tuple[SessionEvent, ...] = Field(description="Every committed event, oldest first.")

    @property
    def answers(self) -> tuple[SessionEvent, ...]:
        """The answers and skips still in effect, oldest first (undone ones left out)."""
        return answers_in_effect(self.events)


class SessionSummary(BaseModel):
    """One line of ``list()``: enough to pick a session to resume."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: SessionId = Field(description="The session id.")
    created_at: UtcDatetime = Field(description="When the session started (UTC).")
    updated_at: UtcDatetime = Field(
        description="The latest of created_at and every event's time (UTC)."
    )
    pack: Name | None = Field(description="The latest pack chosen, else the header's pack.")
    title: StrictStr | None = Field(description="The header's title.")
    answers: StrictInt = Field(
        ge=0, description="Answers and skips in effect (undone ones not counted)."
    )
    fixed: StrictStr | None = Field(
        default=None,
        description="The cause reported as having fixed the problem, when that report is the "
        "session's latest step; None while the session is open.",
    )


def answers_in_effect(events: Iterable[SessionEvent]) -> tuple[SessionEvent, ...]:
    """The answer and skip events that an undo has not taken back, oldest first.

    An undo takes back the latest answer or skip still in effect; it never takes back a
    ``not_fixed``, ``fixed`` or ``choose_pack``. Stores refuse an undo with nothing to take back.
    """
    kept: list[SessionEvent] = []
    for event in events:
        if event.kind in ("answer", "skip"):
            kept.append(event)
        elif event.kind == "undo" and kept:
            kept.pop()
    return tuple(kept)


def latest_pack(header: SessionHeader, events: Iterable[SessionEvent]) -> str | None:
    """The pack in use after these events: the last ``choose_pack``, else the header's."""
    pack = header.pack
    for event in events:
        if event.kind == "choose_pack" and isinstance(event.value, str):
            pack = event.value
    return pack
