"""Terse rules (issue 14): mirrors (otherwise), or_unknown, rules_out:, when lists, inherited steps.

Each construct is checked both ways, and with the fact it reads unknown: a mirror fires only when
the condition is definitely false, and it runs in the durable_rules network as its own rule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncdoctor import KnowledgeBaseError, diagnose, load_kb
from syncdoctor.authoring.lint import lint
from syncdoctor.authoring.scaffold import scaffold
from syncdoctor.authoring.testing import run_tests
from syncdoctor.diagnosis.why import account_for
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.kb.condition import Condition
from syncdoctor.kb.describe import describe_condition
from syncdoctor.report import to_markdown, to_text

NOW = "2024-05-01T12:00:00Z"
HEAD = "pack: acme\nrules:\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    scaffold("acme", folder)
    (folder / "rules" / "acme.test.yaml").unlink()  # these tests state their own cases
    return folder


def _rules(root: Path, text: str) -> KnowledgeBase:
    (root / "rules" / "acme.yaml").write_text(HEAD + text)
    return load_kb([root], bundled=False)


def _problems(root: Path, text: str) -> list[str]:
    (root / "rules" / "acme.yaml").write_text(HEAD + text)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([root], bundled=False)
    return [p.render().splitlines()[0] for p in caught.value.problems]


def _verdict(kb: KnowledgeBase, facts: dict[str, object]) -> tuple[dict[str, list[str]], ...]:
    """(cause -> rules supporting it, cause -> rules ruling it out) for these facts."""
    found = diagnose(facts, pack="acme", kb=kb, now=NOW)
    held = {c.id: [e.rule for e in c.evidence] for c in found.causes}
    out = {r.id: [e.rule for e in r.reasons] for r in found.ruled_out}
    return held, out


MIRRORED = """\
  - id: acme.sync-failed
    step: status
    cause: sync_failed
    certainty: 0.8
    when: {fact: sync.status, eq: failed}
    otherwise: rules_out
    because: The last synchronisation failed.
  - id: acme.timeout
    step: error
    cause: timeout
    when: [{fact: error.kind, eq: timeout}]
    because: A time-out.
"""


def test_otherwise_rules_out_when_the_condition_is_definitely_false(root: Path) -> None:
    kb = _rules(root, MIRRORED)
    assert "acme.sync-failed.otherwise" in {r.id for r in kb.packs["acme"].rules}
    assert _verdict(kb, {"sync.status": "success"}) == (
        {}, {"sync_failed": ["acme.sync-failed.otherwise"]})
    assert _verdict(kb, {"sync.status": "failed"}) == ({"sync_failed": ["acme.sync-failed"]}, {})
    # Unknown: neither the rule nor its mirror.
    assert _verdict(kb, {"error.kind": "other"}) == ({}, {})


def test_the_mirror_is_a_rule_of_the_network(root: Path) -> None:
    kb = _rules(root, MIRRORED)
    pack = kb.packs["acme"]
    index = pack.index.rule_index["acme.sync-failed.otherwise"]
    compiled = [e.rule for e in pack.compiled.entries.values() if e.kind == "rule"]
    assert index in compiled
    mirror = pack.rules[index]
    assert (mirror.cause, mirror.effect, mirror.step) == ("sync_failed", "rules_out", "status")
    assert mirror.because == "sync.status is not failed."


def test_mirror_of_a_conjunction_needs_one_false_item(root: Path) -> None:
    kb = _rules(root, """\
  - id: acme.timeout
    step: error
    cause: timeout
    when:
      - {fact: sync.status, eq: failed}
      - {fact: error.kind, eq: timeout}
    otherwise: {id: acme.no-timeout, because: 'Not a time-out: {{ facts["sync.status"] }}.'}
    because: A time-out.
  - id: acme.sync-failed
    cause: sync_failed
    when: {fact: sync.status, eq: failed}
    because: Failed.
