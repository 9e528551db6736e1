"""What only the SQLite store promises: a durable file, its settings, and what it refuses to open."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from syncdoctor.interview import SchemaVersionError, SqliteStore, StoreError
from syncdoctor.interview.sqlite_store import APPLICATION_ID, SCHEMA_VERSION

from store_support import make_header


def pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as db:
        return db.execute(f"PRAGMA {name}").fetchone()[0]


def test_sessions_survive_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    header = make_header()
    with SqliteStore(path) as store:
        store.create(header)
        first = store.append(header.id, "answer", fact="a", value={"x": [1, "two"]}, source="agent")
    with SqliteStore(path) as store:
        assert store.load(header.id).events == (first,)
        assert store.append(header.id, "skip", fact="b", source="agent").seq == 2


def test_the_file_is_a_marked_wal_database_only_its_owner_reads(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SqliteStore(path) as store:
        store.create(make_header())
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(f"{path}-wal").st_mode) == 0o600
    assert pragma(path, "journal_mode") == "wal"
    assert pragma(path, "application_id") == APPLICATION_ID
    assert pragma(path, "user_version") == SCHEMA_VERSION
    assert pragma(path, "integrity_check") == "ok"


def test_every_connection_writes_with_full_sync(tmp_path: Path) -> None:
    # synchronous is per connection: read it on the store's own one, the only place it lives.
    with SqliteStore(tmp_path / "sessions.db") as store:
        connection = store._connection
        assert connection is not None
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SqliteStore(path) as store:
        store.create(make_header())
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="newer than this syncdoctor reads") as raised:
        SqliteStore(path)
    assert (raised.value.found, raised.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert "upgrade syncdoctor" in str(raised.value)
    assert str(path) in str(raised.value)
    assert pragma(path, "user_version") == SCHEMA_VERSION + 1


def test_another_applications_database_is_refused_before_anything_changes(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
    with pytest.raises(StoreError, match="not a syncdoctor session store"):
        SqliteStore(path)
    assert pragma(path, "journal_mode") == "delete"  # still the other application's setting
    assert pragma(path, "application_id") == 0


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    with pytest.raises(StoreError, match="not a SQLite database"):
        SqliteStore(path)
    assert path.read_text().startswith("these are my notes")


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="its directory does not exist") as raised:
        SqliteStore(tmp_path / "nowhere" / "sessions.db")
    assert "nowhere" in str(raised.value)


def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the file"):
        SqliteStore(tmp_path)


def test_a_damaged_session_is_reported_not_raised_raw(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    header = make_header()
    with SqliteStore(path) as store:
        store.create(header)
        store.append(header.id, "skip", fact="a", source="agent")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE events SET kind = 'shrug'")
    with SqliteStore(path) as store, pytest.raises(StoreError, match="damaged"):
        store.load(header.id)


def test_a_writer_that_holds_the_lock_too_long_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    header = make_header()
    with SqliteStore(path, busy_timeout=0.05) as store:
        store.create(header)
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError, match="locked by another writer"):
                store.append(header.id, "skip", fact="a", source="agent")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert store.append(header.id, "skip", fact="a", source="agent").seq == 1
