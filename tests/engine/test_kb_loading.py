"""Loading a knowledge base: every mistake is located, explained, and nothing half-loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from syncdoctor import KnowledgeBaseError, load_kb

from support import FIXTURES


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(FIXTURES / "demo_kb", target)
    return target


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _problems(kb_dir: Path) -> KnowledgeBaseError:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([kb_dir], bundled=False)
    return caught.value


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_unknown_fact_names_file_line_column_path_and_suggests(kb_copy: Path) -> None:
    rules = kb_copy / "rules" / "demo.yaml"
    _break(rules, "when: {fact: sync.status, eq: pending}", "when: {fact: sync.stauts, eq: pending}")
    error = _problems(kb_copy)
    problem = error.problems[0]
    assert problem.code == "KB104"
    assert problem.file.endswith("rules/demo.yaml")
    assert problem.line == _line_of(rules, "sync.stauts")
    assert problem.column > 1
    assert problem.suggestion == "sync.status"
    assert "rules[0].when.fact" in problem.headline()
    assert "did you mean 'sync.status'?" in problem.headline()
    rendered = error.render()
    assert "sync.stauts" in rendered.splitlines()[1]
    assert rendered.splitlines()[2].strip().endswith("^")


def test_unknown_key_is_named_with_a_suggestion(kb_copy: Path) -> None:
    _break(kb_copy / "rules" / "demo.yaml", "    certainty: 0.9\n", "    certinty: 0.9\n")
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB102"
    assert "certinty" in problem.message
    assert problem.suggestion == "certainty"


def test_a_list_under_when_keeps_each_items_place(kb_copy: Path) -> None:
    """The terse list form is read as an 'all': a mistake in an item is located at the item."""
    rules = kb_copy / "rules" / "demo.yaml"
    _break(rules, "when: {all: [{fact: sync.status, eq: failed}, {fact: err.code, ge: 500}]}",
           "when: [{fact: sync.status, eq: failed}, {fakt: err.code, ge: 500}]")
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB102" and problem.suggestion == "fact"
    assert problem.line == _line_of(rules, "fakt: err.code")
    assert "(at rules[4].when[1].fakt)" in problem.headline()
    assert rules.read_text().splitlines()[problem.line - 1][problem.column - 1:].startswith(
        "fakt")


@pytest.mark.parametrize(("when", "at"), [
    ("[{all: [{fact: sync.status, eq: failed}]}, {fakt: err.code, ge: 500}]", "when[1].fakt"),
    ("[{all: [{fact: sync.status, eq: failed}, {fakt: err.code, ge: 500}]}]",
     "when[0].all[1].fakt"),
])
def test_a_shared_all_in_a_when_list_keeps_each_items_place(
        kb_copy: Path, when: str, at: str) -> None:
    """An item that is itself an 'all' (a YAML alias, often) is flattened into the list; a
    mistake is still located where it is written."""
    rules = kb_copy / "rules" / "demo.yaml"
    _break(rules, "when: {all: [{fact: sync.status, eq: failed}, {fact: err.code, ge: 500}]}",
           f"when: {when}")
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB102" and problem.suggestion == "fact"
    assert f"(at rules[4].{at})" in problem.headline()
    assert rules.read_text().splitlines()[problem.line - 1][problem.column - 1:].startswith(
        "fakt")


def test_duplicate_rule_id_points_at_both(kb_copy: Path) -> None:
    _break(kb_copy / "rules" / "demo.yaml", "id: demo.stale\n", "id: demo.pending\n")
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB107"
    assert "first defined at" in problem.message


def test_duplicate_step_id_is_named_and_points_at_both(kb_copy: Path) -> None:
    _break(kb_copy / "playbooks" / "demo.yaml", "{id: s2, title: Step two}]",
           "{id: s2, title: Step two}, {id: s1, title: Again}]")
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB107"
    assert problem.message.startswith("duplicate step 's1' (first defined at ")
    assert problem.message.endswith("playbooks/demo.yaml:3)")
    assert "(at steps[2].id)" in problem.headline()


def test_record_is_refused_where_no_rule_binds_one(kb_copy: Path) -> None:
    """A rule without any_record, or a playbook text: 'record' is always empty there."""
    _break(kb_copy / "rules" / "demo.yaml", "because: changed after sync",
           "because: changed after sync {{ record.n }}")
    _break(kb_copy / "playbooks" / "demo.yaml", "remediation: Wait.",
           "remediation: 'Wait {{ record.n }}.'")
    found = {p.message for p in _problems(kb_copy).problems if p.code == "KB108"}
    assert found == {
        "'record' is always empty here: this rule has no any_record test, which is what sets it",
        "'record' is always empty here: it is set only in the 'because' of a rule with an "
        "any_record test"}


def test_duplicate_yaml_key_is_refused(kb_copy: Path) -> None:
    _break(kb_copy / "rules" / "demo.yaml", "    certainty: 0.9\n", "    certainty: 0.9\n    certainty: 0.8\n")
    assert _problems(kb_copy).problems[0].code == "KB004"


def test_unknown_cause_and_step_suggest_the_nearest(kb_copy: Path) -> None:
    _break(kb_copy / "rules" / "demo.yaml", "cause: pending", "cause: pendnig")
    _break(kb_copy / "rules" / "demo.yaml", "step: s2", "step: s3")
    codes = {(p.code, p.suggestion) for p in _problems(kb_copy).problems}
    assert ("KB105", "pending") in codes
    assert any(code == "KB106" for code, _ in codes)


def test_enum_value_outside_the_catalogue(kb_copy: Path) -> None:
    _break(kb_copy / "rules" / "demo.yaml", "eq: pending}", "eq: pendng}")
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB109"
    assert problem.suggestion == "pending"


def test_template_naming_an_unknown_fact(kb_copy: Path) -> None:
    _break(kb_copy / "rules" / "demo.yaml", 'facts["sync.status"]', 'facts["sync.statu"]')
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB108"
    assert problem.suggestion == "sync.status"


@pytest.mark.parametrize(
    "template",
    [
        "{{ facts.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ facts | attr('__class__') }}",
        "{{ '{0.__class__}'.format(facts) }}",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_templates_reaching_for_python_internals_are_refused(kb_copy: Path, template: str) -> None:
    _break(kb_copy / "playbooks" / "demo.yaml", "remediation: Wait.", f'remediation: "{template}"')
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB108"
    assert problem.line > 0


def test_invalid_regex_is_located(kb_copy: Path, capfd: pytest.CaptureFixture[str]) -> None:
    _break(kb_copy / "rules" / "demo.yaml", "'(?i)internal server'", "'(?i)internal (server'")
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB112"
    assert problem.message == "invalid RE2 pattern: missing ): (?i)internal (server"  # not b'...'
    assert "re2.cc" not in capfd.readouterr().err  # RE2's own C++ log stays quiet


def test_every_problem_is_reported_at_once(kb_copy: Path) -> None:
    _break(kb_copy / "rules" / "demo.yaml", "cause: pending", "cause: pendnig")
    _break(kb_copy / "playbooks" / "demo.yaml", "remediation: Wait.", "remediation: '{{ facts[\"nope\"] }}'")
    assert len(_problems(kb_copy).problems) >= 2


def test_a_broken_layer_leaves_nothing_loaded(kb_copy: Path) -> None:
    from syncdoctor.engine.runtime import runtime

    before = len(runtime()._host._ruleset_list)
    _break(kb_copy / "rules" / "demo.yaml", "cause: pending", "cause: pendnig")
    _problems(kb_copy)
    assert len(runtime()._host._ruleset_list) == before


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    error = _problems(tmp_path / "nowhere")
    assert error.code == "KB100"


def test_layer_overrides_are_reported(kb_copy: Path, tmp_path: Path) -> None:
    layer = tmp_path / "company"
    (layer / "rules").mkdir(parents=True)
    (layer / "rules" / "demo-extra.yaml").write_text(
        "pack: demo\nrules:\n"
        "  - {id: demo.pending, step: s1, cause: pending, certainty: 0.5,\n"
        "     when: {fact: sync.status, eq: pending}, because: overridden}\n"
    )
    kb = load_kb([kb_copy, layer], bundled=False)
    assert any("demo.pending" in note and "demo-extra.yaml" in note for note in kb.overrides)
    assert kb.packs["demo"].rules[kb.packs["demo"].index.rule_index["demo.pending"]].certainty == 0.5


def test_kb_version_ignores_file_and_rule_order(kb_copy: Path, tmp_path: Path) -> None:
    import yaml

    first = load_kb([kb_copy], bundled=False).version
    rules = kb_copy / "rules" / "demo.yaml"
    data = yaml.safe_load(rules.read_text())
    data["rules"].reverse()
    rules.write_text(yaml.safe_dump(data))
    assert load_kb([kb_copy], bundled=False).version == first


@pytest.mark.parametrize(
    "template",
    ["{{ (9 ** (9 ** 9)) is number }}", "{{ facts | map(attribute='__class__') | list }}"],
)
def test_templates_that_could_hang_or_escape_are_refused(kb_copy: Path, template: str) -> None:
    _break(kb_copy / "playbooks" / "demo.yaml", "remediation: Wait.", f'remediation: "{template}"')
    assert _problems(kb_copy).problems[0].code == "KB108"


def test_huge_repetition_in_a_template_is_stopped_at_render(kb_copy: Path) -> None:
    from syncdoctor import diagnose

    _break(kb_copy / "playbooks" / "demo.yaml", "remediation: Wait.",
           "remediation: \"{{ 'ab' * 100000000 }}\"")
    kb = load_kb([kb_copy], bundled=False)
    result = diagnose({"sync.status": "pending"}, kb=kb, now="2024-05-01T12:00:00Z")
    assert result.causes[0].remediation is None
    assert any("could not render" in w for w in result.warnings)


def test_two_top_level_tests_on_one_records_fact_are_refused(kb_copy: Path) -> None:
    _break(kb_copy / "rules" / "demo.yaml",
           "when: {fact: txn, any_record: {field: ui, ne_field: api}}",
           "when: {all: [{fact: txn, any_record: {field: ui, ne_field: api}}, "
           "{fact: txn, any_record: {field: id, eq: A}}]}")
    assert _problems(kb_copy).problems[0].code == "KB113"


def test_a_rule_with_too_many_alternatives_is_located(kb_copy: Path) -> None:
    values = ", ".join(str(n) for n in range(70))
    _break(kb_copy / "rules" / "demo.yaml", "{fact: err.code, ge: 500}",
           f"{{fact: err.code, in: [{values}]}}")
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB111"
    assert problem.file.endswith("rules/demo.yaml") and problem.line > 0
    assert "demo.5xx" in problem.headline()


@pytest.mark.parametrize(
    "template",
    ["{{ ('%50000000d' % 1) | length }}", "{{ ('a' | center(50000000)) | length }}",
     "{{ ([('a' * 10000)] * 1000) | join | length }}"],
)
def test_templates_cannot_build_huge_text(kb_copy: Path, template: str) -> None:
    from syncdoctor import diagnose

    _break(kb_copy / "playbooks" / "demo.yaml", "remediation: Wait.", f'remediation: "{template}"')
    try:
        kb = load_kb([kb_copy], bundled=False)
    except KnowledgeBaseError as error:
        assert error.code == "KB108"  # refused when the KB loads
        return
    result = diagnose({"sync.status": "pending"}, kb=kb, now="2024-05-01T12:00:00Z")
    assert result.causes[0].remediation is None  # refused when it renders


def test_replace_is_bounded(kb_copy: Path) -> None:
    from syncdoctor import diagnose

    _break(kb_copy / "playbooks" / "demo.yaml", "remediation: Wait.",
           "remediation: \"{{ facts['sync.status'] | replace('', 'x' * 9999) }}\"")
    kb = load_kb([kb_copy], bundled=False)
    result = diagnose({"sync.status": "pending"}, kb=kb, now="2024-05-01T12:00:00Z")
    assert result.causes[0].remediation is not None  # 8 characters: a small result is fine
    _break(kb_copy / "playbooks" / "demo.yaml", "replace('', 'x' * 9999)",
           "replace('', 'x' * 9999) | replace('x', 'y' * 9999)")
    kb = load_kb([kb_copy], bundled=False)
    result = diagnose({"sync.status": "pending"}, kb=kb, now="2024-05-01T12:00:00Z")
    assert result.causes[0].remediation is None


def test_two_rules_deriving_different_values_are_reported(kb_copy: Path) -> None:
    from syncdoctor import diagnose

    facts = kb_copy / "facts" / "demo.yaml"
    facts.write_text(facts.read_text().replace(
        "  sync.stale: {type: bool, derived: true}",
        "  sync.stale: {type: bool, derived: true}\n"
        "  mode: {type: enum, values: [a, b], derived: true}"))
    rules = kb_copy / "rules" / "demo.yaml"
    rules.write_text(rules.read_text() + (
        "  - {id: demo.mode-a, step: s1, derive: {fact: mode, value: a},"
        " when: {fact: sync.status, eq: pending}, because: a}\n"
        "  - {id: demo.mode-b, step: s1, derive: {fact: mode, value: b},"
        " when: {fact: err.code, ge: 1}, because: b}\n"))
    kb = load_kb([kb_copy], bundled=False)
    result = diagnose({"sync.status": "pending", "err.code": 5}, kb=kb, now="2024-05-01T12:00:00Z")
    assert any("rules derive both" in w and "'mode'" in w for w in result.warnings)


@pytest.mark.parametrize("written", ['"yes"', '"true"', '"off"'])
def test_a_true_false_fact_is_tested_with_true_or_false(kb_copy: Path, written: str) -> None:
    _break(kb_copy / "rules" / "demo.yaml", "{fact: sync.stale, eq: true}",
           f"{{fact: sync.stale, eq: {written}}}")
    problem = _problems(kb_copy).problems[0]
    assert problem.code == "KB109"
    assert "a true/false fact is tested with true or false, not" in problem.message