""")
    assert _verdict(kb, {"sync.status": "success"})[1] == {"timeout": ["acme.no-timeout"]}
    assert _verdict(kb, {"sync.status": "failed", "error.kind": "other"})[1] == {
        "timeout": ["acme.no-timeout"]}
    # One item true, the other unknown: not definitely false, so no mirror.
    assert _verdict(kb, {"sync.status": "failed"})[1] == {}
    text = to_text(diagnose({"sync.status": "success"}, pack="acme", kb=kb, now=NOW))
    assert "Not a time-out: success. (acme.no-timeout; sync.status = success" in text


def test_a_derive_rule_mirrors_with_the_other_value(root: Path) -> None:
    facts = root / "facts" / "acme.yaml"
    facts.write_text(facts.read_text().replace(
        "extractors:", "  sync.broken: {type: bool, derived: true}\nextractors:"))
    kb = _rules(root, """\
  - id: acme.broken
    step: status
    derive: {fact: sync.broken, value: true}
    when: {fact: sync.status, eq: failed}
    otherwise: {value: false}
    because: Broken.
  - id: acme.sync-failed
    cause: sync_failed
    when: {fact: sync.broken, eq: true}
    otherwise: rules_out
    because: Failed.
  - id: acme.timeout
    step: error
    cause: timeout
    when: {fact: error.kind, eq: timeout}
    because: A time-out.
""")
    pack = kb.packs["acme"]
    mirror = pack.rules[pack.index.rule_index["acme.sync-failed.otherwise"]]
    assert mirror.when.fact == "sync.broken" and mirror.when.eq is False
    assert _verdict(kb, {"sync.status": "success"})[1] == {
        "sync_failed": ["acme.sync-failed.otherwise"]}
    assert _verdict(kb, {"sync.status": "failed"})[0] == {"sync_failed": ["acme.sync-failed"]}
    assert _verdict(kb, {}) == ({}, {})


def test_or_unknown_holds_while_the_fact_is_unknown(root: Path) -> None:
    kb = _rules(root, """\
  - id: acme.timeout
    step: error
    cause: timeout
    certainty: 0.5
    when:
      - {fact: sync.status, eq: failed}
      - {fact: error.kind, eq: timeout, or_unknown: true}
    because: Maybe a time-out.
  - id: acme.sync-failed
    cause: sync_failed
    when: {fact: sync.status, eq: failed}
    because: Failed.
""")
    assert "timeout" in _verdict(kb, {"sync.status": "failed"})[0]
    assert "timeout" in _verdict(kb, {"sync.status": "failed", "error.kind": "timeout"})[0]
    assert "timeout" not in _verdict(kb, {"sync.status": "failed", "error.kind": "other"})[0]


def test_rules_out_shorthand_and_inherited_steps(root: Path) -> None:
    kb = _rules(root, """\
  - id: acme.sync-failed
    step: status
    cause: sync_failed
    when: {fact: sync.status, eq: failed}
    because: Failed.
  - id: acme.sync-succeeded
    rules_out: sync_failed
    when: {fact: sync.status, eq: success}
    because: Succeeded.
  - id: acme.timeout
    step: error
    cause: timeout
    when: {fact: error.kind, eq: timeout}
    because: A time-out.
""")
    rules = {r.id: r for r in kb.packs["acme"].rules}
    ruling = rules["acme.sync-succeeded"]
    assert (ruling.cause, ruling.effect, ruling.step) == ("sync_failed", "rules_out", "status")
    assert rules["acme.timeout"].step == "error"
    assert _verdict(kb, {"sync.status": "success"})[1] == {"sync_failed": ["acme.sync-succeeded"]}


def test_a_first_rule_without_a_step_is_located(root: Path) -> None:
    found = _problems(root, """\
  - id: acme.sync-failed
    cause: sync_failed
    when: {fact: sync.status, eq: failed}
    because: Failed.
""")
    assert any("rules/acme.yaml:3:" in p and "KB103" in p and "step" in p for p in found), found


def test_problems_in_shorthands_point_at_what_was_written(root: Path) -> None:
    found = _problems(root, """\
  - id: acme.sync-failed
    step: status
    rules_out: sync_faild
    when:
      - {fact: sync.status, eq: failed}
      - {fact: error.knd, eq: timeout, or_unknown: true}
    because: Failed.
