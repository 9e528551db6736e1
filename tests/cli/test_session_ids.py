"""A session named by the start of its id, as git names a commit: on the command line."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncdoctor import MemoryStore, SqliteStore
from syncdoctor.cli.session_ids import resume_session, session_id_for, whole_session_id
from syncdoctor.interview import SessionHeader, SessionNotFound, StoreInputError


def _session(store: MemoryStore | SqliteStore, session_id: str, pack: str | None = "impac"
             ) -> None:
    store.create(SessionHeader(id=session_id, created_at=datetime(2024, 5, 1, tzinfo=UTC),
                               pack=pack, kb_version="x", clock="2024-05-01T12:00:00Z"))


def test_a_start_names_the_one_session_it_fits_and_a_whole_id_names_itself(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    store = MemoryStore()
    for session_id in ("abcd1111", "abcd2222", "abcd", "ffff0000"):
        _session(store, session_id)
    assert session_id_for(store, "ffff") == "ffff0000"
    assert session_id_for(store, "abcd1") == "abcd1111"
    assert resume_session("abcd", store, bundled_kb).id == "abcd"  # whole, though a start too
    with pytest.raises(StoreInputError, match=r"'abcd' is the start of more than one session "
                       r"\(.*abcd1111.*\): give more of the id"):
        session_id_for(store, "abcd")
    for unknown in ("0000", "ab cd", ""):  # fits none, not an id
        with pytest.raises(SessionNotFound):
            session_id_for(store, unknown)
    with pytest.raises(StoreInputError, match="3 characters cannot stand for an id: give 4"):
        session_id_for(store, "abc")
    assert whole_session_id("ffff", store) == "ffff0000"
    assert whole_session_id("abcd", store) == "abcd"  # a whole id wins over being a start
    store.delete("ffff0000")
    with pytest.raises(SessionNotFound):
        whole_session_id("ffff", store)


def test_the_commands_take_a_start_of_the_id(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with SqliteStore(path) as store:
        _session(store, "0123456789abcdef0123456789abcdef")
        _session(store, "fedcba9876543210fedcba9876543210", pack=None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "syncdoctor", "sessions", *args,
                               "--store", f"sqlite:{path}"], capture_output=True, text=True,
                              timeout=120)

    shown = run("show", "0123")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("session 0123456789abcdef0123456789abcdef: pack impac")
    unchosen = run("show", "fedc")
    assert "no pack chosen yet (no pack recognises the facts)" in unchosen.stdout
    assert f"syncdoctor sessions resume fedcba9876543210fedcba9876543210 --store sqlite:{path}" in (
        unchosen.stdout.replace("\n", ""))
    assert "the diagnosis is complete" not in unchosen.stdout
    assert run("export", "0123").stdout.startswith("# ")
    assert run("delete", "fedcb").stdout == "deleted session fedcba9876543210fedcba9876543210\n"
    missing = run("show", "fedc")
    assert missing.returncode == 2 and "no session 'fedc'" in missing.stderr
    again = run("delete", "fedc")
    assert again.returncode == 2 and again.stderr == missing.stderr  # worded alike
