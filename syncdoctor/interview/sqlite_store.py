"""Sessions in one SQLite file: the embedded default store.

Durability and sharing come from SQLite itself: WAL journal, ``synchronous=FULL`` (every commit
is fsynced before ``append()`` returns), and an explicit ``BEGIN IMMEDIATE`` per write so that
the seq read and the insert are one atomic step even when several processes share the file
(each waits up to ``busy_timeout`` seconds for the others). Within a process, one connection is
shared by all threads behind a lock.

The file says what it is: ``PRAGMA application_id`` marks it as a syncdoctor store and
``PRAGMA user_version`` carries the schema version. A file of another application is refused
before anything in it changes, and a newer schema is refused with SchemaVersionError.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from pydantic import ValidationError

from syncdoctor.interview.errors import (
    SchemaVersionError,
    SessionExists,
    SessionNotFound,
    StoreError,
)
from syncdoctor.interview.events import (
    EventKind,
    EventSource,
    SessionEvent,
    SessionHeader,
    SessionSummary,
    StoredJson,
    StoredSession,
)
from syncdoctor.interview.store import (
    check_header,
    check_page,
    check_room,
    check_session_id,
    fixed_by,
    in_effect_after,
    prepare_event,
)

SCHEMA_VERSION = 1
APPLICATION_ID = 0x53594E44  # "SYND": tells a syncdoctor store from any other SQLite file

# STRICT tables (SQLite >= 3.37) refuse a value of the wrong type instead of storing it.
# Times are UTC ISO text of fixed width, so text order is time order.
_SCHEMA = (
    """CREATE TABLE sessions (
        id          TEXT PRIMARY KEY,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        pack        TEXT,
        title       TEXT,
        in_effect   INTEGER NOT NULL DEFAULT 0,  -- answers and skips not undone
        last_seq    INTEGER NOT NULL DEFAULT 0,
        header      TEXT NOT NULL                -- the SessionHeader as JSON
    ) STRICT""",
    """CREATE TABLE events (
        session_id  TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        fact        TEXT,
        value       TEXT,                        -- JSON; NULL when the event has no value
        at          TEXT NOT NULL,
        source      TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
    ) STRICT, WITHOUT ROWID""",
    "CREATE INDEX sessions_by_update ON sessions (updated_at DESC, id)",
)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class SqliteStore:
    """Sessions in a SQLite file, safe to share between threads and processes.

    Args:
        path: the database file; created (mode 0600) if absent. Its directory must exist.
        busy_timeout: seconds to wait for another process's write before failing.

    Raises:
        StoreError: the file cannot be opened or is not a syncdoctor store.
        SchemaVersionError: the file was written by a newer syncdoctor.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 10.0) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._connection: sqlite3.Connection | None = self._open()

    @property
    def name(self) -> str:
        """The store as a URL, ``sqlite:///absolute/path``."""
        return "sqlite://" + (self.path if self.path.startswith("/") else "/" + self.path)

    # -- the SessionStore interface ----------------------------------------------------------

    def create(self, header: SessionHeader) -> None:
        """Write a new session; raises SessionExists when the id is taken."""
        encoded = check_header(self.name, header)
        with self._write() as db:
            if db.execute("SELECT 1 FROM sessions WHERE id = ?", (header.id,)).fetchone():
                raise SessionExists(header.id, store=self.name)
            created = _stamp(header.created_at)
            db.execute(
                "INSERT INTO sessions (id, created_at, updated_at, pack, title, header)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (header.id, created, created, header.pack, header.title, encoded),
            )

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
        """Commit one event and return it with its ``seq``; returns only once it is on disk."""
        draft, encoded = prepare_event(
            self.name, kind, source=source, fact=fact, value=value, at=at
        )
        check_session_id(self.name, session_id)
        with self._write() as db:
            row = db.execute(
                "SELECT last_seq, in_effect FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None:
                raise SessionNotFound(session_id, store=self.name)
            check_room(self.name, row[0], kind)
            seq, in_effect = row[0] + 1, in_effect_after(self.name, row[1], kind)
            stamp = _stamp(draft.at)
            db.execute(
                "INSERT INTO events (session_id, seq, kind, fact, value, at, source)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, seq, kind, draft.fact, encoded, stamp, source),
            )
            db.execute(
                "UPDATE sessions SET last_seq = ?, in_effect = ?, updated_at = max(updated_at, ?),"
                " pack = coalesce(?, pack) WHERE id = ?",
                (seq, in_effect, stamp, draft.value if kind == "choose_pack" else None, session_id),
            )
        return draft.model_copy(update={"seq": seq})

    def load(self, session_id: str) -> StoredSession:
        """The session's header and committed events, from one consistent snapshot."""
        check_session_id(self.name, session_id)
        with self._read() as db:
            row = db.execute("SELECT header FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise SessionNotFound(session_id, store=self.name)
            rows = db.execute(
                "SELECT seq, kind, fact, value, at, source FROM events"
                " WHERE session_id = ? ORDER BY seq",
                (session_id,),
            ).fetchall()
        try:
            header = SessionHeader.model_validate_json(row[0])
            events = tuple(
                SessionEvent(
                    seq=seq, kind=kind, fact=fact, at=datetime.fromisoformat(at), source=source,
                    value=None if value is None else json.loads(value),
                )
                for seq, kind, fact, value, at, source in rows
            )
        except (ValidationError, ValueError):
            raise StoreError(
                f"session {session_id!r} is damaged in the store", store=self.name
            ) from None
        return StoredSession(header=header, events=events)

    def list(self, limit: int = 50, offset: int = 0) -> tuple[SessionSummary, ...]:
        """Summaries, most recently updated first (ties: by id)."""
        check_page(self.name, limit, offset)
        with self._read() as db:
            rows = db.execute(
                # The latest event by its primary key: one lookup a row, no column to migrate.
                "SELECT s.id, s.created_at, s.updated_at, s.pack, s.title, s.in_effect, e.kind,"
                " e.value FROM sessions s LEFT JOIN events e"
                " ON e.session_id = s.id AND e.seq = s.last_seq"
                " ORDER BY s.updated_at DESC, s.id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return tuple(
            SessionSummary(
                id=id_, created_at=datetime.fromisoformat(created),
                updated_at=datetime.fromisoformat(updated), pack=pack, title=title, answers=answers,
                fixed=fixed_by(kind, json.loads(value) if kind == "fixed" and value else None),
            )
            for id_, created, updated, pack, title, answers, kind, value in rows
        )

    def delete(self, session_id: str) -> bool:
        """Remove a session and its events; False when there was none."""
        try:
            check_session_id(self.name, session_id)
        except SessionNotFound:
            return False
        with self._write() as db:
            db.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
            return db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    def close(self) -> None:
        """Close the connection; later calls raise StoreError."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- opening and transactions ------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            # Created by us, not by sqlite3, so that nobody else can read the sessions; SQLite
            # gives its -wal and -shm files the same mode as the database.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        except FileNotFoundError:
            raise StoreError("its directory does not exist", store=self.name) from None
        except OSError as error:
            raise StoreError(f"cannot open the file: {error.strerror}", store=self.name) from None
        db = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            self._check_schema(db, *_schema_marks(db))  # before changing anything in the file
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(
                    f"the file cannot use a WAL journal (got {mode!r})", store=self.name,
                    hint="use a local file system",
                )
            db.execute("PRAGMA synchronous = FULL")
            db.execute("BEGIN IMMEDIATE")
            try:
                # Read again under the write lock: another process may have made the schema.
                if self._check_schema(db, *_schema_marks(db)) == 0:
                    for statement in _SCHEMA:
                        db.execute(statement)
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("COMMIT")
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")
        except sqlite3.Error as error:
            db.close()
            raise self._error(error) from None
        except StoreError:
            db.close()
            raise
        return db

    def _check_schema(self, db: sqlite3.Connection, app_id: int, version: int, tables: int) -> int:
        """The schema version found (0: an empty file to set up); raises for anything else."""
        if app_id == 0 and version == 0 and tables == 0:
            return 0
        if app_id != APPLICATION_ID:
            raise StoreError(
                "this SQLite file is not a syncdoctor session store", store=self.name,
                hint="point --store / SYNCDOCTOR_STORE at a new or a syncdoctor file",
            )
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(version, SCHEMA_VERSION, store=self.name)
        if version < 1:
            raise StoreError("the session store has no schema version", store=self.name)
        return version  # older versions will be migrated here once there are any

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._transaction("BEGIN IMMEDIATE") as db:
            yield db

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._transaction("BEGIN") as db:  # one snapshot for every SELECT inside
            yield db

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._usable()
            try:
                db.execute(begin)
                yield db
                db.execute("COMMIT")  # synchronous=FULL: durable once this returns
            except sqlite3.Error as error:
                raise self._error(error) from None
            finally:
                if db.in_transaction:
                    with suppress(sqlite3.Error):  # the error that got us here is the one to report
                        db.execute("ROLLBACK")

    def _usable(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError("the store is closed", store=self.name)
        if os.getpid() != self._pid:
            # A connection inherited through fork() shares file locks with the parent.
            raise StoreError(
                "this store was opened before fork()", store=self.name,
                hint="open the store again in the child process",
            )
        return self._connection

    def _error(self, error: sqlite3.Error) -> StoreError:
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            return StoreError(
                f"the store stayed locked by another writer for {self._busy_timeout:g} s",
                store=self.name,
            )
        if isinstance(error, sqlite3.DatabaseError) and "not a database" in str(error):
            return StoreError("this file is not a SQLite database", store=self.name)
        return StoreError(f"SQLite error: {error}", store=self.name)


def _schema_marks(db: sqlite3.Connection) -> tuple[int, int, int]:
    """The file's application id, schema version, and how many schema objects it holds."""
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return int(app_id), int(version), int(tables)
