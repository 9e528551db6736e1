"""facts, new-case, packs --format json, --version, completion, colour, examples, bad case files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from syncdoctor import __version__, diagnose
from syncdoctor.casefile import read_case
from syncdoctor.cli.app import app
from syncdoctor.cli.examples import EXAMPLES
from syncdoctor.engine.knowledge import default_kb

from support import REPO

PACKS = sorted(default_kb().packs)
COMMENTED_FACT = re.compile(r"^  # ([a-z_][a-z0-9_.]*): (.*)$")


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Done:
    """The command in this process (click's runner): the bundled KB is compiled once."""
    result = CliRunner().invoke(app, list(args), input=stdin, env=env, catch_exceptions=False)
    return Done(result.exit_code, result.stdout, result.stderr)


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "syncdoctor", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("pack", PACKS)
def test_new_case_lists_every_fact_and_loads_once_filled_in(pack: str, tmp_path: Path) -> None:
    done = run("new-case", pack, "--now", "2024-05-01T12:00:00Z")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    listed = [m.group(1) for m in map(COMMENTED_FACT.match, lines) if m]
    assert sorted(listed) == sorted(default_kb().pack(pack).facts)  # every fact, once
    filled = tmp_path / "case.yaml"
    filled.write_text("\n".join(COMMENTED_FACT.sub(r"  \1: \2", line) for line in lines) + "\n",
                      encoding="utf-8")
    case = read_case(filled)
    assert set(case.facts) == set(listed)
    result = diagnose(case.facts, pack=case.pack, now=case.now)  # every value typed as valid
    assert result.pack == pack
    checked = run("diagnose", str(filled), "--format", "json")
    assert checked.returncode == 0, checked.stderr


def test_a_fresh_new_case_template_diagnoses_as_it_is(tmp_path: Path) -> None:
    # The README's first step: write the template, diagnose it before filling anything in.
    fresh = tmp_path / "case.yaml"
    fresh.write_text(run("new-case", "sage300").stdout, encoding="utf-8")
    assert read_case(fresh).facts == {}
    done = run("diagnose", str(fresh), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pack"] == "sage300"


def test_new_case_groups_facts_by_playbook_step() -> None:
    out = run("new-case", "sage300").stdout
    steps = re.findall(r"^  # --- step (\d+):", out, flags=re.M)
    assert steps and steps == sorted(steps, key=int)


def test_facts_json_gives_type_values_and_question_of_every_fact() -> None:
    done = run("facts", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    kb = default_kb()
    assert sorted((r["pack"], r["id"]) for r in rows) == sorted(
        (p, f) for p in kb.packs for f in kb.packs[p].facts)
    status = next(r for r in rows if r["pack"] == "impac" and r["id"] == "sync.status")
    assert status["type"] == "enum" and "failed" in status["values"] and status["ask"]


def test_facts_text_for_one_pack_and_a_bad_pack_is_refused_with_a_suggestion() -> None:
    out = run("facts", "sage300").stdout
    assert "error.message" in out and "What error does the Integration Monitor show" in out
    bad = run("facts", "sage3000")
    assert bad.returncode == 2 and "did you mean 'sage300'" in bad.stderr


def test_packs_json() -> None:
    rows = json.loads(run("packs", "--format", "json").stdout)
    assert [r["id"] for r in rows] == PACKS
    assert all(r["title"] and r["version"] and r["rules"] > 0 for r in rows)


def test_version_and_shell_completion() -> None:
    assert run("--version").stdout.strip() == f"syncdoctor {__version__}"
    # The script `--show-completion` prints for bash, asked for by name: `--show-completion`
    # itself guesses the shell from the parent processes, and a test run under `sh -c` is not
    # bash whatever SHELL says.
    script = Path(sys.executable).parent / "syncdoctor"
    completion = subprocess.run([str(script)], capture_output=True, text=True, timeout=120,
                                env={**os.environ, "_SYNCDOCTOR_COMPLETE": "source_bash"})
    assert completion.returncode == 0, completion.stderr
    assert "complete -o default -F _syncdoctor_completion syncdoctor" in completion.stdout


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_command_help_ends_with_examples(command: str) -> None:
    done = run(*command.split(), "--help")
    assert done.returncode == 0, done.stderr
    tail = done.stdout.split("Examples:", 1)[1]
    for example in EXAMPLES[command]:
        assert example in tail


def test_piped_output_has_no_colour_and_no_color_is_honoured() -> None:
    piped = run_process("facts", "impac")
    assert "\x1b[" not in piped.stdout
    from syncdoctor.cli.console import use_colour

    class Tty:
        def isatty(self) -> bool:
            return True

    os.environ.pop("NO_COLOR", None)
    previous = os.environ.get("TERM")
    os.environ["TERM"] = "xterm"
    try:
        assert use_colour(Tty())
        os.environ["NO_COLOR"] = "1"
        assert not use_colour(Tty())
    finally:
        os.environ.pop("NO_COLOR", None)
        if previous is None:
            os.environ.pop("TERM", None)
        else:
            os.environ["TERM"] = previous


def _refused_by_both(case: Path) -> Iterator[str]:
    """The stderr of `diagnose` and of `interview` on a case file both must refuse."""
    for command in ("diagnose", "interview"):
        extra = ("--store", "memory:") if command == "interview" else ()
        done = run(command, str(case), *extra)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        yield done.stderr


def test_a_date_that_does_not_exist_is_one_located_problem_among_the_others(
        tmp_path: Path) -> None:
    """Unquoted, 2024-05-32 is text (as YAML 1.2 reads every date), not a YAML error hiding
    the rest of the file; a date alone for `now` is told to add the time."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("pack: impac\nnow: 2024-05-01T12:00:00Z\nfacts:\n  sync.status: failedx\n"
                   "  sync.last_success_at: 2024-05-32T08:00:00Z\n", encoding="utf-8")
    for err in _refused_by_both(bad):
        assert "2 problems" in err and "KB001" not in err
        assert f"{bad}:5:25: CASE102 sync.last_success_at: expected an ISO 8601 date-time" in err
    clock = tmp_path / "clock.yaml"
    clock.write_text("pack: impac\nnow: 2024-05-01\nfacts: {sync.status: failed}\n",
                     encoding="utf-8")
    done = run("diagnose", str(clock))
    assert done.returncode == 2
    assert "KB101 a date alone is not a date-time: add the time, e.g. 2024-05-01T10:00:00Z" in (
        done.stderr)


def test_a_bad_case_file_reports_every_problem_located_with_did_you_mean(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("pack: impac\nfacts:\n  app.nam: Xero\n  app.linked: maybe\n"
                   "  sync.status: failedx\n", encoding="utf-8")
    for err in _refused_by_both(bad):
        assert "3 problems" in err and "Traceback" not in err
        assert f"{bad}:3:3: CASE101 unknown fact 'app.nam'" in err
        assert "did you mean 'app.name'?" in err
        assert f"{bad}:4:15: CASE102 app.linked" in err
        assert f"{bad}:5:16: CASE102 sync.status" in err and "did you mean 'failed'?" in err


def test_a_case_files_shape_and_yaml_mistakes_are_located_and_said_once(tmp_path: Path) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text("pack: impac\nfact:\n  sync.status: failed\n", encoding="utf-8")
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("pack: impac\nfacts:\n  sync.status: failed\n   app.name: Xero\n",
                      encoding="utf-8")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    for err in _refused_by_both(typo):
        assert f"{typo}:2:1: KB102 unknown key 'fact'" in err and "'facts'?" in err
        assert "KB103" not in err  # the same typo, not a second problem
    for err in _refused_by_both(syntax):
        assert f"{syntax}:4:12: KB001 YAML syntax error" in err
        assert "    4 |    app.name: Xero\n      |            ^" in err  # the line, a caret
    for err in _refused_by_both(empty):
        assert "expected a mapping with a 'facts' key (the file is empty)" in err


def test_a_case_files_pack_clock_and_unknown_list_are_located_too(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("pack: impak\nnow: tomorrow\nfacts:\n  sync.status: failed\n"
                   "unknown: [sync.statu, sync.status]\n", encoding="utf-8")
    for err in _refused_by_both(bad):
        assert "4 problems" in err
        assert f"{bad}:1:7: CASE103 unknown pack 'impak'" in err and "'impac'?" in err
        assert f"{bad}:2:6: CASE105 now: expected an ISO 8601" in err
        assert f"{bad}:5:11: CASE104 unknown fact 'sync.statu' declared unknown" in err
        assert f"{bad}:5:23: CASE104 sync.status is both given a value and declared unknown" in err
    # A --pack and a --now on the command line win over the file's own: those are not checked
    # there, and a bad --now is a usage error naming the option.
    overridden = run("diagnose", str(bad), "--pack", "impac", "--now", "2024-05-01T00:00:00Z")
    assert "2 problems" in overridden.stderr and "CASE103" not in overridden.stderr
    assert "CASE105" not in overridden.stderr
    good = tmp_path / "good.yaml"
    good.write_text("pack: impac\nfacts:\n  sync.status: failed\n", encoding="utf-8")
    clock = run("diagnose", str(good), "--now", "yesterday")
    assert clock.returncode == 2 and "Invalid value for '--now'" in clock.stderr
    assert "fact 'now'" not in clock.stderr


def test_sessions_show_never_cuts_a_fact_id_short(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 's.db'}"
    case = tmp_path / "case.yaml"
    case.write_text("pack: sage300\nfacts:\n  sales_order.erp_sync_status: failed\n",
                    encoding="utf-8")
    started = run("interview", str(case), "--store", store, stdin="quit\n")
    session_id = re.search(r"sessions resume ([0-9a-f]{32})", started.stdout).group(1)
    shown = run("sessions", "show", session_id, "--store", store, env={"COLUMNS": "40"})
    row = next(line for line in shown.stdout.splitlines() if line.startswith("sales_order."))
    assert row.split()[0] == "sales_order.erp_sync_status" and "start" in row.split()


def test_interview_on_a_closed_stdin_quits_cleanly() -> None:
    done = run_process("interview", "--store", "memory:")
    assert done.returncode == 0 and "Traceback" not in done.stdout + done.stderr
    assert "Nothing was saved" in done.stdout


def test_sessions_list_export_and_delete(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 's.db'}"
    script = "skip\nskip\nquit\n"
    started = run("interview", "--pack", "impac", "--now", "2024-05-01T12:00:00Z",
                  "--store", store, stdin=script)
    assert started.returncode == 0, started.stderr
    session_id = re.search(r"sessions resume ([0-9a-f]{32})", started.stdout).group(1)
    listed = json.loads(run("sessions", "list", "--format", "json", "--store", store).stdout)
    assert [s["id"] for s in listed] == [session_id] and listed[0]["answers"] == 2
    exported = json.loads(run("sessions", "export", session_id, "--format", "json",
                              "--store", store).stdout)
    assert exported["session"] == session_id
    skipped = [a["fact"] for a in exported["asked"]]
    assert len(skipped) == 2 and all(a["unknown"] for a in exported["asked"])
    assert exported["diagnosis"]["unknown"] == sorted(skipped)
    markdown = run("sessions", "export", session_id, "--store", store)
    assert markdown.returncode == 0 and markdown.stdout.startswith("#")
    shown = run("sessions", "show", session_id, "--store", store)
    assert skipped[0] in shown.stdout and "next question" in shown.stdout
    # A skip says who said "don't know", and when, as an answer does.
    line = next(ln for ln in shown.stdout.splitlines() if ln.startswith(skipped[0]))
    assert re.search(r"don't know\s+agent\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line), line
    text = run("sessions", "list", "--store", store).stdout.splitlines()
    assert text[0].split() == ["session", "updated", "(UTC)", "pack", "answers", "status", "title"]
    assert text[1].startswith(session_id)
    assert text[0].index("answers") == text[1].index("answers")
    assert run("sessions", "delete", session_id, "--store", store).returncode == 0
    gone = run("sessions", "delete", session_id, "--store", store)
    assert gone.returncode == 2 and "no session" in gone.stderr
    assert yaml.safe_load(run("sessions", "list", "--format", "json", "--store", store).stdout) == []
