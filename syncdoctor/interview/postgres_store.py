"""Sessions in PostgreSQL: one store shared by several workers on several machines.

Same promises as SqliteStore (see :mod:`syncdoctor.interview.store`), kept by the server:

- **Committed before acknowledged.** Every write is one transaction and ``append()`` returns only
  after its COMMIT, with ``synchronous_commit = on`` set on each connection (a server-wide
  ``off`` would otherwise acknowledge commits that a server crash can lose).
- **One seq per event, from any number of writers.** ``append()`` is one statement that bumps
  the session row's ``last_seq`` (which locks the row until COMMIT) and inserts the event with
  that seq; writers of one session queue on that row lock, those of other sessions do not
  wait. The primary key ``(session_id, seq)`` makes a duplicate seq impossible whatever happens.
- **A schema version**, in the table ``syncdoctor_schema``; a newer one is refused with
  SchemaVersionError before anything is written. The tables are created on first open (under an
  advisory lock, so that workers starting together create them once).
- **Threads** share a small pool of connections (``max_connections``, default 4; a thread waits
  up to ``busy_timeout`` seconds for one). **Processes** each open their own store: a store used
  after ``fork()`` refuses with StoreError, like SqliteStore.

The tables live in the first schema of the connection's ``search_path``: give a deployment a
schema of its own with ``?options=-csearch_path%3Dname`` in the URL. Messages name the store by
its redacted URL, and any text from the server is cleaned of the password before it is shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Self

import psycopg
from psycopg import conninfo, errors
from pydantic import ValidationError

from syncdoctor.interview.errors import (
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
from syncdoctor.interview.postgres_pool import Connection, ConnectionPool
from syncdoctor.interview.postgres_schema import APPEND, SCHEMA_VERSION, set_up
from syncdoctor.interview.store import (
    CLOSING_ROOM,
    MAX_EVENTS,
    check_header,
    check_page,
    check_room,
    check_session_id,
    fixed_by,
    in_effect_after,
    prepare_event,
)
from syncdoctor.interview.store_url import redact_url

SCHEMES = ("postgresql", "postgres")
__all__ = ["SCHEMA_VERSION", "SCHEMES", "PostgresStore"]


class PostgresStore:
    """Sessions in a PostgreSQL database, safe to share between threads, processes and machines.

    Args:
        url: ``postgresql://user:password@host:port/database`` (or ``postgres://``), with any
            libpq parameters in its query (``sslmode``, ``options``, ``host`` for a socket).
        busy_timeout: seconds to wait for another writer's lock on a session, or for a free
            connection of the pool, before failing with StoreError.
        max_connections: connections this store opens at most (shared by its threads).

    Raises:
        StoreError: a malformed URL, a server that cannot be reached or refuses the login, no
            right to create the tables, or tables that are not a syncdoctor store.
        SchemaVersionError: the tables were made by a newer syncdoctor.
    """

    def __init__(
        self, url: str, *, busy_timeout: float = 10.0, max_connections: int = 4
    ) -> None:
        self._url = url
        self._shown = redact_url(url) if isinstance(url, str) else "postgresql:"
        self._secret = self._password(url)
        self._busy_timeout = busy_timeout
        self._pool = ConnectionPool(
            self._connect, size=max_connections, wait=busy_timeout, name=self._shown
        )
        try:
            with self._transaction() as db:  # opens the first connection: fails early
                set_up(db, self.name)
        except BaseException:
            self._pool.close()
            raise

    @property
    def name(self) -> str:
        """The URL as given, its password shown as ``***`` and any query as ``?…``."""
        return self._shown

    # -- the SessionStore interface ----------------------------------------------------------

    def create(self, header: SessionHeader) -> None:
        """Write a new session; raises SessionExists when the id is taken."""
        encoded = check_header(self.name, header)
        with self._transaction() as db:
            inserted = db.execute(
                "INSERT INTO syncdoctor_sessions"
                " (id, created_at, updated_at, pack, title, header)"
                " VALUES (%s, %s, %s, %s, %s, %s::json) ON CONFLICT (id) DO NOTHING",
                (header.id, header.created_at, header.created_at, header.pack, header.title,
                 encoded),
            ).rowcount
            if inserted == 0:
                raise SessionExists(header.id, store=self.name)

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
        """Commit one event and return it with its ``seq``; returns only after the COMMIT."""
        draft, encoded = prepare_event(
            self.name, kind, source=source, fact=fact, value=value, at=at
        )
        check_session_id(self.name, session_id)
        change = in_effect_after(self.name, 1, kind) - 1  # +1 answer/skip, -1 undo, 0 others
        row = None
        while row is None:
            with self._transaction() as db:
                row = db.execute(
                    APPEND,
                    {"id": session_id, "change": change, "at": draft.at, "kind": kind,
                     "fact": draft.fact, "value": encoded, "source": source,
                     "pack": draft.value if kind == "choose_pack" else None,
                     "max_events": MAX_EVENTS + (CLOSING_ROOM if kind in (
                         "undo", "fixed", "not_fixed") else 0)},
                ).fetchone()
                if row is None:  # no such session, an undo with nothing in effect, or full
                    found = db.execute(
                        "SELECT in_effect, last_seq FROM syncdoctor_sessions WHERE id = %s",
                        (session_id,),
                    ).fetchone()
                    if found is None:
                        raise SessionNotFound(session_id, store=self.name)
                    check_room(self.name, found[1], kind)
                    in_effect_after(self.name, found[0], kind)  # raises "nothing to undo"
                    # else another writer's answer came in between: try again
        seq = int(row[0])
        return draft.model_copy(update={"seq": seq})

    def load(self, session_id: str) -> StoredSession:
        """The session's header and committed events, from one consistent snapshot."""
        check_session_id(self.name, session_id)
        with self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") as db:
            row = db.execute(
                "SELECT header::text FROM syncdoctor_sessions WHERE id = %s", (session_id,)
            ).fetchone()
            if row is None:
                raise SessionNotFound(session_id, store=self.name)
            rows = db.execute(
                "SELECT seq, kind, fact, value::text, at, source FROM syncdoctor_events"
                " WHERE session_id = %s ORDER BY seq",
                (session_id,),
            ).fetchall()
        try:
            header = SessionHeader.model_validate_json(row[0])
            events = tuple(
                SessionEvent(
                    seq=seq, kind=kind, fact=fact, at=at, source=source,
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
        with self._transaction() as db:
            rows = db.execute(
                # The latest event by its primary key: one lookup a row, no column to migrate.
                "SELECT s.id, s.created_at, s.updated_at, s.pack, s.title, s.in_effect, e.kind,"
                " e.value FROM syncdoctor_sessions s LEFT JOIN syncdoctor_events e"
                " ON e.session_id = s.id AND e.seq = s.last_seq"
                " ORDER BY s.updated_at DESC, s.id LIMIT %s OFFSET %s",
                (limit, offset),
            ).fetchall()
        return tuple(
            SessionSummary(
                id=id_, created_at=created, updated_at=updated, pack=pack, title=title,
                answers=answers, fixed=fixed_by(kind, value),
            )
            for id_, created, updated, pack, title, answers, kind, value in rows
        )

    def delete(self, session_id: str) -> bool:
        """Remove a session and its events (ON DELETE CASCADE); False when there was none."""
        try:
            check_session_id(self.name, session_id)
        except SessionNotFound:
            return False
        with self._transaction() as db:
            deleted = db.execute(
                "DELETE FROM syncdoctor_sessions WHERE id = %s", (session_id,)
            ).rowcount
        return deleted > 0

    def close(self) -> None:
        """Close the connections; later calls raise StoreError."""
        self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- connections, transactions and the schema --------------------------------------------

    def _password(self, url: str) -> str | None:
        scheme = url.partition("://")[0].lower() if isinstance(url, str) else ""
        if scheme not in SCHEMES:
            raise StoreError(
                "a PostgreSQL store URL starts with postgresql:// or postgres://",
                store=self._shown,
            )
        try:
            password = conninfo.conninfo_to_dict(url).get("password")
        except psycopg.Error:  # its text may quote the URL: say nothing of it
            raise StoreError(
                "not a valid PostgreSQL URL", store=self._shown,
                hint="postgresql://user:password@host:5432/database, percent-encoding "
                "'@', ':' and '/' in the password",
            ) from None
        return str(password) if password else None

    def _connect(self) -> Connection:
        timeout = conninfo.conninfo_to_dict(self._url).get("connect_timeout") or 10
        try:
            db = psycopg.connect(self._url, autocommit=True, connect_timeout=int(timeout))
        except psycopg.Error as error:
            raise self._error(error) from None
        try:
            # One round trip; is_local false: for the whole connection, not one transaction.
            db.execute(
                "SELECT set_config('TimeZone', 'UTC', false),"
                " set_config('synchronous_commit', 'on', false),"
                " set_config('lock_timeout', %s, false)",
                (f"{max(1, int(self._busy_timeout * 1000))}ms",),
            )
        except psycopg.Error as error:
            db.close()
            raise self._error(error) from None
        return db

    @contextmanager
    def _transaction(self, begin: str = "BEGIN") -> Iterator[Connection]:
        db = self._begin(begin)
        discard = True
        try:
            yield db
            db.execute("COMMIT")  # synchronous_commit=on: durable once this returns
            discard = False
        except psycopg.Error as error:
            raise self._error(error) from None
        except StoreError:
            discard = False  # our own refusal: the connection is fine once rolled back
            raise
        finally:
            if db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                try:
                    db.execute("ROLLBACK")
                except psycopg.Error:
                    discard = True
            self._pool.give_back(db, discard=discard)

    def _begin(self, begin: str) -> Connection:
        """A borrowed connection inside a new transaction.

        A connection that sat idle may have been cut (a server restart, an idle timeout): if
        BEGIN fails on it, nothing was written, so one fresh connection is tried instead.
        """
        for attempt in (1, 2):
            db, reused = self._pool.borrow()
            try:
                db.execute(begin)
                return db
            except psycopg.Error as error:
                self._pool.give_back(db, discard=True)
                if not (reused and attempt == 1 and isinstance(error, psycopg.OperationalError)):
                    raise self._error(error) from None
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _error(self, error: psycopg.Error) -> StoreError:
        diag = error.diag
        text = (diag.message_primary or str(error).strip().splitlines()[0] or "no message")
        if self._secret:
            text = text.replace(self._secret, "***")
        if isinstance(error, errors.LockNotAvailable):
            return StoreError(
                f"the session stayed locked by another writer for {self._busy_timeout:g} s",
                store=self.name,
            )
        if isinstance(error, errors.InsufficientPrivilege):
            return StoreError(
                f"permission denied: {text}", store=self.name,
                hint="the tables are created on first open: grant CREATE on the schema, or "
                "open the store once as its owner; then grant SELECT, INSERT, UPDATE, DELETE",
            )
        if isinstance(error, errors.InvalidSchemaName):
            return StoreError(
                f"no schema to keep the tables in: {text}", store=self.name,
                hint="create the schema named in search_path first",
            )
        if isinstance(error, psycopg.OperationalError) and diag.sqlstate is None:
            return StoreError(f"cannot reach the PostgreSQL server: {text}", store=self.name)
        code = f" {diag.sqlstate}" if diag.sqlstate else ""
        return StoreError(f"PostgreSQL error{code}: {text}", store=self.name)

