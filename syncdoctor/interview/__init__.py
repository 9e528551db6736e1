"""Guided interviews and the session stores that keep them (append-only event logs).

The stores are importable from here; see :mod:`syncdoctor.interview.store` for their contract,
and :mod:`syncdoctor.interview.session` for :class:`Interview`. ``PostgresStore`` is loaded on
first use, so that psycopg (the ``service`` extra) is needed only by those who use it.
"""

from typing import TYPE_CHECKING

from syncdoctor.interview.answers import Answer, ParsedAnswer
from syncdoctor.interview.errors import (
    DateTimeTextError,
    InterviewError,
    SchemaVersionError,
    SessionExists,
    SessionNotFound,
    StoreError,
    StoreInputError,
)
from syncdoctor.interview.events import (
    SessionEvent,
    SessionHeader,
    SessionSummary,
    StoredJson,
    StoredSession,
    answers_in_effect,
    new_session_id,
)
from syncdoctor.interview.session import Interview
from syncdoctor.interview.sqlite_store import SqliteStore
from syncdoctor.interview.store import MemoryStore, SessionStore
from syncdoctor.interview.store_url import default_store_path, open_store

if TYPE_CHECKING:
    from syncdoctor.interview.postgres_store import PostgresStore

__all__ = [
    "Answer",
    "DateTimeTextError",
    "Interview",
    "InterviewError",
    "MemoryStore",
    "ParsedAnswer",
    "PostgresStore",
    "SchemaVersionError",
    "SessionEvent",
    "SessionExists",
    "SessionHeader",
    "SessionNotFound",
    "SessionStore",
    "SessionSummary",
    "SqliteStore",
    "StoreError",
    "StoreInputError",
    "StoredJson",
    "StoredSession",
    "answers_in_effect",
    "default_store_path",
    "new_session_id",
    "open_store",
]


def __getattr__(name: str) -> object:
    if name == "PostgresStore":
        from syncdoctor.interview.postgres_store import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
