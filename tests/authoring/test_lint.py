"""kb lint: each check finds what it should, suppressions work, exit codes tell the outcome."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from syncdoctor import load_kb
from syncdoctor.authoring.lint import finding_json, lint, pattern_risk
from syncdoctor.authoring.scaffold import scaffold

from support import FIXTURES


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    scaffold("acme", root)
    return root


def _codes(root: Path) -> set[tuple[str, str]]:
    return {(f.check, f.id) for f in lint(load_kb([root], bundled=False)).findings}


def _declare_facts(root: Path, text: str) -> None:
    """Add facts (YAML lines under ``facts:``) to the scaffold's catalogue."""
    facts = root / "facts" / "acme.yaml"
    facts.write_text(facts.read_text().replace("extractors:", text + "extractors:"))


def _append_rule(root: Path, text: str) -> None:
    rules = root / "rules" / "acme.yaml"
    rules.write_text(rules.read_text() + text)


def test_the_scaffold_is_clean(pack_dir: Path) -> None:
    assert _codes(pack_dir) == set()


def test_contradictory_rule_can_never_fire(pack_dir: Path) -> None:
    _append_rule(pack_dir, """\
  - id: acme.impossible
    step: status
    cause: timeout
    when:
      all:
        - {fact: sync.status, eq: failed}
        - {fact: sync.status, eq: success}
    because: never
""")
    assert ("L201", "acme.impossible") in _codes(pack_dir)


def test_known_and_unknown_at_once_can_never_fire(pack_dir: Path) -> None:
    _append_rule(pack_dir, """\
  - id: acme.known-unknown
    step: status
    cause: timeout
    when:
      all:
        - {fact: error.kind, eq: timeout}
        - {fact: error.kind, known: false}
    because: never
""")
    assert ("L201", "acme.known-unknown") in _codes(pack_dir)


def _never_why(root: Path, rule: str) -> str:
    (found,) = [f for f in lint(load_kb([root], bundled=False)).findings
                if f.check == "L201" and f.id == rule]
    return found.problem.message.partition("can never fire: ")[2]


@pytest.mark.parametrize(("tests", "why"), [
    ("[{fact: sync.retries, ge: 3}, {fact: sync.retries, lt: 2}]",
     "sync.retries cannot be both >= 3 and < 2"),
    ("[{fact: sync.retries, ge: 3}, {fact: sync.retries, eq: 2}]",
     "sync.retries cannot both equal 2 and be >= 3"),
    ("[{fact: sync.retries, lt: 0}]", "sync.retries cannot be < 0: its fact's minimum is 0"),
    ("[{fact: sync.retries, gt: 10}]", "sync.retries cannot be > 10: its fact's maximum is 10"),
    ("[{fact: sync.retries, le: 5}, {fact: sync.retries, ge: 5.5}]",
     "sync.retries cannot be both >= 5.5 and <= 5"),
    ("[{fact: error.kind, eq: timeout}, {fact: error.kind, in: [other]}]",
     "error.kind cannot equal both 'other' and 'timeout'"),
    ("[{fact: error.kind, not_in: [timeout, other]}]",
     "one of its tests excludes every value its fact can take"),
    ("[{fact: sync.last_success_at, older_than: 2h}, {fact: sync.last_success_at, "
     "newer_than: 1h}]",
     "the age of sync.last_success_at cannot be both > 7200 s and < 3600 s"),
    ("[{fact: error.message, matches: 'x'}, {fact: error.message, known: false}]",
     "error.message cannot be both known and unknown"),
    ("[{fact: sync.last_success_at, older_than: 2h}, {fact: sync.last_success_at, "
     "known: false}]", "sync.last_success_at cannot be both known and unknown"),
    ("[{fact: error.message, matches: 'x'}, {not: {fact: error.message, matches: 'x'}}]",
     "whether error.message matches 'x' cannot equal both false and true"),
])
def test_a_rule_that_can_never_fire_is_told_in_the_authors_terms(
        pack_dir: Path, tests: str, why: str) -> None:
    """Fact ids and values as written, not the network's field names and millionths."""
    _declare_facts(pack_dir, """\
  sync.retries:
    type: decimal
    minimum: 0
    maximum: 10
  sync.last_success_at:
    type: datetime
""")
    _append_rule(pack_dir, f"""\
  - id: acme.never
    step: status
    cause: timeout
    when: {tests}
    because: never
""")
    assert _never_why(pack_dir, "acme.never") == why


