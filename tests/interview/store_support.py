"""Helpers for the interview tests: every store kind, and session headers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from syncdoctor.interview import (
    MemoryStore,
    SessionHeader,
    SessionStore,
    SqliteStore,
    new_session_id,
)

STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STORE_KINDS = ("memory", "sqlite", "postgres")


def make_store(kind: str, directory: Path, postgres_url: str | None = None) -> SessionStore:
    """A new store of one kind; SQLite files go in ``directory``, PostgreSQL at ``postgres_url``.

    ``postgres_url`` names an empty schema (the ``postgres_url`` fixture): the store is empty.
    """
    if kind == "memory":
        return MemoryStore()
    if kind == "postgres":
        from syncdoctor.interview import PostgresStore

        assert postgres_url is not None, "a postgres store needs the postgres_url fixture"
        return PostgresStore(postgres_url)
    return SqliteStore(directory / f"{new_session_id()}.db")


def store_url(kind: str, directory: Path, postgres_url: str | None = None) -> str:
    """A URL for ``open_store`` naming one store, shared by the processes given it."""
    if kind == "postgres":
        assert postgres_url is not None
        return postgres_url
    return f"sqlite://{directory / 'sessions.db'}"


def make_header(**changes: object) -> SessionHeader:
    """A valid session header with a fresh id; keyword arguments replace fields."""
    fields: dict[str, object] = {
        "id": new_session_id(),
        "created_at": STARTED,
        "pack": "sage300",
        "kb_version": "2026.11.1",
        "clock": "2026-11-20T10:00:00Z",
        "facts": {"sync.status": "failed", "sync.retries": 3},
        "unknown": ["payment.applied_manually"],
        "title": "Invoices missing in Sage",
    }
    fields.update(changes)
    return SessionHeader.model_validate(fields)

