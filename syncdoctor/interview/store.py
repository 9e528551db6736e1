"""The session store interface, the checks every store shares, and the in-memory store.

Every store (MemoryStore, SqliteStore, PostgresStore) keeps the same promises, checked
by one contract test suite (tests/interview/test_store_contract.py):

- ``create(header)`` writes a new session; an id already taken raises ``SessionExists``.
- ``append(id, kind, ...)`` returns the committed event with its ``seq`` (1, 2, 3, ... per
  session) only once it is durable in that store; a missing session raises ``SessionNotFound``.
- ``load(id)`` returns the header and every committed event in ``seq`` order.
- ``list(limit, offset)`` gives summaries, most recently updated first (ties: by id).
- ``delete(id)`` says whether there was such a session; its events go with it.
- A store is a context manager; ``close()`` is idempotent and later calls raise ``StoreError``.

Values are kept exactly as given: **redaction happens before append** (the Interview replaces a
secret fact's value before calling the store), so no store needs to know which facts are secret.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from syncdoctor.interview.errors import (
    SessionExists,
    SessionNotFound,
    StoreError,
    StoreInputError,
)
from syncdoctor.interview.events import (
    EventKind,
    EventSource,
    SessionEvent,
    SessionHeader,
    SessionSummary,
    StoredJson,
    StoredSession,
    answers_in_effect,
    is_session_id,
    latest_pack,
)

MAX_EVENT_BYTES = 1_000_000
"""The largest event value, as JSON: room for a pasted log, not for a database dump."""
MAX_HEADER_BYTES = 4_000_000
"""The largest header (starting facts included), as JSON."""
MAX_LIST = 1000


class SessionStore(Protocol):
    """Where Interview sessions live: an append-only event log per session."""

    @property
    def name(self) -> str:
        """The store's URL or path as shown in messages (never with a password)."""
        ...

    def create(self, header: SessionHeader) -> None:
        """Write a new session; raises SessionExists when the id is taken."""
        ...

    def append(
        self,
        session_id: str,
        kind: EventKind,
        *,
        source: EventSource,
        fact: str | None = None,
        value: StoredJson = None,
        at: datetime | None = None,
    ) -> SessionEvent:
        """Commit one event (``at`` defaults to now) and return it with its ``seq``."""
        ...

    def load(self, session_id: str) -> StoredSession:
        """The session's header and committed events; raises SessionNotFound."""
        ...

    def list(self, limit: int = 50, offset: int = 0) -> tuple[SessionSummary, ...]:
        """Summaries, most recently updated first."""
        ...

    def delete(self, session_id: str) -> bool:
        """Remove a session and its events; False when there was none."""
        ...

    def close(self) -> None:
        """Release the store; calling it again does nothing."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...


def prepare_event(
    store: str,
    kind: EventKind,
    *,
    source: EventSource,
    fact: str | None,
    value: StoredJson,
    at: datetime | None,
) -> tuple[SessionEvent, str | None]:
    """Validate an event before its seq is known; returns it (seq 1) and its value as JSON.

    Raises StoreError naming the field, never quoting the value (it may be a customer's data).
    """
    try:
        event = SessionEvent(
            seq=1, kind=kind, fact=fact, value=value, at=at or datetime.now(UTC), source=source
        )
    except ValidationError as error:
        problem = _first_problem(error)
        raise StoreInputError(f"invalid {kind!s:.20} event: {problem}", store=store) from None
    if _has_nul(event.fact) or (kind == "choose_pack" and _has_nul(event.value)):
        raise StoreInputError(f"invalid {kind} event: {_NUL}", store=store)
    encoded = encode_json(event.value)
    if _utf8_size(store, encoded) > MAX_EVENT_BYTES:
        raise StoreInputError(f"event value larger than {MAX_EVENT_BYTES} bytes", store=store)
    return event, encoded


def check_header(store: str, header: SessionHeader) -> str:
    """The header as JSON, after the checks every store makes; raises StoreError."""
    if not isinstance(header, SessionHeader):
        raise StoreInputError("create() takes a SessionHeader", store=store)
    if _has_nul(header.title) or _has_nul(header.pack):
        raise StoreInputError(f"invalid session header: {_NUL}", store=store)
    try:
        encoded = header.model_dump_json()
    except PydanticSerializationError:  # the one way a valid header fails: a lone surrogate
        raise StoreInputError(f"invalid session header: {_SURROGATE}", store=store) from None
    if _utf8_size(store, encoded) > MAX_HEADER_BYTES:
        raise StoreInputError(f"session header larger than {MAX_HEADER_BYTES} bytes", store=store)
    return encoded


# PostgreSQL text cannot hold NUL; every store refuses it in the fields kept as plain text, so
# that the stores agree (JSON values and starting facts may hold it: JSON escapes it as \u0000).
_NUL = "a fact id, pack id or title cannot hold a NUL character"


_SURROGATE = "text that is not valid Unicode (a lone surrogate, e.g. from a JSON \\udc80 escape)"


def _has_nul(text: object) -> bool:
    return isinstance(text, str) and "\x00" in text


def _utf8_size(store: str, text: str | None) -> int:
    """Bytes of ``text`` in UTF-8, the encoding every store writes; refuses lone surrogates."""
    try:
        return 0 if text is None else len(text.encode())
    except UnicodeEncodeError:
        raise StoreInputError(f"invalid event: {_SURROGATE}", store=store) from None


def check_page(store: str, limit: int, offset: int) -> None:
    """Refuse a listing window that is not 1..MAX_LIST long or starts before 0."""
    if not (isinstance(limit, int) and 1 <= limit <= MAX_LIST):
        raise StoreInputError(f"list limit must be 1..{MAX_LIST}", store=store)
    if not (isinstance(offset, int) and offset >= 0):
        raise StoreInputError("list offset must be 0 or more", store=store)


def check_session_id(store: str, session_id: str) -> None:
    """A malformed id is a session that is not there (ids arrive from URLs and command lines)."""
    if not (isinstance(session_id, str) and is_session_id(session_id)):
        raise SessionNotFound(str(session_id), store=store)


def encode_json(value: StoredJson) -> str | None:
    """Compact JSON text for a value; None stays None (an absent value, not the text 'null')."""
    if value is None:
        return None
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):  # only if a caller bypassed validation
        raise StoreInputError("event value is not JSON") from None


def _first_problem(error: ValidationError) -> str:
    first = error.errors(include_input=False, include_url=False)[0]
    if first["loc"][:1] == ("value",) and first["type"] != "value_error":
        # A union's errors list every branch; one sentence says more.
        return (
            "value: not a JSON value (null, true/false, a finite number, text, a list, "
            "or an object with text keys)"
        )
    where = ".".join(str(part) for part in first["loc"][:3] if not str(part).startswith("function"))
    return f"{where or 'event'}: {first['msg']}"[:200]


@dataclass
class _Kept:
    header: SessionHeader
    events: list[SessionEvent] = field(default_factory=list)
    in_effect: int = 0
    updated_at: datetime | None = None


class MemoryStore:
    """Sessions in this process's memory, gone when it exits: for tests and one-shot bots.

    Thread-safe (one lock). Stored models are frozen and copied on the way in and out, so a
    caller changing a dict it passed or received cannot change what the store holds.
    """

    def __init__(self) -> None:
        self._sessions: dict[str, _Kept] = {}
        self._lock = threading.Lock()
        self._closed = False

    @property
    def name(self) -> str:
        """Always ``memory:``."""
        return "memory:"

    def create(self, header: SessionHeader) -> None:
        """Write a new session; raises SessionExists when the id is taken."""
        check_header(self.name, header)
        with self._lock:
            self._check_open()
            if header.id in self._sessions:
                raise SessionExists(header.id, store=self.name)
            self._sessions[header.id] = _Kept(header.model_copy(deep=True))

    def append(
        self,
        session_id: str,
        kind: EventKind,
        *,
        source: EventSource,
        fact: str | None = None,
        value: StoredJson = None,
        at: datetime | None = None,
    ) -> SessionEvent:
        """Keep one event and return it with its ``seq``."""
        draft, _ = prepare_event(self.name, kind, source=source, fact=fact, value=value, at=at)
        check_session_id(self.name, session_id)
        with self._lock:
            self._check_open()
            kept = self._sessions.get(session_id)
            if kept is None:
                raise SessionNotFound(session_id, store=self.name)
            check_room(self.name, len(kept.events), kind)
            kept.in_effect = in_effect_after(self.name, kept.in_effect, kind)
            event = draft.model_copy(update={"seq": len(kept.events) + 1}, deep=True)
            kept.events.append(event)
            kept.updated_at = max(kept.updated_at or event.at, event.at)
            return event.model_copy(deep=True)

    def load(self, session_id: str) -> StoredSession:
        """The session's header and events; raises SessionNotFound."""
        check_session_id(self.name, session_id)
        with self._lock:
            self._check_open()
            kept = self._sessions.get(session_id)
            if kept is None:
                raise SessionNotFound(session_id, store=self.name)
            return StoredSession(header=kept.header, events=tuple(kept.events)).model_copy(
                deep=True
            )

    def list(self, limit: int = 50, offset: int = 0) -> tuple[SessionSummary, ...]:
        """Summaries, most recently updated first (ties: by id)."""
        check_page(self.name, limit, offset)
        with self._lock:
            self._check_open()
            rows = [_summary(kept) for kept in self._sessions.values()]
        rows.sort(key=lambda row: row.id)
        rows.sort(key=lambda row: row.updated_at, reverse=True)  # stable: ties stay by id
        return tuple(rows[offset : offset + limit])

    def delete(self, session_id: str) -> bool:
        """Forget a session; False when there was none."""
        if not (isinstance(session_id, str) and is_session_id(session_id)):
            return False
        with self._lock:
            self._check_open()
            return self._sessions.pop(session_id, None) is not None

    def close(self) -> None:
        """Drop every session; later calls raise StoreError."""
        with self._lock:
            self._closed = True
            self._sessions.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed", store=self.name)


MAX_EVENTS = 1_000
"""Most events one session may hold: a real interview takes tens; a runaway bot, no more."""
CLOSING_ROOM = 20
"""Past MAX_EVENTS, room for a full session to be closed: an undo, "fixed", "did not fix it"."""


def check_room(store: str, events: int, kind: EventKind) -> None:
    """Refuse one more event for a session that holds :data:`MAX_EVENTS` already.

    Raises:
        StoreInputError: the session is full (for an undo or an outcome, past its room).
    """
    limit = MAX_EVENTS + (CLOSING_ROOM if kind in ("undo", "fixed", "not_fixed") else 0)
    if events >= limit:
        raise StoreInputError(
            f"the session holds {events:,} steps, the most one may hold: start a new "
            "session for the rest (its report keeps what this one found)", store=store)


def in_effect_after(store: str, in_effect: int, kind: EventKind) -> int:
    """How many answers and skips are in effect after an event of this kind (see events.py)."""
    if kind in ("answer", "skip"):
        return in_effect + 1
    if kind == "undo":
        if in_effect == 0:
            raise StoreInputError("nothing to undo: no answer or skip is in effect", store=store)
        return in_effect - 1
    return in_effect


def _summary(kept: _Kept) -> SessionSummary:
    header = kept.header
    return SessionSummary(
        id=header.id,
        created_at=header.created_at,
        updated_at=max(header.created_at, kept.updated_at or header.created_at),
        pack=latest_pack(header, kept.events),
        title=header.title,
        answers=len(answers_in_effect(kept.events)),
        fixed=fixed_by(kept.events[-1].kind, kept.events[-1].value) if kept.events else None,
    )


def fixed_by(kind: str, value: object) -> str | None:
    """What a session's latest event says fixed it: a ``fixed`` event's cause, else None."""
    return value if kind == "fixed" and isinstance(value, str) else None