""")
    assert any(":5:5: KB105 unknown cause 'sync_faild'" in p and "sync_failed" in p
               for p in found), found
    assert [p for p in found if "KB104" in p] == [
        "kb/rules/acme.yaml:8:10: KB104 unknown fact 'error.knd' (at rules[0].when.all[1].any[0].fact)"
        " (did you mean 'error.kind'?)"], found


@pytest.mark.parametrize(("otherwise", "message"), [
    ("{id: acme.timeout}", "KB107 duplicate rule id 'acme.timeout', the mirror of"),
    ("{value: false}", "KB101"),
    ("supports", "KB101"),
])
def test_a_wrong_otherwise_is_refused(root: Path, otherwise: str, message: str) -> None:
    found = _problems(root, f"""\
  - id: acme.sync-failed
    step: status
    cause: sync_failed
    when: {{fact: sync.status, eq: failed}}
    otherwise: {otherwise}
    because: Failed.
  - id: acme.timeout
    cause: timeout
    when: {{fact: error.kind, eq: timeout}}
    because: A time-out.
""")
    assert any(message in p for p in found), found


def test_no_mirror_over_records(root: Path) -> None:
    facts = root / "facts" / "acme.yaml"
    facts.write_text(facts.read_text().replace("extractors:", """\
  txn:
    type: records
    ask: Which transactions?
    fields: {id: {type: text}, amount: {type: integer}}
extractors:"""))
    found = _problems(root, """\
  - id: acme.sync-failed
    step: status
    cause: sync_failed
    when: {fact: txn, any_record: {field: amount, gt: 0}}
    otherwise: rules_out
    because: Failed.
""")
    assert any(":7:5: KB113" in p and "records" in p for p in found), found


def test_kb_test_covers_the_mirror_both_ways(root: Path) -> None:
    (root / "rules" / "acme.test.yaml").write_text("""\
pack: acme
cases:
  - name: failed
    now: 2024-05-01T12:00:00Z
    facts: {sync.status: failed, error.kind: timeout}
    expect: {causes: [sync_failed, timeout], silent: [acme.sync-failed.otherwise]}
  - name: succeeded
    now: 2024-05-01T12:00:00Z
    facts: {sync.status: success, error.kind: other}
    expect: {ruled_out: [sync_failed], fired: [acme.sync-failed.otherwise], absent: [timeout]}
""")
    report = run_tests(_rules(root, MIRRORED))
    assert report.totals.failed == 0
    assert report.fully_covered


def test_templates_yesno_and_guards(root: Path) -> None:
    kb = _rules(root, """\
  - id: acme.sync-failed
    step: status
    cause: sync_failed
    when: {fact: sync.status, eq: failed}
    because: >-
      Failed ({{ facts.get("error.message", "no message") }},
      {{ facts["error.kind"] | default("kind unknown") }}, {{ (1 == 1) | yesno }}).
  - id: acme.timeout
    step: error
    cause: timeout
    when: {fact: error.kind, eq: timeout}
    because: A time-out.
""")
    assert not [f for f in lint(kb).findings if f.check == "L206"]
    found = diagnose({"sync.status": "failed"}, pack="acme", kb=kb, now=NOW)
    assert found.causes[0].evidence[0].because == "Failed (no message, kind unknown, yes)."


def test_an_unguarded_fact_is_a_lint_error(root: Path) -> None:
    kb = _rules(root, """\
  - id: acme.sync-failed
    step: status
    cause: sync_failed
    when: {fact: sync.status, eq: failed}
    because: Failed with {{ facts["error.message"] }}.
  - id: acme.timeout
    step: error
    cause: timeout
    when: {fact: error.kind, eq: timeout}
    because: A time-out.
