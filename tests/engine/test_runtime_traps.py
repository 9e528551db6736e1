"""Each durable-rules 2.0.28 trap, shown on the raw engine where that is safe, and avoided by ours."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import durable_rules_engine
import pytest
from durable import engine as durable_engine

from syncdoctor import EngineError, diagnose, load_kb
from syncdoctor.engine.runtime import QuietHost, Runtime, runtime

from support import FIXTURES, NOW, REPO, synthetic_pack

FAILED_503 = {
    "sync.status": "failed",
    "sync.error": "Boom: HTTP 503 Internal Server Error",
    "txn": [{"id": "A", "ui": "1.10", "api": 1.1}, {"id": "B", "ui": 2, "api": "2.5"}],
}


def _durable_timers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t.is_alive()]


def test_stock_host_starts_background_timers_and_quiet_host_does_not() -> None:
    before = len(_durable_timers())
    stock = durable_engine.Host()
    assert len(_durable_timers()) >= before + 2, "the trap: Host starts two dispatch timers"
    stock._d_timer.cancel()
    stock._t_timer.cancel()
    before = len(_durable_timers())
    QuietHost()
    assert len(_durable_timers()) == before


def test_concurrent_diagnoses_agree_with_serial_ones(demo_kb) -> None:
    expected = diagnose(FAILED_503, kb=demo_kb, now=NOW).model_dump_json()
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(100):
                results.append(diagnose(FAILED_503, kb=demo_kb, now=NOW).model_dump_json())
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 800
    assert set(results) == {expected}


def test_raw_engine_caps_live_sessions_at_1024() -> None:
    handle = durable_rules_engine.create_ruleset(
        "trap_session_cap", json.dumps({"s": {"all": [{"m": {"t": "c"}}]}})
    )
    try:
        with pytest.raises(MemoryError):
            for sid in range(1100):
                durable_rules_engine.assert_fact(handle, json.dumps({"sid": str(sid), "t": "c"}))
    finally:
        durable_rules_engine.delete_ruleset(handle)


def test_every_diagnosis_deletes_its_session(demo_kb) -> None:
    # Far more cases than the 1,024 live sessions durable_rules allows.
    for _ in range(2000):
        diagnose({"sync.status": "pending"}, kb=demo_kb, now=NOW)


def test_session_is_deleted_when_an_action_fails(demo_kb) -> None:
    pack = demo_kb.packs["demo"]
    message = {"t": "case", pack.compiled.fields.facts["sync.status"]: "pending"}

    def explode(name: str, bindings: object) -> list[dict[str, object]]:
        raise ValueError("boom")

    for _ in range(1100):
        with pytest.raises(EngineError, match="boom"):
            runtime().run(pack.registered, [message], explode)
    assert diagnose({"sync.status": "pending"}, kb=demo_kb, now=NOW).cause_ids == ["pending"]


def test_every_session_runs_an_action_before_it_is_deleted(demo_kb) -> None:
    # The trap: durable_rules never initialises a session's context until an action runs, and
    # delete_state then frees whatever the heap held there. Seen here as a segfault on Python
    # 3.11 and not on 3.12: undefined behaviour, so the test checks the guarantee instead.
    pack = demo_kb.packs["demo"]
    fired: list[str] = []

    def record(name: str, text: str) -> list[dict[str, object]]:
        fired.append(name)
        return []

    # A case that matches no rule at all still fires each ruleset's sentinel.
    runtime().run(pack.registered, [{"t": "case"}], record)
    assert fired.count("sentinel") == len(pack.registered)
    for definition in pack.compiled.rulesets:
        assert definition["sentinel"] == {"all": [{"c": {"t": "case"}}]}


def test_case_matching_no_rule_is_not_an_error(demo_kb) -> None:
    # MessageNotHandledException territory: nothing matches, the answer is simply "no cause".
    result = diagnose({"sync.status": "success"}, kb=demo_kb, now=NOW)
    assert result.causes == []
    assert result.ruled_out == []


def test_exponent_floats_inf_and_nan_never_reach_the_engine(demo_kb) -> None:
    tiny = diagnose({"txn": [{"id": "A", "ui": 1e-05, "api": "0.00001"}]}, kb=demo_kb, now=NOW)
    assert tiny.causes == []  # 1e-05 == 0.00001 as decimals
    bigger = diagnose({"txn": [{"id": "A", "ui": 1e-05, "api": 2e-05}]}, kb=demo_kb, now=NOW)
    assert bigger.cause_ids == ["appbug"]
    from syncdoctor import FactError

    for bad in (float("inf"), float("nan"), 1e16):
        with pytest.raises(FactError, match=r"txn\[0\]\.ui"):
            diagnose({"txn": [{"id": "A", "ui": bad, "api": 1}]}, kb=demo_kb, now=NOW)


def test_amounts_compare_as_decimals_not_floats(demo_kb) -> None:
    assert 0.1 + 0.2 != 0.3
    result = diagnose({"txn": [{"id": "A", "ui": 0.1 + 0.2, "api": 0.3}]}, kb=demo_kb, now=NOW)
    assert result.causes == []


def test_datetimes_compare_as_instants_not_text(demo_kb) -> None:
    # As text, "2024-05-01T10:30:00+02:00" > "2024-05-01T09:00:00Z"; as instants it is earlier.
    facts = {
        "sync.status": "pending",
        "sync.last_at": "2024-05-01T09:00:00Z",
        "app.changed_at": "2024-05-01T10:30:00+02:00",
    }
    result = diagnose(facts, kb=demo_kb, now=NOW)
    assert "stale" not in result.cause_ids
    assert "sync.stale" not in result.inferred


def test_ages_use_the_injected_clock(demo_kb) -> None:
    facts = {
        "sync.status": "pending",
        "sync.last_at": "2024-05-01T11:30:00Z",
        "app.changed_at": "2024-05-01T11:40:00Z",
    }
    soon = diagnose(facts, kb=demo_kb, now="2024-05-01T12:00:00Z")
    later = diagnose(facts, kb=demo_kb, now="2024-05-02T12:00:00Z")
    assert [r.id for r in soon.ruled_out] == ["stale"]
    assert "stale" in later.cause_ids


def test_rulesets_register_under_fresh_names_and_definitions_stay_intact() -> None:
    first = load_kb([FIXTURES / "demo_kb"], bundled=False)
    second = load_kb([FIXTURES / "demo_kb"], bundled=False)
    names = {r.name for kb in (first, second) for p in kb.packs.values() for r in p.registered}
    assert len(names) == 2
    for kb in (first, second):
        for definition in kb.packs["demo"].compiled.rulesets:
            assert all("run" not in rule for rule in definition.values())
    assert diagnose({"sync.status": "pending"}, kb=second, now=NOW).cause_ids == ["pending"]


def test_a_stock_registration_mutates_its_argument() -> None:
    host = QuietHost()
    definition = {"trap_mutation": {"r": {"all": [{"m": {"a": 1}}], "run": lambda c: None}}}
    host.set_rulesets(definition)
    assert "run" not in definition["trap_mutation"]["r"]
    with pytest.raises(Exception, match="already registered"):
        host.set_rulesets({"trap_mutation": {"r": {"all": [{"m": {"a": 1}}], "run": lambda c: None}}})


_HANG_PROBE = """
import json, sys, durable_rules_engine as d
rules = {f"r{j}": {"all": [{"m": {"x": j}}]} for j in range(int(sys.argv[1]))}
print("imported", flush=True)
d.create_ruleset("hang", json.dumps(rules))
print("built", flush=True)
"""


def _probe_builds_within(children: int, seconds: float) -> bool:
    """Whether create_ruleset returns within `seconds` of the probe's imports (not counted)."""
    with subprocess.Popen([sys.executable, "-c", _HANG_PROBE, str(children)],
                          stdout=subprocess.PIPE, text=True) as probe:
        try:
            assert probe.stdout is not None and probe.stdout.readline() == "imported\n"
            probe.wait(timeout=seconds)
            return probe.stdout.readline() == "built\n"
        except subprocess.TimeoutExpired:
            return False
        finally:
            probe.kill()