def test_a_bound_at_a_declared_limit_is_not_a_contradiction(pack_dir: Path) -> None:
    """The declared limit is encoded exactly, as the rule's constant is (1.001 is no float)."""
    _declare_facts(pack_dir, """\
  ledger.rate:
    type: decimal
    minimum: 0.000123
    maximum: 1.001
""")
    _append_rule(pack_dir, """\
  - id: acme.at-the-top
    step: status
    cause: timeout
    when: [{fact: ledger.rate, ge: 1.001}]
    because: top
  - id: acme.at-the-bottom
    step: status
    cause: timeout
    when: [{fact: ledger.rate, le: 0.000123}]
    because: bottom
""")
    assert not {c for c in _codes(pack_dir) if c[0] == "L201"}


def test_duplicate_and_shadowed_rules(pack_dir: Path) -> None:
    _append_rule(pack_dir, """\
  - id: acme.sync-failed-again
    step: status
    cause: sync_failed
    certainty: 0.8
    when: {fact: sync.status, eq: failed}
    because: again
  - id: acme.sync-failed-narrow
    step: status
    cause: sync_failed
    effect: rules_out
    when:
      all:
        - {fact: sync.status, eq: success}
        - {fact: error.kind, eq: other}
    because: narrower
""")
    codes = _codes(pack_dir)
    assert ("L202", "acme.sync-failed-again") in codes
    assert ("L202", "acme.sync-failed-narrow") in codes


def test_cause_step_and_fact_without_use(pack_dir: Path) -> None:
    book = pack_dir / "playbooks" / "acme.yaml"
    book.write_text(book.read_text().replace(
        "causes:\n",
        "  - id: lonely\n    title: A step nobody checks\ncauses:\n  orphan:\n"
        "    title: No rule\n    step: status\n    remediation: nothing\n",
    ))
    facts = pack_dir / "facts" / "acme.yaml"
    facts.write_text(facts.read_text().replace(
        "extractors:", "  unused.fact: {type: bool}\nextractors:"))
    codes = _codes(pack_dir)
    assert ("L203", "orphan") in codes
    assert ("L207", "lonely") in codes
    assert ("L204", "unused.fact") in codes
    assert ("L205", "unused.fact") in codes


def test_template_using_a_fact_the_rule_does_not_guarantee(pack_dir: Path) -> None:
    rules = pack_dir / "rules" / "acme.yaml"
    rules.write_text(rules.read_text().replace(
        "because: A time-out means",
        'because: A time-out ({{ facts["error.message"] }}) means',
    ))
    assert ("L206", "acme.timeout") in _codes(pack_dir)


def test_risky_pattern(pack_dir: Path) -> None:
    facts = pack_dir / "facts" / "acme.yaml"
    facts.write_text(facts.read_text().replace("'time[sd]?[ -]?out'", "'(\\w+\\s?)+timeout'"))
    assert ("L208", "acme.timeout") in _codes(pack_dir)


@pytest.mark.parametrize(
    ("pattern", "risky"),
    [("(a+)+", True), ("(\\d+,?)*", True), ("([a-z]+){2,}", True), ("(ab)+", False),
     ("(?:\\s+\\w+){0,5}", False), ("[+*]+", False), ("HTTP\\s*([0-9]{3})", False)],
)
def test_pattern_risk(pattern: str, risky: bool) -> None:
    assert (pattern_risk(pattern) is not None) == risky


def test_pack_nearing_the_engine_limits(tmp_path: Path) -> None:
    from engine.test_runtime_traps import _synthetic_kb

    root = _synthetic_kb(tmp_path, 700)
    assert ("L209", "synthetic") in _codes(root)


def test_deprecated_rule_and_unknown_replacement(pack_dir: Path) -> None:
    rules = pack_dir / "rules" / "acme.yaml"
    rules.write_text(rules.read_text().replace(
        "  - id: acme.timeout\n", "  - id: acme.timeout\n    status: deprecated\n"
        "    replaces: [acme.old-timeout]\n"))
    codes = _codes(pack_dir)
    assert ("L210", "acme.timeout") in codes
    assert ("L211", "acme.timeout") in codes