""")
    found = [f for f in lint(kb).findings if f.check == "L206"]
    assert [(f.id, f.problem.severity) for f in found] == [("acme.sync-failed", "error")]


def test_reports_show_the_facts_each_rule_read(root: Path) -> None:
    kb = _rules(root, MIRRORED)
    found = diagnose({"sync.status": "failed", "error.message": "Request timed out after 30 s"},
                     pack="acme", kb=kb, now=NOW)
    text = to_text(found)
    assert "The last synchronisation failed. (acme.sync-failed; sync.status = failed)" in text
    assert "A time-out. (acme.timeout; error.kind = timeout)" in text
    markdown = to_markdown(found)
    assert "- The last synchronisation failed. (`acme.sync-failed`; `sync.status` = `failed`)" \
        in markdown
    assert to_text(found) == text  # deterministic


def test_why_not_names_the_mirror(root: Path) -> None:
    kb = _rules(root, MIRRORED)
    account = account_for(kb.packs["acme"], {"sync.status": "success"}, "sync_failed", kb=kb,
                          now=datetime(2024, 5, 1, 12, tzinfo=UTC))
    assert "acme.sync-failed.otherwise" in {e.rule for e in account.against}


def test_an_all_in_a_when_list_joins_it_and_keeps_its_place(root: Path) -> None:
    facts = root / "facts" / "acme.yaml"
    facts.write_text(facts.read_text().replace(
        "extractors:", "  sync.broken: {type: bool, derived: true}\nextractors:"))
    found = _problems(root, """\
  - id: acme.broken
    step: status
    derive: {fact: sync.broken, value: true}
    when: {fact: sync.status, eq: failed}
    because: Broken.
  - id: acme.sync-failed
    cause: sync_failed
    when: [{all: [{fact: sync.broken, eq: true}, {fact: sync.status, eq: failed}]}, {fact: error.knd, eq: timeout}]
    because: Failed.
""")
    # The derived fact in the nested 'all' is at the top level (no KB113); the typo is located.
    assert [p for p in found if "KB113" in p] == []
    assert any(":10:" in p and "KB104 unknown fact 'error.knd'" in p for p in found), found


def test_a_layer_replaces_a_mirror_by_its_id(root: Path, tmp_path: Path) -> None:
    _rules(root, MIRRORED)
    layer = tmp_path / "layer"
    (layer / "rules").mkdir(parents=True)
    (layer / "rules" / "acme.yaml").write_text(HEAD + """\
  - id: acme.sync-failed.otherwise
    step: status
    rules_out: sync_failed
    when: {fact: sync.status, eq: success}
    because: Ours.
""")
    kb = load_kb([root, layer], bundled=False)
    mirror = kb.packs["acme"].rules[kb.packs["acme"].index.rule_index["acme.sync-failed.otherwise"]]
    assert mirror.because == "Ours."


def test_an_empty_otherwise_derives_the_other_truth_value(root: Path) -> None:
    facts = root / "facts" / "acme.yaml"
    facts.write_text(facts.read_text().replace(
        "extractors:", "  sync.broken: {type: bool, derived: true}\nextractors:"))
    kb = _rules(root, """\
  - id: acme.broken
    step: status
    derive: {fact: sync.broken, value: true}
    when: {fact: sync.status, eq: failed}
    otherwise: {}
    because: Broken.
  - id: acme.sync-failed
    cause: sync_failed
    when: {fact: sync.broken, eq: false}
    because: Not broken.
  - id: acme.timeout
    step: error
    cause: timeout
    when: {fact: error.kind, eq: timeout}
    because: A time-out.
""")
    mirror = kb.packs["acme"].rules[kb.packs["acme"].index.rule_index["acme.broken.otherwise"]]
    assert mirror.derive is not None and mirror.derive.value is False
    assert "sync_failed" in _verdict(kb, {"sync.status": "success"})[0]


def test_or_unknown_is_described_as_written() -> None:
    cond = Condition.model_validate({"fact": "sync.status", "eq": "failed", "or_unknown": True})
    assert cond.or_unknown and cond.any is not None and cond.any[1].known is False
    assert describe_condition(cond) == "sync.status is failed (or not known yet)"
    with pytest.raises(ValueError, match="or_unknown"):
        Condition.model_validate({"any": [{"fact": "a", "eq": 1}], "or_unknown": True})