def test_raw_engine_hangs_past_512_children_of_one_node() -> None:
    # The control (500 children, the compiler's limit) builds at once even on a loaded machine,
    # so the 513-child probe's silence is the engine's hang, not a slow start.
    assert _probe_builds_within(500, 30)
    assert not _probe_builds_within(513, 3)


def test_pack_over_the_node_limit_is_split_and_still_diagnoses(tmp_path: Path) -> None:
    kb_dir = _synthetic_kb(tmp_path, 700)
    kb = load_kb([kb_dir], bundled=False)
    pack = kb.packs["synthetic"]
    assert len(pack.compiled.rulesets) >= 2
    result = diagnose({"x": 650}, kb=kb, now=NOW)
    assert result.cause_ids == ["c650"]
    assert diagnose({"x": 3}, kb=kb, now=NOW).cause_ids == ["c3"]


def _synthetic_kb(root: Path, rules: int) -> Path:
    return synthetic_pack(root, "  x: {type: integer, ask: x?}\n",
                          [f"{{fact: x, eq: {j}}}" for j in range(rules)])


def test_one_rule_too_big_for_the_engine_is_a_clear_error(tmp_path: Path) -> None:
    from syncdoctor import KnowledgeBaseError

    root = _synthetic_kb(tmp_path, 1)
    values = ", ".join(str(j) for j in range(600))
    (root / "rules" / "synthetic.yaml").write_text(
        "pack: synthetic\nrules:\n"
        f"  - {{id: r0, step: s, cause: c0, when: {{fact: x, in: [{values}]}}, because: x}}\n"
    )
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([root], bundled=False)
    assert caught.value.code == "KB111"


