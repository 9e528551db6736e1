"""What only the PostgreSQL store promises: URLs, the schema, locks, lost connections, fork, roles.

Run against the throwaway server of tests/postgres_server.py; each test's tables are in a schema
of their own (the ``postgres_url`` fixture).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from syncdoctor.interview import (
    PostgresStore,
    SchemaVersionError,
    StoreError,
    open_store,
)
from syncdoctor.interview.postgres_store import SCHEMA_VERSION

from postgres_server import PostgresServer
from store_support import make_header

CHILD = Path(__file__).with_name("store_child.py")


def schema_of(url: str) -> str:
    return url.rpartition("%3D")[2]


def test_both_url_schemes_open_the_same_store(postgres_url: str) -> None:
    header = make_header()
    with open_store(postgres_url) as store:
        assert isinstance(store, PostgresStore)
        store.create(header)
        assert ":***@127.0.0.1:" in store.name and "?…" in store.name
    alias = postgres_url.replace("postgresql://", "postgres://", 1)
    with open_store(alias) as store:
        assert isinstance(store, PostgresStore)
        assert [summary.id for summary in store.list()] == [header.id]


def test_sessions_survive_closing_and_reopening(postgres_url: str) -> None:
    header = make_header()
    with PostgresStore(postgres_url) as store:
        store.create(header)
        first = store.append(header.id, "answer", fact="a", value={"x": [1, "two"]}, source="agent")
    with PostgresStore(postgres_url) as store:
        assert store.load(header.id).events == (first,)
        assert store.append(header.id, "skip", fact="b", source="agent").seq == 2


def test_values_are_kept_as_written_not_as_jsonb_would(postgres_url: str) -> None:
    # jsonb would reorder these keys (shortest first); json keeps the text as written.
    value = {"zeta": 1.0, "a": "\x00 and é", "mid": [3, {"b": 2, "a": 1}]}
    header = make_header(facts={"nul\x00key": "nul\x00value"})
    with PostgresStore(postgres_url) as store:
        store.create(header)
        store.append(header.id, "answer", fact="f", value=value, source="agent")
        loaded = store.load(header.id)
    assert list(loaded.events[0].value) == ["zeta", "a", "mid"]  # type: ignore[arg-type]
    assert loaded.events[0].value == value
    assert loaded.header.facts == {"nul\x00key": "nul\x00value"}


def test_the_schema_is_versioned_and_a_newer_one_is_refused_untouched(
    postgres_url: str, postgres_server: PostgresServer
) -> None:
    with PostgresStore(postgres_url) as store:
        store.create(make_header())
    admin = postgres_server.admin()
    table = f"{schema_of(postgres_url)}.syncdoctor_schema"
    assert admin.execute(f"SELECT version FROM {table}").fetchall() == [(SCHEMA_VERSION,)]
    admin.execute(f"UPDATE {table} SET version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="newer than this syncdoctor reads") as raised:
        PostgresStore(postgres_url)
    assert (raised.value.found, raised.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert postgres_server.password not in str(raised.value)
    assert admin.execute(f"SELECT version FROM {table}").fetchall() == [(SCHEMA_VERSION + 1,)]


def test_another_applications_table_of_that_name_is_refused(
    postgres_url: str, postgres_server: PostgresServer
) -> None:
    schema = schema_of(postgres_url)
    postgres_server.admin().execute(f"CREATE TABLE {schema}.syncdoctor_sessions (name text)")
    with pytest.raises(StoreError, match="not a syncdoctor session store"):
        PostgresStore(postgres_url)
    columns = postgres_server.admin().execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = 'syncdoctor_sessions'", (schema,)
    ).fetchall()
    assert columns == [("name",)]


def test_workers_opening_an_empty_schema_together_create_the_tables_once(postgres_url: str) -> None:
    opened: list[PostgresStore] = []
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        try:
            start.wait()
            opened.append(PostgresStore(postgres_url))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not failures, failures
        header = make_header()
        opened[0].create(header)
        assert [summary.id for summary in opened[3].list()] == [header.id]
    finally:
        for store in opened:
            store.close()


def test_every_connection_commits_synchronously_in_utc(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        connection, _ = store._pool.borrow()
        try:
            settings = connection.execute(
                "SELECT current_setting('synchronous_commit'), current_setting('TimeZone')"
            ).fetchone()
        finally:
            store._pool.give_back(connection)
    assert settings == ("on", "UTC")


def test_a_wrong_password_is_a_clear_error_that_shows_no_password(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.url().replace(quote(postgres_server.password, safe=""), "hunter2-wrong")
    with pytest.raises(StoreError, match="password authentication failed") as raised:
        open_store(url)
    assert "hunter2" not in str(raised.value) and "hunter2" not in str(raised.value.to_dict())
    assert "postgres:***@127.0.0.1" in str(raised.value)


def test_a_server_that_is_not_there_is_named(postgres_server: PostgresServer) -> None:
    url = postgres_server.url().replace(f":{postgres_server.port}/", ":1/")
    with pytest.raises(StoreError, match="cannot reach the PostgreSQL server") as raised:
        PostgresStore(url)
    assert postgres_server.password not in str(raised.value)


def test_psycopg_missing_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what `import psycopg` meets without it
    monkeypatch.delitem(sys.modules, "syncdoctor.interview.postgres_store", raising=False)
    monkeypatch.delitem(sys.modules, "syncdoctor.interview.postgres_pool", raising=False)
    with pytest.raises(StoreError, match="need psycopg, which is not installed") as raised:
        open_store("postgresql://agent:hunter2@db.example/sessions")
    assert "syncdoctor[service]" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_a_writer_that_holds_the_session_too_long_gives_a_clear_error(
    postgres_url: str, postgres_server: PostgresServer
) -> None:
    header = make_header()
    with PostgresStore(postgres_url, busy_timeout=0.05) as store:
        store.create(header)
        with psycopg.connect(postgres_url) as blocker:  # not autocommit: holds the row lock
            blocker.execute("SELECT 1 FROM syncdoctor_sessions WHERE id = %s FOR UPDATE",
                            (header.id,))
            with pytest.raises(StoreError, match=r"locked by another writer for 0\.05 s"):
                store.append(header.id, "skip", fact="a", source="agent")
            other = make_header()
            store.create(other)  # other sessions are not held up
            assert store.append(other.id, "skip", fact="a", source="agent").seq == 1
            blocker.rollback()
        assert store.append(header.id, "skip", fact="a", source="agent").seq == 1


def test_a_busy_pool_makes_a_thread_wait_then_fail_clearly(postgres_url: str) -> None:
    with PostgresStore(postgres_url, busy_timeout=0.05, max_connections=1) as store:
        held, _ = store._pool.borrow()
        try:
            with pytest.raises(StoreError, match="all 1 connections stayed busy"):
                store.list()
        finally:
            store._pool.give_back(held)
        assert store.list() == ()


def test_connections_cut_by_the_server_are_replaced(
    postgres_url: str, postgres_server: PostgresServer
) -> None:
    header = make_header()
    with PostgresStore(postgres_url) as store:
        store.create(header)
        cut = postgres_server.admin().execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = 'syncdoctor' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        ).fetchone()
        assert cut is not None and cut[0] >= 1
        assert store.append(header.id, "skip", fact="a", source="agent").seq == 1
        assert len(store.load(header.id).events) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_store_used_after_fork_refuses_and_leaves_the_parent_working(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        store.create(make_header())
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: must refuse, and closing must not end the parent's session
            try:
                store.list()
                message = "no error"
            except StoreError as error:
                message = str(error)
            store.close()
            os.write(writing, message.encode())
            os._exit(0)
        os.close(writing)
        with os.fdopen(reading) as pipe:
            message = pipe.read()
        os.waitpid(pid, 0)
        assert "opened before fork()" in message and "open the store again" in message
        assert len(store.list()) == 1  # the parent's pooled connection still works


def test_a_role_that_may_not_create_the_tables_is_told_what_to_grant(
    postgres_url: str, postgres_server: PostgresServer
) -> None:
    schema = schema_of(postgres_url)
    role, password = f"reader_{schema}", "reader-pw-9"
    admin = postgres_server.admin()
    admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    try:
        admin.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        url = postgres_url.replace(f"postgres:{quote(postgres_server.password, safe='')}@",
                                   f"{role}:{password}@")
        with pytest.raises(StoreError, match="permission denied") as raised:
            PostgresStore(url)
        assert "grant CREATE on the schema" in str(raised.value)
        assert password not in str(raised.value)
        with PostgresStore(postgres_url):  # the owner creates the tables once ...
            pass
        admin.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}")
        with PostgresStore(url) as store:  # ... then the role only reads and writes them
            header = make_header()
            store.create(header)
            assert store.append(header.id, "skip", fact="a", source="agent").seq == 1
    finally:
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")


def test_a_session_started_by_one_process_is_carried_on_by_another(postgres_url: str) -> None:
    # Through the store API: syncdoctor.Interview is not on main yet (issue 10's interview).
    def run(*arguments: str) -> str:
        done = subprocess.run([sys.executable, str(CHILD), *arguments], capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    session = run("start", postgres_url)
    assert run("carry-on", postgres_url, session) == "seen sync.error_code"
    with PostgresStore(postgres_url) as store:
        loaded = store.load(session)
    assert [(event.seq, event.kind, event.fact) for event in loaded.events] == [
        (1, "answer", "sync.error_code"), (2, "skip", "payment.method"),
    ]


def test_a_damaged_session_is_reported_not_raised_raw(
    postgres_url: str, postgres_server: PostgresServer
) -> None:
    header = make_header()
    with PostgresStore(postgres_url) as store:
        store.create(header)
        store.append(header.id, "skip", fact="a", source="agent")
        postgres_server.admin().execute(
            f"UPDATE {schema_of(postgres_url)}.syncdoctor_events SET kind = 'shrug'"
        )
        with pytest.raises(StoreError, match="damaged"):
            store.load(header.id)
