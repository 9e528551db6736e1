"""The public surface of syncdoctor, and the promises diagnose() makes to its callers."""

from __future__ import annotations

import json
import random

import pytest

import syncdoctor
from syncdoctor import Diagnosis, FactError, PackError, SyncdoctorError, diagnose

from support import NOW

EXPECTED_EXPORTS = {
    "CapacityError",
    "CaseFileError",
    "Cause",
    "Diagnosis",
    "EngineError",
    "Escalation",
    "Evidence",
    "FactError",
    "Interview",
    "InterviewError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MemoryStore",
    "PackError",
    "Problem",
    "Question",
    "RuledOut",
    "SqliteStore",
    "StoreError",
    "SyncdoctorError",
    "__version__",
    "diagnose",
    "load_kb",
}


def test_public_surface_changes_only_on_purpose() -> None:
    assert set(syncdoctor.__all__) == EXPECTED_EXPORTS
    for name in syncdoctor.__all__:
        assert hasattr(syncdoctor, name)


def test_all_public_members_are_exported_and_nothing_else() -> None:
    # In the manner of httpx's tests/test_exported_members.py: once every lazy name is loaded,
    # the package's public members are exactly __all__ (subpackages aside), in sorted order.
    import inspect

    for name in syncdoctor.__all__:
        getattr(syncdoctor, name)
    public = sorted(
        (
            member
            for member, value in vars(syncdoctor).items()
            if (not member.startswith("_") or member == "__version__")
            and not inspect.ismodule(value)
        ),
        key=str.casefold,
    )
    assert public == sorted(syncdoctor.__all__, key=str.casefold)
    assert dir(syncdoctor) == sorted(syncdoctor.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'diagnoze'"):
        syncdoctor.diagnoze  # noqa: B018


def _properties(schema: dict[str, object]) -> list[tuple[str, str, dict[str, object]]]:
    found: list[tuple[str, str, dict[str, object]]] = []
    definitions = {"Diagnosis": schema, **schema.get("$defs", {})}  # type: ignore[dict-item]
    for model, definition in definitions.items():
        for name, prop in definition.get("properties", {}).items():
            found.append((model, name, prop))
    return found


def test_every_field_of_the_result_models_has_a_description() -> None:
    properties = _properties(Diagnosis.model_json_schema())
    assert len(properties) > 30
    assert [f"{m}.{n}" for m, n, prop in properties if not prop.get("description")] == []


def test_fields_with_a_fixed_set_of_values_are_enums_in_the_schema() -> None:
    defs = Diagnosis.model_json_schema()["$defs"]
    assert defs["Evidence"]["properties"]["effect"]["enum"] == ["supports", "rules_out"]
    assert "records" in defs["Question"]["properties"]["type"]["enum"]
    assert "records" not in defs["RecordField"]["properties"]["type"]["enum"]


def test_every_error_is_a_syncdoctor_error() -> None:
    for name in ("CapacityError", "CaseFileError", "EngineError", "FactError",
                 "KnowledgeBaseError", "PackError"):
        assert issubclass(getattr(syncdoctor, name), SyncdoctorError)


FAILED = {
    "sync.status": "failed",
    "sync.error": "Boom: HTTP 503 Internal Server Error",
    "txn": [{"id": "A", "ui": "1.10", "api": 1.1}, {"id": "B", "ui": 2, "api": "2.5"}],
}


def test_diagnosis_ranks_causes_in_playbook_order_with_evidence(demo_kb) -> None:
    result = diagnose(FAILED, kb=demo_kb, now=NOW)
    assert isinstance(result, Diagnosis)
    assert result.pack == "demo"
    assert result.cause_ids == ["appbug", "api"]
    api = result.causes[1]
    assert api.certainty == pytest.approx(0.9)  # 0.8 and 0.5 combined: 0.8 + 0.5 * 0.2
    assert [e.rule for e in api.evidence] == ["demo.5xx", "demo.5xx-text"]
    assert api.evidence[0].facts == {"sync.status": "failed", "err.code": 503}
    assert api.remediation == "Contact app support about HTTP 503."
    assert api.escalation is not None and api.escalation.contact == "App support"
    appbug = result.causes[0]
    assert appbug.evidence[0].record == {"api": "2.5", "id": "B", "ui": "2"}
    assert "txn B" in appbug.evidence[0].because
    assert result.inferred == {"err.code": 503}


def test_evidence_against_rules_a_cause_out_and_keeps_why(demo_kb) -> None:
    facts = {
        "sync.status": "pending",
        "sync.last_at": "2024-05-01T11:30:00Z",
        "app.changed_at": "2024-05-01T11:40:00Z",
    }
    result = diagnose(facts, kb=demo_kb, now=NOW)
    assert "stale" not in result.cause_ids
    (ruled,) = result.ruled_out
    assert ruled.id == "stale"
    assert ruled.reasons[0].because == "synced recently"


def test_forward_chaining_derives_facts_that_other_rules_use(demo_kb) -> None:
    facts = {
        "sync.status": "pending",
        "sync.last_at": "2024-05-01T08:00:00Z",
        "app.changed_at": "2024-05-01T09:00:00Z",
    }
    result = diagnose(facts, kb=demo_kb, now=NOW)
    assert result.inferred == {"sync.stale": True}
    assert result.cause_ids == ["pending", "stale"]


def test_questions_never_ask_what_is_known_and_follow_the_playbook(demo_kb) -> None:
    result = diagnose({"sync.status": "pending"}, kb=demo_kb, now=NOW)
    asked = [q.fact for q in result.questions]
    assert "sync.status" not in asked
    # step s1 facts (the staleness rules) come before step s2 ones
    assert asked.index("sync.last_at") < asked.index("txn")
    question = next(q for q in result.questions if q.fact == "sync.last_at")
    assert question.type == "datetime"
    assert question.causes == ["stale"]
    records = next(q for q in result.questions if q.fact == "txn")
    assert records.fields is not None and {f.name for f in records.fields} == {"id", "ui", "api"}


def test_a_question_disappears_once_its_cause_is_ruled_out(demo_kb) -> None:
    before = diagnose({"sync.status": "failed"}, kb=demo_kb, now=NOW)
    assert "sync.error" in [q.fact for q in before.questions]
    after = diagnose({"sync.status": "failed", "sync.error": "all good"}, kb=demo_kb, now=NOW)
    assert "sync.error" not in [q.fact for q in after.questions]


def test_same_facts_in_any_order_give_the_same_bytes(demo_kb) -> None:
    items = list(FAILED.items())
    outputs = set()
    for seed in range(5):
        random.Random(seed).shuffle(items)
        outputs.add(diagnose(dict(items), kb=demo_kb, now=NOW).model_dump_json())
    assert len(outputs) == 1


def test_unknown_fact_raises_fact_error_with_suggestion(demo_kb) -> None:
    with pytest.raises(FactError) as caught:
        diagnose({"sync.stauts": "failed"}, pack="demo", kb=demo_kb, now=NOW)
    assert caught.value.fact == "sync.stauts"
    assert caught.value.suggestion == "sync.status"


@pytest.mark.parametrize(
    ("facts", "fact", "expected"),
    [
        ({"sync.status": "exploded"}, "sync.status", "enum"),
        ({"sync.last_at": "yesterday-ish"}, "sync.last_at", "datetime"),
        ({"err.code": "five hundred"}, "err.code", "integer"),
        ({"err.code": 2.5}, "err.code", "integer"),
        ({"txn": "not a list"}, "txn", "records"),
        ({"sync.error": ["not", "text"]}, "sync.error", "text"),
    ],
)
def test_wrong_type_raises_fact_error_naming_fact_and_type(demo_kb, facts, fact, expected) -> None:
    with pytest.raises(FactError) as caught:
        diagnose(facts, pack="demo", kb=demo_kb, now=NOW)
    assert caught.value.fact == fact
    assert caught.value.expected is not None and expected in caught.value.expected


def test_unknown_pack_raises_pack_error(demo_kb) -> None:
    with pytest.raises(PackError) as caught:
        diagnose({}, pack="dmeo", kb=demo_kb)
    assert caught.value.suggestion == "demo"


def test_unused_fact_is_a_warning_not_an_error(tmp_path, demo_kb) -> None:
    # Every demo fact is used; declare one more that no rule reads.
    import shutil

    from syncdoctor import load_kb

    from support import FIXTURES

    shutil.copytree(FIXTURES / "demo_kb", tmp_path / "kb")
    facts_file = tmp_path / "kb" / "facts" / "demo.yaml"
    facts_file.write_text(facts_file.read_text().replace(
        "  err.code: {type: integer}", "  err.code: {type: integer}\n  note: {type: text}"))
    kb = load_kb([tmp_path / "kb"], bundled=False)
    result = diagnose({"sync.status": "pending", "note": "hello"}, kb=kb, now=NOW)
    assert result.cause_ids == ["pending"]
    assert any("'note'" in warning for warning in result.warnings)


def test_hostile_text_is_data_never_a_template(demo_kb) -> None:
    hostile = "{{ facts.__class__ }} {% for x in range(10**9) %}x{% endfor %} HTTP 500"
    result = diagnose({"sync.status": "failed", "sync.error": hostile}, kb=demo_kb, now=NOW)
    api = next(c for c in result.causes if c.id == "api")
    assert api.remediation == "Contact app support about HTTP 500."
    assert json.loads(result.model_dump_json())["inferred"] == {"err.code": 500}


def test_now_must_be_a_date_time(demo_kb) -> None:
    with pytest.raises(FactError):
        diagnose({}, pack="demo", kb=demo_kb, now="not a date")


def test_pack_is_chosen_from_the_facts(demo_kb) -> None:
    assert diagnose({"sync.status": "pending"}, kb=demo_kb, now=NOW).pack == "demo"


def test_file_and_rule_order_change_nothing(tmp_path) -> None:
    import shutil

    import yaml

    from syncdoctor import load_kb

    from support import FIXTURES

    first = tmp_path / "first"
    second = tmp_path / "second"
    shutil.copytree(FIXTURES / "demo_kb", first)
    shutil.copytree(FIXTURES / "demo_kb", second)
    rules = yaml.safe_load((second / "rules" / "demo.yaml").read_text())
    rules["rules"].reverse()
    half = len(rules["rules"]) // 2
    (second / "rules" / "demo.yaml").write_text(
        yaml.safe_dump({"pack": "demo", "rules": rules["rules"][:half]}))
    (second / "rules" / "a-more.yaml").write_text(
        yaml.safe_dump({"pack": "demo", "rules": rules["rules"][half:]}))
    outputs = {
        diagnose(FAILED, kb=load_kb([root], bundled=False), now=NOW).model_dump_json()
        for root in (first, second)
    }
    assert len(outputs) == 1


@pytest.mark.parametrize(
    ("fact", "value"),
    [
        ("sync.last_at", "0001-01-01T00:00:00+05:00"),
        ("err.code", "1e999999999999999999"),
        ("sync.error", "bad \ud800 surrogate"),
        ("err.code", "1,5"),
        ("sync.last_at", "1714560000"),
    ],
)
def test_extreme_values_are_fact_errors_not_tracebacks(demo_kb, fact, value) -> None:
    with pytest.raises(FactError) as caught:
        diagnose({fact: value}, pack="demo", kb=demo_kb, now=NOW)
    assert caught.value.fact == fact


def test_now_of_the_wrong_type_is_a_fact_error(demo_kb) -> None:
    with pytest.raises(FactError):
        diagnose({}, pack="demo", kb=demo_kb, now=12345)  # type: ignore[arg-type]


def test_a_user_supplied_derived_fact_wins_over_the_rules(demo_kb) -> None:
    facts = {
        "sync.status": "pending",
        "sync.last_at": "2024-05-01T08:00:00Z",
        "app.changed_at": "2024-05-01T09:00:00Z",
        "sync.stale": False,
    }
    result = diagnose(facts, kb=demo_kb, now=NOW)
    assert "stale" not in result.cause_ids


def test_record_order_changes_nothing(demo_kb) -> None:
    records = [{"id": "A", "ui": 1, "api": 2}, {"id": "B", "ui": 3, "api": 4}]
    forward = diagnose({"txn": records}, kb=demo_kb, now=NOW).model_dump_json()
    backward = diagnose({"txn": records[::-1]}, kb=demo_kb, now=NOW).model_dump_json()
    assert forward == backward


def test_decimals_never_show_in_exponent_form(demo_kb) -> None:
    result = diagnose({"txn": [{"id": "A", "ui": 100, "api": "200.50"}]}, kb=demo_kb, now=NOW)
    text = result.model_dump_json()
    assert "E+" not in text and "e+" not in text
    assert result.causes[0].evidence[0].record == {"api": "200.5", "id": "A", "ui": "100"}


def test_a_closed_knowledge_base_refuses_to_diagnose() -> None:
    from syncdoctor import EngineError, load_kb

    from support import FIXTURES

    kb = load_kb([FIXTURES / "demo_kb"], bundled=False)
    kb.close()
    with pytest.raises(EngineError, match="closed"):
        diagnose({"sync.status": "pending"}, kb=kb, now=NOW)


def test_long_texts_compare_exactly(tmp_path) -> None:
    import shutil

    from syncdoctor import load_kb

    from support import FIXTURES

    shutil.copytree(FIXTURES / "demo_kb", tmp_path / "kb")
    long_text = "x" * 5000
    rules = tmp_path / "kb" / "rules" / "demo.yaml"
    rules.write_text(rules.read_text() + (
        "  - id: demo.exact\n    step: s2\n    cause: api\n"
        f"    when: {{fact: sync.error, eq: '{long_text}'}}\n    because: exact\n"))
    kb = load_kb([tmp_path / "kb"], bundled=False)
    assert "demo.exact" in diagnose({"sync.error": long_text}, kb=kb, now=NOW).rules_fired
    nearly = long_text[:-1] + "y"
    assert "demo.exact" not in diagnose({"sync.error": nearly}, kb=kb, now=NOW).rules_fired


def test_a_text_that_looks_like_a_digest_is_digested_too(tmp_path) -> None:
    import hashlib
    import shutil

    from syncdoctor import load_kb

    from support import FIXTURES

    shutil.copytree(FIXTURES / "demo_kb", tmp_path / "kb")
    long_text = "X" * 300
    rules = tmp_path / "kb" / "rules" / "demo.yaml"
    rules.write_text(rules.read_text() + (
        "  - id: demo.exact\n    step: s2\n    cause: api\n"
        f"    when: {{fact: sync.error, eq: '{long_text}'}}\n    because: exact\n"))
    kb = load_kb([tmp_path / "kb"], bundled=False)
    spoof = "sha256:" + hashlib.sha256(long_text.encode()).hexdigest()
    assert "demo.exact" not in diagnose({"sync.error": spoof}, kb=kb, now=NOW).rules_fired


def test_negative_zero_is_zero(demo_kb) -> None:
    result = diagnose({"txn": [{"id": "A", "ui": "-0", "api": "1"}]}, kb=demo_kb, now=NOW)
    assert result.causes[0].evidence[0].record == {"api": "1", "id": "A", "ui": "0"}


def test_the_package_docstring_examples_run() -> None:
    import textwrap

    blocks = (syncdoctor.__doc__ or "").split("::\n\n")[1:]
    assert len(blocks) == 2
    printed: list[tuple[object, ...]] = []
    for block in blocks:
        code = textwrap.dedent(block.split("\n\n")[0])
        namespace: dict[str, object] = {"print": lambda *args: printed.append(args)}
        exec(compile(code, "syncdoctor.__doc__", "exec"), namespace)
    assert printed, "the examples print causes"
    assert printed[-1] == ("The payment was already applied by hand in the accounting package",)
