"""Test files: a file-level `defaults:`, and every id they name checked against the pack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from syncdoctor import KnowledgeBaseError, load_kb
from syncdoctor.authoring.scaffold import scaffold
from syncdoctor.authoring.testing import run_tests

CLOCK = "    now: 2024-05-01T12:00:00Z\n"


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    scaffold("acme", root)
    return root


def _tests(pack_dir: Path) -> Path:
    return pack_dir / "rules" / "acme.test.yaml"


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def _problems(pack_dir: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        run_tests(load_kb([pack_dir], bundled=False))
    return [p.headline() for p in caught.value.problems]


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def _write_cases(pack_dir: Path, defaults: str, cases: str) -> None:
    _tests(pack_dir).write_text(f"pack: acme\n{defaults}cases:\n{cases}")


def test_the_scaffold_states_its_clock_once(pack_dir: Path) -> None:
    text = _tests(pack_dir).read_text()
    assert "defaults:\n  now: 2024-05-01T12:00:00Z" in text
    assert CLOCK not in text


def test_a_case_without_a_clock_or_a_default_one_is_located(pack_dir: Path) -> None:
    _edit(_tests(pack_dir), "  now: 2024-05-01T12:00:00Z", "  facts: {}")
    problems = _problems(pack_dir)
    assert len(problems) == 3
    first = _line_of(_tests(pack_dir), "- name: a failed synchronisation")
    assert f"acme.test.yaml:{first}:5: KB103" in problems[0], problems[0]
    assert "KB103 missing required key 'now'" in problems[0]
    assert "defaults" in problems[0]


def test_a_case_clock_wins_over_the_default(pack_dir: Path) -> None:
    # A case two days earlier than the default clock: the age test sees its own clock.
    _write_cases(pack_dir, "defaults:\n  now: 2030-01-01T00:00:00Z\n", (
        "  - name: own clock\n"
        "    now: 2024-05-01T12:00:00Z\n"
        "    facts: {sync.status: failed}\n"
        "    expect: {causes: [sync_failed]}\n"
    ))
    report = run_tests(load_kb([pack_dir], bundled=False))
    assert report.totals.failed == 0
    from syncdoctor.authoring.testcheck import load_test_file

    cases = load_test_file(_tests(pack_dir)).resolved()
    assert cases[0].now is not None and cases[0].now.year == 2024


def test_default_facts_lie_under_each_case(pack_dir: Path) -> None:
    _write_cases(pack_dir, "defaults:\n  now: 2024-05-01T12:00:00Z\n  facts: {sync.status: failed}\n", (
        "  - name: the default alone\n"
        "    expect: {causes: [sync_failed], fired: [acme.sync-failed]}\n"
        "  - name: the case's own value wins\n"
        "    facts: {sync.status: success}\n"
        "    expect: {absent: [sync_failed], ruled_out: [sync_failed]}\n"
        "  - name: null leaves the default fact out\n"
        "    facts: {sync.status: null}\n"
        "    expect: {absent: [sync_failed], silent: [acme.sync-failed, acme.sync-failed.otherwise],"
        " questions: [sync.status]}\n"
        "  - name: both, merged\n"
        "    facts: {error.message: 'Request timed out'}\n"
        "    expect: {causes: [sync_failed, timeout]}\n"
    ))
    report = run_tests(load_kb([pack_dir], bundled=False))
    assert [c.failures for c in report.cases] == [[], [], [], []]
    assert report.totals.passed == 4 + len(report.examples)  # the scaffold's two examples too


def test_default_facts_that_break_a_case_fail_it(pack_dir: Path) -> None:
    # The same case as above, honest the other way: a default that changes the outcome shows.
    _write_cases(pack_dir, "defaults:\n  now: 2024-05-01T12:00:00Z\n  facts: {sync.status: success}\n", (
        "  - name: the default rules the failure out\n"
        "    expect: {causes: [sync_failed]}\n"
    ))
    report = run_tests(load_kb([pack_dir], bundled=False))
    assert report.totals.failed == 1


@pytest.mark.parametrize(
    ("old", "new", "typo", "code", "suggestion"),
    [
        ("absent: [timeout]", "absent: [timout]", "timout", "KB105", "timeout"),
        ("silent: [acme.sync-failed,", "silent: [acme.sync-faild,", "acme.sync-faild", "KB115",
         "acme.sync-failed"),
        ("fired: [acme.timeout]", "fired: [acme.timeot]", "acme.timeot", "KB115", "acme.timeout"),
        ("ruled_out: [sync_failed]", "ruled_out: [sync_faild]", "sync_faild", "KB105",
         "sync_failed"),
        ("questions: [error.kind]", "questions: [error.knd]", "error.knd", "KB104", "error.kind"),
        ("remediation_contains: {timeout:", "remediation_contains: {timeot:", "timeot", "KB105",
         "timeout"),
        ("facts: {sync.status: success}", "facts: {sync.stauts: success}", "sync.stauts", "KB104",
         "sync.status"),
    ],
)
def test_a_misspelt_id_is_an_unknown_id_with_its_place(
    pack_dir: Path, old: str, new: str, typo: str, code: str, suggestion: str
) -> None:
    path = _tests(pack_dir)
    _edit(path, old, new)
    problems = _problems(pack_dir)
    assert len(problems) == 1, problems
    line = _line_of(path, new)
    column = path.read_text().splitlines()[line - 1].index(typo) + 1
    assert f"acme.test.yaml:{line}:{column}: {code} unknown" in problems[0], problems[0]
    assert f"{typo!r} in pack 'acme'" in problems[0]
    assert f"(did you mean {suggestion!r}?)" in problems[0]


def test_every_unknown_id_is_listed_at_once_in_file_order(pack_dir: Path) -> None:
    path = _tests(pack_dir)
    _edit(path, "absent: [timeout]", "absent: [timout]")
    _edit(path, "silent: [acme.sync-failed, acme.timeout]", "silent: [acme.sync-faild, acme.timeot]")
    problems = _problems(pack_dir)
    assert [p.split(" ")[1] for p in problems] == ["KB105", "KB115", "KB115"]
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)


def test_corpus_ids_are_checked_too(pack_dir: Path) -> None:
    path = _tests(pack_dir)
    path.write_text(path.read_text() + (
        "corpus:\n"
        "  - text: 'Acme: request timed out'\n"
        "    extracted: {error.knd: timeout}\n"
        "    absent: [sync_faild]\n"
    ))
    problems = _problems(pack_dir)
    assert any("KB104 unknown fact 'error.knd'" in p and "did you mean 'error.kind'" in p
               for p in problems), problems
    assert any("KB105 unknown cause 'sync_faild'" in p for p in problems), problems


def test_a_value_the_pack_refuses_is_located_before_any_case_runs(pack_dir: Path) -> None:
    """In a case and in the defaults, each with its place: not a failed case with a false gap."""
    path = _tests(pack_dir)
    _edit(path, "facts: {sync.status: success}", "facts: {sync.status: succeeded}")
    _edit(path, "defaults:\n", "defaults:\n  facts: {sync.status: failure}\n")
    problems = _problems(pack_dir)
    assert [p.split(" ", 1)[1] for p in problems] == [
        "KB109 sync.status: expected one of success, failed; got 'failure' (did you mean "
        "'failed'?) (at defaults.facts.sync.status)",
        "KB109 sync.status: expected one of success, failed; got 'succeeded' (did you mean "
        "'success'?) (at cases[2].facts.sync.status)"]
    line = _line_of(path, "{sync.status: succeeded}")
    column = path.read_text().splitlines()[line - 1].index("succeeded") + 1
    assert problems[1].startswith(f"{path.parent.parent.name}/rules/acme.test.yaml:{line}:"
                                  f"{column}: ") or f":{line}:{column}: KB109" in problems[1]


def test_the_cli_exits_2_and_shows_the_caret(pack_dir: Path) -> None:
    _edit(_tests(pack_dir), "absent: [timeout]", "absent: [timout]")
    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "kb", "test", "--kb", str(pack_dir), "--no-bundled"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "KB105 unknown cause 'timout' in pack 'acme'" in done.stderr
    assert "absent: [timout]" in done.stderr and "^" in done.stderr


@pytest.mark.parametrize("output", ["text", "json"])
def test_lint_reads_the_test_files_and_test_reports_them_as_json(
        pack_dir: Path, output: str) -> None:
    _edit(_tests(pack_dir), "absent: [timeout]", "absent: [timout]")
    for command in ("lint", "test"):
        done = subprocess.run(
            [sys.executable, "-m", "syncdoctor", "kb", command, "--kb", str(pack_dir),
             "--no-bundled", "--format", output], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        if output == "json":
            (error,) = json.loads(done.stdout)["errors"]
            assert (error["code"], error["path"]) == ("KB105", "cases[0].expect.absent[0]")
        else:
            assert "KB105 unknown cause 'timout' in pack 'acme'" in done.stderr


def test_the_bundled_test_files_name_only_real_ids(bundled_kb) -> None:
    # run_tests raises on any unknown id before running a case.
    assert run_tests(bundled_kb, packs=["mambu_xero"]).totals.failed == 0


def test_a_case_written_after_the_corpus_is_told_to_go_under_cases(pack_dir: Path) -> None:
    tests = pack_dir / "rules" / "acme.test.yaml"
    tests.write_text(tests.read_text() + (
        "corpus:\n  - text: 'Request timed out'\n    causes: [timeout]\n"
        "  - name: a late case\n    facts: {sync.status: failed}\n"
        "    expect: {causes: [sync_failed]}\n"))
    with pytest.raises(KnowledgeBaseError) as caught:
        run_tests(load_kb([pack_dir], bundled=False))
    said = [p.message for p in caught.value.problems if p.code == "KB102"]
    assert said and all("Cases go under 'cases:'" in m for m in said), said
    assert all(p.suggestion is None for p in caught.value.problems if p.code == "KB102")
