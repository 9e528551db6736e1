"""Store URLs: the forms --store and SYNCDOCTOR_STORE take, the default file, and redaction."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from syncdoctor.interview import (
    MemoryStore,
    SqliteStore,
    StoreError,
    default_store_path,
    open_store,
)
from syncdoctor.interview.store_url import parse_sqlite_url, redact_url

from store_support import make_header


@pytest.fixture(autouse=True)
def no_store_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNCDOCTOR_STORE", raising=False)


def test_memory_gives_a_fresh_store_each_time() -> None:
    first, second = open_store("memory:"), open_store("memory:")
    assert isinstance(first, MemoryStore) and isinstance(second, MemoryStore)
    first.create(make_header())
    assert second.list() == ()


def test_an_absolute_sqlite_url_has_three_slashes(tmp_path: Path) -> None:
    with open_store(f"sqlite://{tmp_path}/sessions.db") as store:
        assert isinstance(store, SqliteStore)
        assert store.path == str(tmp_path / "sessions.db")
        assert store.name == f"sqlite://{tmp_path}/sessions.db"
    assert (tmp_path / "sessions.db").exists()


def test_a_relative_sqlite_url_has_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    with open_store("sqlite:data/sessions.db") as store:
        assert isinstance(store, SqliteStore)
        assert store.path == str(tmp_path / "data" / "sessions.db")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///srv/syncdoctor/sessions.db", "/srv/syncdoctor/sessions.db"),
        ("sqlite:sessions.db", "sessions.db"),
        ("sqlite:/srv/sessions.db", "/srv/sessions.db"),
        ("sqlite:///srv/my%20sessions%3F.db", "/srv/my sessions?.db"),
        ("SQLite:///srv/s.db", "/srv/s.db"),
    ],
)
def test_sqlite_urls_name_these_files(url: str, path: str) -> None:
    assert parse_sqlite_url(url) == Path(path)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite://db.example.com/sessions.db", "takes no host"),
        ("sqlite:///srv/s.db?mode=ro", "no query"),
        ("sqlite:///srv/s.db#x", "no query or fragment"),
        ("sqlite:", "needs a file path"),
        ("sqlite:///", "needs a file path"),
        ("sqlite:///srv/a%00b.db", "needs a file path"),
        ("memory:extra", "just 'memory:'"),
        ("mysql://root@db/sessions", "not a store URL"),
        ("sessions.db", "a file is written sqlite:sessions.db"),
        ("", "not a store URL"),
    ],
)
def test_malformed_urls_say_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(StoreError, match=says.replace("?", r"\?")):
        open_store(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://h/db?password=pw&sslmode=require", "postgresql://h/db?…"),
        ("postgresql://u:p/w@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:p@w@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:pw@h/db#frag", "postgresql://u:***@h/db?…"),
        ("redis://:pw@h:6379/0", "redis://:***@h:6379/0"),
        ("sqlite:///srv/sessions.db", "sqlite:///srv/sessions.db"),
        ("memory:", "memory:"),
        ("host=db port=5432 password=hunter2 dbname=x", "host=db port=5432 password=*** dbname=x"),
    ],
)
def test_redaction_hides_passwords_and_queries(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redaction_bounds_what_it_shows() -> None:
    assert len(redact_url("x://" + "h" * 10_000)) <= 201


def test_the_environment_variable_names_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCDOCTOR_STORE", f"sqlite://{tmp_path}/from-env.db")
    with open_store() as store:
        assert isinstance(store, SqliteStore) and store.path == str(tmp_path / "from-env.db")
    with open_store("memory:") as store:  # an explicit URL wins over the variable
        assert isinstance(store, MemoryStore)


def test_a_bad_environment_variable_is_named_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCDOCTOR_STORE", "mongodb://admin:hunter2@db/x")
    with pytest.raises(StoreError, match="SYNCDOCTOR_STORE=mongodb://admin:\\*\\*\\*@db/x") as raised:
        open_store()
    assert "hunter2" not in str(raised.value)


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_DATA_HOME is the Linux convention")
def test_the_default_file_is_under_the_user_data_directory_only_its_owner_enters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("SYNCDOCTOR_STORE", "")  # empty counts as unset
    assert default_store_path() == tmp_path / "data" / "syncdoctor" / "sessions.db"
    with open_store() as store:
        assert isinstance(store, SqliteStore)
        assert store.path == str(default_store_path())
    assert stat.S_IMODE(os.stat(tmp_path / "data" / "syncdoctor").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(default_store_path()).st_mode) == 0o600
