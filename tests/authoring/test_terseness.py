"""kb lint's figures: lines per rule per pack and overall, and the patterns a terser form removes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from syncdoctor import load_kb
from syncdoctor.authoring.lint import lint
from syncdoctor.authoring.lint.terseness import Pattern, measure, normalised
from syncdoctor.authoring.scaffold import scaffold

HEAD = "pack: acme\nrules:\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    scaffold("acme", folder)
    (folder / "rules" / "acme.test.yaml").unlink()
    return folder


def _measure(root: Path, rules: str) -> tuple[float, int, int, list[Pattern]]:
    (root / "rules" / "acme.yaml").write_text(HEAD + rules)
    figures = measure(load_kb([root], bundled=False))
    (pack,) = figures.packs
    return pack.lines_per_rule, pack.lines, pack.rules, list(figures.patterns)


TWO_RULES = """\
  - id: acme.sync-failed
    step: status
    cause: sync_failed
    when: {fact: sync.status, eq: failed}
    because: Failed.
  - id: acme.timeout
    step: error
    cause: timeout
    when: [{fact: sync.status, eq: failed}, {fact: error.kind, eq: timeout}]
    because: A time-out.
"""


def test_lines_per_rule_counts_rule_lines_only(root: Path) -> None:
    per_rule, lines, rules, _ = _measure(root, TWO_RULES)
    assert (lines, rules, per_rule) == (10, 2, 5.0)


def test_blank_lines_comments_and_the_header_are_not_counted(root: Path) -> None:
    padded = "# a comment before the first rule\n\n" + TWO_RULES.replace(
        "  - id: acme.timeout", "\n  # the next rule\n\n  - id: acme.timeout")
    assert _measure(root, padded)[:3] == (5.0, 10, 2)


def test_a_generated_mirror_is_not_a_rule_written(root: Path) -> None:
    mirrored = TWO_RULES.replace("    because: Failed.\n",
                                 "    because: Failed.\n    otherwise: rules_out\n")
    per_rule, lines, rules, _ = _measure(root, mirrored)
    assert (lines, rules, per_rule) == (11, 2, 5.5)
    assert "acme.sync-failed.otherwise" in {r.id for r in load_kb([root], bundled=False)
                                            .packs["acme"].rules}


def test_a_mirror_image_pair_is_found_and_otherwise_suggested(root: Path) -> None:
    pair = TWO_RULES + """\
  - id: acme.sync-ok
    rules_out: sync_failed
    when: {fact: sync.status, eq: success}
    because: It worked.
"""
    patterns = _measure(root, pair)[3]
    assert [(p.kind, p.text) for p in patterns] == [
        ("mirror_pair", "acme.sync-failed / acme.sync-ok (cause sync_failed)")]
    assert patterns[0].hint == "write otherwise: on acme.sync-failed and drop acme.sync-ok"
    assert patterns[0].where[0].endswith("rules/acme.yaml:3 (acme.sync-failed)")


def test_a_rule_out_on_part_of_the_other_values_is_no_mirror(root: Path) -> None:
    # sync.status is success or failed: ne failed is the mirror, in [] of half would not be.
    facts = root / "facts" / "acme.yaml"
    facts.write_text(facts.read_text().replace("values: [success, failed]",
                                               "values: [success, failed, pending]"))
    partial = TWO_RULES + """\
  - id: acme.sync-ok
    rules_out: sync_failed
    when: {fact: sync.status, eq: success}
    because: It worked.
"""
    assert _measure(root, partial)[3] == []


def test_the_known_false_branch_idiom_is_counted(root: Path) -> None:
    idiom = TWO_RULES.replace(
        "    when: {fact: sync.status, eq: failed}\n",
        "    when: {any: [{fact: sync.status, known: false}, {fact: sync.status, eq: failed}]}\n")
    patterns = _measure(root, idiom)[3]
    assert [(p.kind, p.count, p.hint) for p in patterns] == [
        ("unknown_branch", 1, "write the test alone with or_unknown: true")]


def test_a_table_of_constants_is_reported(root: Path) -> None:
    table = "".join(f"""\
  - id: acme.attempts-{n}
    step: status
    cause: timeout
    certainty: 0.{n}
    when: [{{fact: sync.status, eq: failed}}, {{fact: error.kind, eq: timeout}}]
    because: Row {n}.
""" for n in range(1, 5))
    patterns = _measure(root, TWO_RULES.replace("acme.timeout", "acme.time-out") + table)[3]
    kinds = {p.kind: p for p in patterns}
    assert kinds["lookup_table"].count == 5, patterns
    assert "rules for cause timeout testing error.kind, sync.status" in kinds["lookup_table"].text


def test_repeated_template_snippets_count_across_facts(root: Path) -> None:
    because = '    because: Linked {{ "yes" if facts["sync.status"] else "no" }}.\n'
    rules = "".join(f"""\
  - id: acme.r{n}
    step: status
    cause: sync_failed
    when: {{fact: error.kind, eq: {kind}}}
{because.replace("sync.status", fact)}""" for n, (kind, fact) in enumerate(
        [("timeout", "sync.status"), ("other", "error.kind"), ("timeout", "error.message")]))
    rules += TWO_RULES.replace("acme.sync-failed", "acme.other")
    patterns = [p for p in _measure(root, rules)[3] if p.kind == "template"]
    assert [(p.count, p.text) for p in patterns] == [(3, '{{ "yes" if facts[…] else "no" }}')]
    assert "yesno" in patterns[0].hint


def test_normalised_blanks_fact_ids_and_spacing() -> None:
    assert normalised('{%  if "app.linked" in facts %}') == '{% if "…" in facts %}'
    assert normalised("{{ facts.get('a.b', 'x') }}") == '{{ facts.get("…", \'x\') }}'
    assert normalised("{{ facts['a'] ~ record[\"id\"] }}") == "{{ facts[…] ~ record[…] }}"


def test_lint_text_and_json_report_the_figures(root: Path) -> None:
    (root / "rules" / "acme.yaml").write_text(HEAD + TWO_RULES)
    cli = [sys.executable, "-m", "syncdoctor", "kb", "lint", "--kb", str(root), "--no-bundled"]
    text = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert text.returncode == 0, text.stdout + text.stderr
    assert "  acme: 5.0 (10 lines, 2 rules)\n  all packs: 5.0 (10 lines, 2 rules)" in text.stdout
    data = subprocess.run([*cli, "--format", "json"], capture_output=True, text=True, timeout=120)
    payload = json.loads(data.stdout)
    assert payload["terseness"]["overall"] == {"lines": 10, "rules": 2, "lines_per_rule": 5.0}
    assert payload["terseness"]["packs"][0]["pack"] == "acme"
    assert payload["terseness"]["patterns"] == []
    again = subprocess.run([*cli, "--format", "json"], capture_output=True, text=True, timeout=120)
    assert again.stdout == data.stdout


def test_the_bundled_figures_are_deterministic_and_cover_every_pack(bundled_kb) -> None:
    first, second = lint(bundled_kb).terseness, lint(bundled_kb).terseness
    assert first == second and first is not None
    assert [p.pack for p in first.packs] == sorted(bundled_kb.packs)
    assert first.rules == sum(p.rules for p in first.packs) > 0


def test_no_figures_leaves_only_the_findings_and_the_count() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "syncdoctor", "kb", "lint", "--no-figures"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Lines per rule" not in done.stdout and "Repeated patterns" not in done.stdout
    assert done.stdout.strip().endswith("pack(s) checked.")
