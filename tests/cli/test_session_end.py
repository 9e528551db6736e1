"""How an interview in the terminal ends: what it says of the session, and `sessions list`."""

from __future__ import annotations

from syncdoctor import Interview


def test_a_memory_session_is_not_said_to_be_resumable() -> None:
    from syncdoctor.cli.interview import saved_note

    assert saved_note("ab" * 16, None, kept=False).startswith("Not kept: a memory: store ends")
    assert saved_note("ab" * 16, "sqlite:s.db") == (
        f"Session saved. Resume it with: syncdoctor sessions resume {'ab' * 16} --store "
        "sqlite:s.db")


def test_sessions_list_counts_one_answer_in_the_singular(tmp_path, bundled_kb) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from syncdoctor import SqliteStore

    with SqliteStore(tmp_path / "s.db") as store:
        iv = Interview.start(store=store, pack="connectbooster", now="2024-05-01T12:00:00Z",
                             kb=bundled_kb)
        iv.answer("payment.applied_manually", True)
    done = subprocess.run([sys.executable, "-m", "syncdoctor", "sessions", "list", "--store",
                           f"sqlite:{tmp_path / 's.db'}"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{iv.id}" in done.stdout and "  1 answer   open  " in done.stdout
    with SqliteStore(tmp_path / "s.db") as store:
        Interview.resume(iv.id, store=store, kb=bundled_kb).fixed()
    done = subprocess.run([sys.executable, "-m", "syncdoctor", "sessions", "list", "--store",
                           f"sqlite:{tmp_path / 's.db'}"], capture_output=True, text=True,
                          timeout=120)
    assert "  1 answer   fixed " in done.stdout


def test_a_memory_store_from_the_environment_is_not_said_to_be_kept() -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "syncdoctor", "interview", "--pack", "impac"],
                          input="quit\n", capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SYNCDOCTOR_STORE": "memory:"})
    assert done.returncode == 0, done.stderr
    assert "Not kept: a memory: store ends with this process" in done.stdout
    assert "Resume it with" not in done.stdout


def test_the_conclusion_shows_a_consequence_steps_once_under_its_root() -> None:
    import io

    from rich.console import Console

    from syncdoctor import diagnose
    from syncdoctor.cli.terminal.show import show_conclusion

    result = diagnose({"error.message": '1020 - Terms Code "F48" is not defined in A/R Terms',
                       "sales_order.erp_sync_status": "failed"},
                      pack="sage300", now="2024-05-01T12:00:00Z")
    for terminal in (True, False):
        out = io.StringIO()
        show_conclusion(Console(file=out, width=200, force_terminal=terminal, color_system=None),
                        result)
        shown = out.getvalue()
        assert shown.count("the scheduler never retries it") == 1, shown
        assert "Resync Invoice" in shown and "**" not in shown  # rich's Markdown, or plain
        assert "The steps of cause 1 above (A valid terms code" in shown


def test_resuming_a_fixed_session_keeps_it_closed_unless_the_problem_came_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from syncdoctor import SqliteStore

    path = tmp_path / "s.db"
    with SqliteStore(path) as store:
        iv = Interview.start(store=store, pack="sage300", now="2024-05-01T12:00:00Z", facts={
            "error.message": '1020 - Terms Code "F48" is not defined in A/R Terms'})
        top = iv.diagnosis.causes[0].id
        iv.fixed()

    def resume(typed: str) -> str:
        done = subprocess.run([sys.executable, "-m", "syncdoctor", "sessions", "resume", iv.id,
                               "--store", f"sqlite:{path}"], input=typed, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    for typed in ("", "no\n"):  # nobody there, or "no": still closed
        assert "Fixed already" in resume(typed)
        with SqliteStore(path) as store:
            assert Interview.resume(iv.id, store=store).fixed_cause == top
    assert "reopened: ruled out" in resume("yes\n")
    with SqliteStore(path) as store:
        again = Interview.resume(iv.id, store=store)
        assert again.fixed_cause is None and top in again.not_fixed_causes


def test_a_scripts_refused_line_stops_the_interview_with_the_answers_before_it_kept(
        tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from syncdoctor import SqliteStore

    path = tmp_path / "s.db"
    # "yes" is no sync status: read on, "success" would answer the next question instead.
    done = subprocess.run([sys.executable, "-m", "syncdoctor", "interview", "--pack", "impac",
                           "--store", f"sqlite:{path}"], input="yes\nsuccess\n",
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "input line 1 was refused: the interview stops there" in done.stdout
    assert "The session is saved. Resume it with" in done.stdout and "Traceback" not in done.stderr
    with SqliteStore(path) as store:
        (summary,) = store.list()
        assert summary.answers == 0


def test_a_scripts_lines_are_echoed_with_their_credentials_masked() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "syncdoctor", "interview", "--store", "memory:"],
                          input="Xero sync failed: 401 password=hunter2 token=abc123\n\nquit\n",
                          capture_output=True, text=True, timeout=120)
    assert "password=***" in done.stdout and "hunter2" not in done.stdout + done.stderr
