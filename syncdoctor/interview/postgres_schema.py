"""The PostgreSQL store's tables: their definition, their version, and the append statement.

The tables go in the first schema of the connection's ``search_path`` (``public`` unless the URL
says ``?options=-csearch_path%3Dname``), each name prefixed ``syncdoctor_`` so that they can share
a database with an application's own. ``syncdoctor_schema`` holds the schema version: a newer one
than this release knows is refused before anything is written.
"""

from __future__ import annotations

from syncdoctor.interview.errors import SchemaVersionError, StoreError
from syncdoctor.interview.postgres_pool import Connection

SCHEMA_VERSION = 1
_SETUP_LOCK = 0x53594E44  # pg_advisory_xact_lock key ("SYND"): one worker creates the tables

# ids in the "C" collation, so that the listing's tie order is byte order, as in every store.
# Values are json (kept as written, unlike jsonb, which reorders object keys).
SCHEMA = (
    "CREATE TABLE syncdoctor_schema (version integer NOT NULL)",
    """CREATE TABLE syncdoctor_sessions (
        id          text COLLATE "C" PRIMARY KEY,
        created_at  timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL,
        pack        text,
        title       text,
        in_effect   integer NOT NULL DEFAULT 0,  -- answers and skips not undone
        last_seq    integer NOT NULL DEFAULT 0,
        header      json NOT NULL                -- the SessionHeader
    )""",
    """CREATE TABLE syncdoctor_events (
        session_id  text COLLATE "C" NOT NULL
                    REFERENCES syncdoctor_sessions (id) ON DELETE CASCADE,
        seq         integer NOT NULL,
        kind        text NOT NULL,
        fact        text,
        value       json,                        -- NULL when the event has no value
        at          timestamptz NOT NULL,
        source      text NOT NULL,
        PRIMARY KEY (session_id, seq)
    )""",
    "CREATE INDEX syncdoctor_sessions_by_update ON syncdoctor_sessions (updated_at DESC, id)",
)


# One statement: the UPDATE locks the session's row (a concurrent writer waits, then sees the
# new last_seq) and the INSERT takes the seq it returned. No row: no session, nothing to undo, or
# a full session.
APPEND = """
WITH session AS (
    UPDATE syncdoctor_sessions
       SET last_seq = last_seq + 1, in_effect = in_effect + %(change)s,
           updated_at = greatest(updated_at, %(at)s), pack = coalesce(%(pack)s, pack)
     WHERE id = %(id)s AND in_effect + %(change)s >= 0 AND last_seq < %(max_events)s
 RETURNING last_seq
)
INSERT INTO syncdoctor_events (session_id, seq, kind, fact, value, at, source)
SELECT %(id)s, last_seq, %(kind)s, %(fact)s, %(value)s::json, %(at)s, %(source)s FROM session
RETURNING seq
"""


def set_up(db: Connection, store: str) -> None:
    """Check the schema version; create the tables in an empty schema (inside a transaction).

    Raises:
        StoreError: tables that are not a syncdoctor store, or no schema to create them in.
        SchemaVersionError: tables of a newer schema version.
    """
    if schema_version(db, store) == 0:
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
        if schema_version(db, store) == 0:  # again under the lock: another worker may have
            for statement in SCHEMA:
                db.execute(statement)
            db.execute("INSERT INTO syncdoctor_schema (version) VALUES (%s)", (SCHEMA_VERSION,))


def schema_version(db: Connection, store: str) -> int:
    """The schema version found (0: no tables yet); raises for anything else."""
    # A query of the catalog, not to_regclass(): its cache may not yet see tables that
    # another worker committed while we waited for the setup lock.
    row = db.execute(
        "SELECT current_schema(), count(*) FILTER (WHERE tablename = 'syncdoctor_schema'),"
        " count(*) FILTER (WHERE tablename = 'syncdoctor_sessions')"
        " FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
    ).fetchone()
    schema, has_version, has_sessions = row if row is not None else (None, 0, 0)
    if schema is None:
        raise StoreError(
            "no schema of the search_path exists to keep the tables in", store=store,
            hint="create the schema named in search_path (?options=-csearch_path%3Dname)",
        )
    if not has_version:
        if has_sessions:
            raise StoreError(
                "a syncdoctor_sessions table is there but no syncdoctor_schema: "
                "not a syncdoctor session store", store=store,
                hint="use another database or schema (?options=-csearch_path%3Dname)",
            )
        return 0
    found = db.execute("SELECT max(version) FROM syncdoctor_schema").fetchone()
    version = found[0] if found is not None else None
    if version is None or version < 1:
        raise StoreError("the session store has no schema version", store=store)
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(version, SCHEMA_VERSION, store=store)
    return int(version)  # older versions will be migrated here once there are any

