"""Hostile and careless inputs: every one a SyncdoctorError (bounded, JSON-able) or a warning.

Every fact type, record rows and fields, fact ids, pack ids, and every case-file kind (YAML,
JSON, stdin, a named pipe, a directory, a device). Template payloads are tested with the
template sandbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from syncdoctor import (
    CaseFileError,
    Diagnosis,
    FactError,
    KnowledgeBase,
    PackError,
    SyncdoctorError,
    diagnose,
    load_kb,
)
from syncdoctor.casefile import read_case

from support import FIXTURES, NOW

ECHO_BUDGET = 2_500
"""No error message may be longer than this, whatever the input."""


def _deep(depth: int, wrap: Callable[[object], object], seed: object = ()) -> object:
    value: object = seed
    for _ in range(depth):
        value = wrap(value)
    return value


class _BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr refuses")

    def __str__(self) -> str:
        raise RuntimeError("str refuses")


HOSTILE_VALUES: dict[str, object] = {
    "deep-list": _deep(10_000, lambda v: [v]),
    "deep-dict": _deep(10_000, lambda v: {"k": v}),
    "huge-int": 10**5000,
    "huge-negative-int": -(10**5000),
    "lone-surrogate": "\ud800 HTTP 500",
    "megabyte-text": "x" * 1_000_000,
    "nan": float("nan"),
    "inf": float("-inf"),
    "decimal-nan": Decimal("NaN"),
    "decimal-huge": Decimal("1e999999"),
    "decimal-tiny": Decimal("1e-999999"),
    "bytes": b"\xff\xfe",
    "set": {1, 2},
    "bad-repr": _BadRepr(),
    "base-60-text": "8:20",
    "underscore-number": "1_000",
    "empty": "",
    "datetime-edge": datetime(9999, 12, 31, 23, 59, 59),
}
SCALAR_FACTS = ("a.flag", "a.state", "msg", "a.count", "a.amount", "a.when", "a.wait", "a.token")
RECORD_FIELDS = ("id", "n", "amt", "at", "on", "kind", "wait")


@pytest.fixture(scope="module")
def hostile_kb() -> KnowledgeBase:
    """Two packs (alpha: a fact of every type and two secrets; beta: shares two ids)."""
    return load_kb([FIXTURES / "hostile_kb"], bundled=False)


def _outcome(call: Callable[[], Diagnosis]) -> Diagnosis | SyncdoctorError:
    """The Diagnosis, or the SyncdoctorError, checked to be bounded and JSON-able."""
    try:
        return call()
    except SyncdoctorError as error:
        assert len(str(error)) <= ECHO_BUDGET
        assert len(json.dumps(error.to_dict())) <= 2 * ECHO_BUDGET
        return error


@pytest.mark.parametrize("name", sorted(HOSTILE_VALUES))
@pytest.mark.parametrize("fact", SCALAR_FACTS)
def test_hostile_value_of_every_scalar_type(hostile_kb, fact: str, name: str) -> None:
    value = HOSTILE_VALUES[name]
    for pack in ("alpha", None):
        outcome = _outcome(lambda pack=pack: diagnose({fact: value}, pack=pack, kb=hostile_kb,
                                                      now=NOW))
        if isinstance(outcome, Diagnosis):
            # One hostile value (a megabyte of text among them) never swells the result: the
            # largest here is under 3 KB; echoes of the value are truncated.
            assert len(outcome.model_dump_json()) <= 4 * ECHO_BUDGET, (fact, name)
            assert "x" * 1000 not in outcome.model_dump_json()


@pytest.mark.parametrize("name", sorted(HOSTILE_VALUES))
def test_hostile_records_rows_and_fields(hostile_kb, name: str) -> None:
    value = HOSTILE_VALUES[name]
    shapes: list[object] = [value, [value], [{"id": "r", field: value} for field in RECORD_FIELDS]]
    shapes.append([{value if isinstance(value, str) else "bad": 1}])
    for shape in shapes:
        outcome = _outcome(lambda shape=shape: diagnose({"a.rows": shape}, kb=hostile_kb, now=NOW))
        assert isinstance(outcome, FactError | Diagnosis)


@pytest.mark.parametrize(
    "fact_id",
    [_deep(10_000, lambda v: (v,)), "x" * 1_000_000, 5, b"msg", None, ("msg",)],
    ids=["deep-tuple", "megabyte", "int", "bytes", "none", "tuple"],
)
def test_hostile_fact_ids(hostile_kb, bundled_kb, fact_id: object) -> None:
    for kb in (hostile_kb, bundled_kb):
        for pack in (None, sorted(kb.packs)[0]):
            outcome = _outcome(
                lambda kb=kb, pack=pack: diagnose({fact_id: 1}, pack=pack, kb=kb, now=NOW)
            )
            assert isinstance(outcome, FactError)


@pytest.mark.parametrize(
    "pack", [5, ["impac"], {"impac": 1}, 1.5, "x" * 1_000_000, _deep(10_000, lambda v: (v,))],
    ids=["int", "list", "dict", "float", "megabyte", "deep"],
)
def test_pack_that_is_not_a_known_text_id_is_a_pack_error(bundled_kb, pack: object) -> None:
    outcome = _outcome(lambda: diagnose({"sync.status": "failed"}, pack=pack, kb=bundled_kb))
    assert isinstance(outcome, PackError)


# -- the inputs named in issue 9, one by one ----------------------------------------------


def test_issue_deep_nesting_as_a_fact_value(bundled_kb) -> None:
    with pytest.raises(FactError, match=r"app\.name.*expected text"):
        diagnose({"app.name": _deep(10_000, lambda v: [v])}, pack="impac", kb=bundled_kb)


def test_issue_integer_over_4300_digits(bundled_kb) -> None:
    with pytest.raises(FactError, match="5000 digits") as info:
        diagnose({"sync.status": 10**5000}, pack="impac", kb=bundled_kb)
    assert len(str(info.value)) < 300


def test_issue_lone_surrogate_with_the_pack_chosen_automatically(bundled_kb) -> None:
    with pytest.raises(FactError, match="unpaired surrogate"):
        diagnose({"error.message": "\ud800 HTTP 500"}, kb=bundled_kb)


def test_issue_lone_surrogate_on_stdin_exits_2_without_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "diagnose", "-"],
        input=b'{"facts": {"error.message": "\\ud800 HTTP 500"}}',
        capture_output=True, timeout=120, check=False,
    )
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert b"unpaired surrogate" in done.stderr


def test_issue_value_that_fits_no_candidate_pack_is_a_fact_error(bundled_kb, hostile_kb) -> None:
    with pytest.raises(FactError, match=r"error\.message"):
        diagnose({"error.message": 5}, kb=bundled_kb)
    with pytest.raises(FactError, match="msg"):
        diagnose({"msg": 5}, kb=hostile_kb)


def test_the_pack_whose_catalogue_accepts_the_value_is_chosen(hostile_kb) -> None:
    assert diagnose({"shared.x": "x"}, kb=hostile_kb, now=NOW).pack == "beta"  # alpha: integer
    assert diagnose({"shared.x": 5}, kb=hostile_kb, now=NOW).pack == "alpha"  # beta: text
    undecided = diagnose({"msg": "nothing"}, kb=hostile_kb, now=NOW)
    assert undecided.pack is None
    assert [c.id for c in undecided.pack_choices] == ["alpha", "beta"]


def test_issue_text_over_the_limit_is_refused_before_any_pattern_runs(hostile_kb) -> None:
    # Both packs read msg with a pattern: the limit must come first, whoever is chosen.
    with pytest.raises(FactError, match="longer than 200000"):
        diagnose({"msg": "HTTP 500 " * 30_000}, kb=hostile_kb, now=NOW)


def test_issue_decimals_are_exact_or_refused(bundled_kb) -> None:
    facts = {"mismatch.period_app_amount": "0.0000001", "mismatch.period_hub_amount": "0"}
    with pytest.raises(FactError, match="at most 6 decimal places"):
        diagnose(facts, pack="impac", kb=bundled_kb, now=NOW)
    for finer in ("0.1234567", 1e-7, Decimal("1.0000001")):
        with pytest.raises(FactError, match="at most 6 decimal places"):
            diagnose({"mismatch.period_app_amount": finer}, pack="impac", kb=bundled_kb)


def test_six_places_and_float_rounding_noise_are_kept_exactly(hostile_kb) -> None:
    same = diagnose({"a.amount": "0.000001", "a.other_amount": 1e-6}, kb=hostile_kb, now=NOW)
    assert "agree" in same.cause_ids
    noise = diagnose({"a.amount": 0.1 + 0.2, "a.other_amount": "0.3"}, kb=hostile_kb, now=NOW)
    assert "agree" in noise.cause_ids
    apart = diagnose({"a.amount": "0.000001", "a.other_amount": "0"}, kb=hostile_kb, now=NOW)
    assert "agree" not in apart.cause_ids


def test_issue_base_60_in_a_case_file_is_text_not_500(tmp_path: Path, bundled_kb) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("pack: impac\nfacts:\n  sync.error_http_status: 8:20\n", encoding="utf-8")
    case = read_case(path)
    assert case.facts == {"sync.error_http_status": "8:20"}
    with pytest.raises(FactError, match="expected a number"):
        diagnose(case.facts, pack=case.pack, kb=bundled_kb, now=NOW)
    path.write_text("facts:\n  sync.error_http_status: 5_00\n", encoding="utf-8")
    assert read_case(path).facts == {"sync.error_http_status": "5_00"}


def test_issue_megabyte_unknown_fact_id_is_not_echoed_whole(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"pack": "impac", "facts": {"z" * 1_000_000: 1}}), "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "diagnose", str(path)],
        capture_output=True, timeout=120, check=False,
    )
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert 0 < len(done.stderr) < 1_000


def test_issue_records_evidence_is_linear_in_the_records(
    demo_kb, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counted, not timed: the old lookup encoded every record again for every firing.
    import syncdoctor.diagnosis.explain as explain_module
    import syncdoctor.engine.session as session_module
    from syncdoctor.engine.encoding import encode

    calls: list[int] = []

    def counting(kind: str, value: object) -> object:
        calls.append(1)
        return encode(kind, value)  # type: ignore[arg-type]

    for module in (session_module, explain_module):
        monkeypatch.setattr(module, "encode", counting, raising=False)
    rows = [{"id": f"T{i:04}", "ui": f"{i}.5", "api": i} for i in range(2_000)]
    result = diagnose({"txn": rows}, kb=demo_kb, now=NOW)
    evidence = result.causes[0].evidence
    assert len(evidence) == 2_000
    by_id = {e.record["id"]: e.record for e in evidence if e.record is not None}
    assert by_id["T0007"] == {"id": "T0007", "ui": "7.5", "api": "7"}  # typed, as given
    assert len(calls) <= 10 * len(rows)


# -- case-file kinds --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".json", '{"facts": {"sync.status": ' + "[" * 100_000 + "]" * 100_000 + "}}"),
        (".json", '{"facts": {"sync.status": ' + "9" * 5_000 + "}}"),
        (".json", '{"facts": {"error.message": "\\udc80"}}'),
        (".json", '{"facts": {"x": 1}, "facts": {"y": 2}}'),
        (".yaml", "facts:\n  sync.status: " + "9" * 5_000 + "\n"),
        (".yaml", "facts:\n  error.message: \"\\ud800 HTTP 500\"\n"),
        (".yaml", "facts: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        (".yaml", "facts:\n  sync.error_http_status: 0b111110100\n"),
        (".yaml", "facts: {" + ", ".join(f"k{i}: &a{i} [*a{i - 1}]" for i in range(1, 50))),
    ],
    ids=["json-deep", "json-huge-int", "json-surrogate", "json-duplicate", "yaml-huge-int",
         "yaml-surrogate", "yaml-deep", "yaml-binary", "yaml-aliases"],
)
def test_hostile_case_files(tmp_path: Path, bundled_kb, suffix: str, text: str) -> None:
    path = tmp_path / f"case{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")

    def run() -> Diagnosis:
        case = read_case(path)
        return diagnose(case.facts, pack=case.pack or "impac", kb=bundled_kb, now=NOW)

    outcome = _outcome(run)
    assert isinstance(outcome, CaseFileError | FactError | Diagnosis)
    with path.open("rb") as stream:
        assert isinstance(_outcome(lambda: read_case(Path("-"), stream) and run()),
                          CaseFileError | FactError | Diagnosis)


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_only_regular_files_are_read_as_cases(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "case.yaml"
        os.mkfifo(path)  # opening it for reading would block until a writer comes
    elif kind == "directory":
        path = tmp_path / "case.yaml"
        path.mkdir()
    else:
        path = Path("/dev/zero")
    with pytest.raises(CaseFileError, match="not a regular file") as info:
        read_case(path)
    assert "- to read standard input" in str(info.value)
    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "diagnose", str(path)],
        capture_output=True, timeout=120, check=False,
    )
    assert done.returncode == 2 and b"not a regular file" in done.stderr


def test_a_kb_file_that_is_a_named_pipe_is_skipped_or_kb009(tmp_path: Path) -> None:
    from syncdoctor import KnowledgeBaseError
    from syncdoctor.kb.yamlfile import load_yaml_file

    (tmp_path / "facts").mkdir()
    trap = tmp_path / "facts" / "trap.yaml"
    os.mkfifo(trap)
    assert load_kb([tmp_path], bundled=False).packs == {}  # the folder walk skips it
    with pytest.raises(KnowledgeBaseError) as info:
        load_yaml_file(trap, "facts/trap.yaml")
    assert info.value.code == "KB009"
    assert "named pipe" in str(info.value)


def test_hostile_ids_and_values_through_diagnose_options_and_the_interview(hostile_kb) -> None:
    from syncdoctor import Interview, MemoryStore

    deep = _deep(10_000, lambda v: (v,))
    for unknown in ([deep], [10**5000], 5, [b"msg"]):
        outcome = _outcome(lambda unknown=unknown: diagnose(
            {}, pack="alpha", kb=hostile_kb, now=NOW, unknown=unknown))
        assert isinstance(outcome, FactError)
    for not_fixed in ([deep], [10**5000], 5):
        outcome = _outcome(lambda not_fixed=not_fixed: diagnose(
            {}, pack="alpha", kb=hostile_kb, now=NOW, not_fixed=not_fixed))
        assert isinstance(outcome, FactError)
    store = MemoryStore()
    for facts in ({deep: 1}, {"a.when": _deep(10_000, lambda v: [v], [])}, {"msg": 10**5000}):
        outcome = _outcome(lambda facts=facts: Interview.start(  # type: ignore[return-value]
            store=store, kb=hostile_kb, pack="alpha", facts=facts, now=NOW).diagnosis)
        assert isinstance(outcome, FactError)
    for unknown in ([deep], 5):
        outcome = _outcome(lambda unknown=unknown: Interview.start(  # type: ignore[return-value]
            store=store, kb=hostile_kb, pack="alpha", unknown=unknown, now=NOW).diagnosis)
        assert isinstance(outcome, FactError)
    iv = Interview.start(store=store, kb=hostile_kb, pack="alpha", now=NOW)
    for fact, value in ((deep, 1), ("a.when", "\ud800 yesterday"), ("a.when", 10**5000)):
        outcome = _outcome(lambda fact=fact, value=value: iv.answer(fact, value))
        assert isinstance(outcome, FactError)