def test_python_313_is_excluded_and_no_warning_escapes() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11,<3.13"' in pyproject
    # pytest runs with warnings as errors: a DeprecationWarning from durable's action
    # dispatcher (utcfromtimestamp on 3.12) would fail this diagnosis.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kb = load_kb([FIXTURES / "demo_kb"], bundled=False)
        assert diagnose(FAILED_503, kb=kb, now=NOW).cause_ids == ["appbug", "api"]


def test_private_runtime_instances_are_independent() -> None:
    own = Runtime()
    registered = own.register([{"s": {"all": [{"c": {"t": "case"}}]}}])
    fired: list[str] = []
    own.run(registered, [{"t": "case"}], lambda name, b: fired.append(name) or [])
    assert fired == ["s"]
    own.release(registered)


def test_raw_engine_overflows_its_stack_when_many_tests_match_one_fact() -> None:
    rules = {f"r{j}": {"all": [{"m": {"$and": [{"t": "c"}, {"$neq": {"x": j}}]}}]} for j in range(80)}
    handle = durable_rules_engine.create_ruleset("trap_stack", json.dumps(rules))
    try:
        with pytest.raises(durable_rules_engine.error, match="303"):
            durable_rules_engine.assert_fact(handle, json.dumps({"sid": "1", "t": "c", "x": -1}))
    finally:
        durable_rules_engine.delete_ruleset(handle)


def test_many_tests_matching_one_fact_are_spread_over_rulesets(tmp_path: Path) -> None:
    root = synthetic_pack(tmp_path, "  x: {type: integer, ask: x?}\n",
                          [f"{{fact: x, ne: {j}}}" for j in range(150)])
    kb = load_kb([root], bundled=False)
    assert len(kb.packs["synthetic"].compiled.rulesets) >= 3
    result = diagnose({"x": 7}, kb=kb, now=NOW)
    assert len(result.causes) == 149
    assert "c7" not in result.cause_ids