def test_suppressions_are_per_check_and_id(pack_dir: Path) -> None:
    rules = pack_dir / "rules" / "acme.yaml"
    rules.write_text(rules.read_text().replace(
        "  - id: acme.timeout\n", "  - id: acme.timeout\n    status: deprecated\n"))
    (pack_dir / "lint-suppressions.yaml").write_text(
        "suppress:\n  - {check: L210, id: acme.timeout, reason: kept for old tickets}\n")
    report = lint(load_kb([pack_dir], bundled=False))
    assert [(f.check, f.id) for f in report.suppressed] == [("L210", "acme.timeout")]
    assert report.findings == ()


@pytest.mark.parametrize(
    ("entry", "message", "key", "suggestion"),
    [
        ("{check: L210, id: acme.timeot, reason: r}",
         "no L210 finding about 'acme.timeot' to suppress", "id", "acme.timeout"),
        ("{check: L201, id: acme.timeout, reason: r}",
         "no L201 finding about 'acme.timeout' to suppress", "id", None),
        ("{check: L2100, id: acme.timeout, reason: r}", "unknown check 'L2100'", "check", "L210"),
    ],
)
def test_a_suppression_that_matches_nothing_is_a_finding_itself(
    pack_dir: Path, entry: str, message: str, key: str, suggestion: str | None
) -> None:
    rules = pack_dir / "rules" / "acme.yaml"
    rules.write_text(rules.read_text().replace(
        "  - id: acme.timeout\n", "  - id: acme.timeout\n    status: deprecated\n"))
    (pack_dir / "lint-suppressions.yaml").write_text(f"suppress:\n  - {entry}\n")
    report = lint(load_kb([pack_dir], bundled=False))
    stale = [f for f in report.findings if f.check == "L214"]
    assert len(stale) == 1, report.findings
    problem = stale[0].problem
    assert problem.message.startswith(message), problem.message
    assert problem.severity == "warning" and problem.suggestion == suggestion
    assert problem.file.endswith("lint-suppressions.yaml") and problem.line == 2
    assert problem.column == entry.index(f"{key}:") + 5
    # The finding it failed to suppress is still reported.
    assert ("L210", "acme.timeout") in {(f.check, f.id) for f in report.findings}
    assert finding_json(stale[0])["suggestion"] == suggestion


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "syncdoctor", "kb", *args],
                          capture_output=True, text=True, timeout=120)


def test_exit_codes_and_json(pack_dir: Path, tmp_path: Path) -> None:
    clean = _cli("lint", "--kb", str(pack_dir), "--no-bundled", "--fail-on", "info")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    rules = pack_dir / "rules" / "acme.yaml"
    rules.write_text(rules.read_text().replace(
        "  - id: acme.timeout\n", "  - id: acme.timeout\n    status: deprecated\n"))
    assert _cli("lint", "--kb", str(pack_dir), "--no-bundled").returncode == 0  # info < error
    found = _cli("lint", "--kb", str(pack_dir), "--no-bundled", "--fail-on", "info",
                 "--format", "json")
    assert found.returncode == 1
    payload = json.loads(found.stdout)
    finding = next(f for f in payload["findings"] if f["code"] == "L210")
    assert finding["file"].endswith("acme.yaml") and finding["line"] > 0
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURES / "demo_kb", broken)
    (broken / "rules" / "demo.yaml").write_text("pack: demo\nrules: [\n")
    failed = _cli("lint", "--kb", str(broken), "--format", "json")
    assert failed.returncode == 2
    assert json.loads(failed.stdout)["errors"][0]["code"] == "KB001"


def test_bundled_knowledge_base_lints_clean(bundled_kb) -> None:
    report = lint(bundled_kb)
    assert [f.problem.headline() for f in report.at_least("warning")] == []


def test_a_misspelt_pack_id_points_at_the_pack_line_with_the_pack_meant(pack_dir: Path) -> None:
    from syncdoctor.errors import KnowledgeBaseError

    rules = pack_dir / "rules" / "acme.yaml"
    rules.write_text(rules.read_text().replace("pack: acme\n", "pack: acmee\n", 1))
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([pack_dir], bundled=False)
    (stray,) = [p for p in caught.value.problems if "'acmee'" in p.message]
    assert (stray.code, stray.line, stray.path, stray.suggestion) == (
        "KB110", 2, ("pack",), "acme")
    assert stray.file.endswith("rules/acme.yaml")
