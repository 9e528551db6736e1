"""Facts marked ``secret: true``: their values never leave the engine, only ``***`` does."""

from __future__ import annotations

import json

import pytest

from syncdoctor import FactError, KnowledgeBase, load_kb
from syncdoctor import diagnose as run_diagnosis
from syncdoctor.errors import REDACTED
from syncdoctor.kb.values import redact_secrets
from syncdoctor.report import to_markdown, to_text

from support import FIXTURES, NOW

TOKEN = "tok3nvalu3"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """Pack alpha: a.token (text) and a.keys (records) are secret."""
    return load_kb([FIXTURES / "hostile_kb"], bundled=False)


def _everything(result: object) -> str:
    return json.dumps(result, default=str)


def test_secret_value_is_redacted_in_evidence_templates_and_reports(kb) -> None:
    facts = {"a.token": TOKEN, "a.keys": [{"id": "k1", "value": TOKEN}], "a.flag": True}
    result = run_diagnosis(facts, pack="alpha", kb=kb, now=NOW)
    assert {"token", "key"} <= set(result.cause_ids)
    token = next(c for c in result.causes if c.id == "token")
    assert token.evidence[0].facts == {"a.token": REDACTED}
    assert token.evidence[0].because == "The token is ***."
    assert token.remediation == "Rotate the token \\*\\*\\*."  # Markdown for a literal ***
    assert "Rotate the token ***." in to_text(result)
    key = next(c for c in result.causes if c.id == "key")
    assert key.evidence[0].record == {"id": REDACTED, "value": REDACTED}
    for shown in (result.model_dump_json(), to_text(result), to_markdown(result)):
        assert TOKEN not in shown
        assert "k1" not in shown


def test_secret_value_captured_by_an_extractor_is_redacted_in_inferred(kb) -> None:
    result = run_diagnosis({"msg": f"token={TOKEN}"}, pack="alpha", kb=kb, now=NOW)
    assert result.inferred["a.token"] == REDACTED


@pytest.mark.parametrize(
    "facts",
    [
        {"a.token": ["not", "text", TOKEN]},
        {"a.token": TOKEN * 50_000},
        {"a.keys": [{"id": "k", "value": [TOKEN]}]},
        {"a.keys": [TOKEN]},
        {"a.keys": TOKEN},
    ],
    ids=["wrong-type", "too-long", "record-field", "record-row", "not-records"],
)
def test_secret_value_is_never_echoed_in_an_error(kb, facts: dict[str, object]) -> None:
    with pytest.raises(FactError) as info:
        run_diagnosis(facts, pack="alpha", kb=kb, now=NOW)
    assert TOKEN not in str(info.value)
    assert TOKEN not in _everything(info.value.to_dict())
    assert info.value.value in (REDACTED, None)


def test_redact_secrets_is_the_helper_for_stored_sessions(kb) -> None:
    facts = {"a.token": TOKEN, "a.flag": True, "not.in.catalogue": 1}
    assert redact_secrets(facts, kb.packs["alpha"].facts) == {
        "a.token": REDACTED, "a.flag": True, "not.in.catalogue": 1
    }
    assert facts["a.token"] == TOKEN  # a copy: the caller's facts are left alone


def test_capturing_a_secret_out_of_a_text_that_is_not_secret_is_kb109(tmp_path) -> None:
    import shutil

    from syncdoctor import KnowledgeBaseError

    layer = tmp_path / "kb"
    shutil.copytree(FIXTURES / "hostile_kb", layer)
    facts = layer / "facts" / "alpha.yaml"
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text.replace("msg: {type: text, secret: true}", "msg: {type: text}"), "utf-8")
    with pytest.raises(KnowledgeBaseError) as info:
        load_kb([layer], bundled=False)
    assert info.value.code == "KB109"
    assert "mark 'msg' secret: true too" in str(info.value)


def test_a_secret_never_reaches_the_session_store(kb) -> None:
    from syncdoctor import Interview, MemoryStore

    store = MemoryStore()
    iv = Interview.start(store=store, kb=kb, pack="alpha", facts={"a.token": TOKEN}, now=NOW)
    iv.answer("a.keys", [{"id": "k1", "value": TOKEN}])
    stored = store.load(iv.id).model_dump_json()
    assert TOKEN not in stored
    assert "k1" not in stored
    assert REDACTED in stored
    assert "token" in iv.diagnosis.cause_ids  # the session still knows it was given
    again = Interview.resume(iv.id, store=store, kb=kb)
    assert TOKEN not in again.diagnosis.model_dump_json()


def test_a_live_session_reasons_on_its_secrets_and_a_resumed_one_asks_again(kb) -> None:
    from syncdoctor import Interview, MemoryStore

    store = MemoryStore()
    iv = Interview.start(store=store, kb=kb, pack="alpha", facts={"msg": f"error {TOKEN}"},
                         now=NOW)
    iv.answer("a.keys", [{"id": "k1", "value": TOKEN}])
    # The values are held in this process's memory: the rules read them, the store does not.
    assert {"seen", "key"} <= set(iv.diagnosis.cause_ids) and iv.diagnosis.warnings == []
    assert iv.facts == {"a.keys": REDACTED, "msg": REDACTED}
    assert TOKEN not in store.load(iv.id).model_dump_json() + iv.diagnosis.model_dump_json()
    again = Interview.resume(iv.id, store=store, kb=kb)
    assert "key" not in again.diagnosis.cause_ids
    assert "a.keys" in [q.fact for q in again.diagnosis.questions]
    assert again.diagnosis.warnings == [
        "the answer to 'a.keys' is secret and not kept in the session store; give it again"]


def test_a_case_report_shows_a_secret_fact_as_stars(kb, tmp_path) -> None:
    import subprocess
    import sys

    from syncdoctor.report import render_ticket, ticket_from_case

    facts = {"a.token": TOKEN, "a.keys": [{"id": "k1", "value": TOKEN}], "a.flag": True}
    result = run_diagnosis(facts, pack="alpha", kb=kb, now=NOW)
    for kept in (ticket_from_case(result, facts, kb=kb),
                 ticket_from_case(result.model_copy(update={"pack": None}), facts, kb=kb)):
        text = render_ticket(kept)
        assert TOKEN not in text and "k1" not in text
        assert "| `a.token` | `***` | case file |" in text
    forgotten = render_ticket(ticket_from_case(result, facts))  # not the bundled KB's diagnosis
    assert TOKEN not in forgotten and "| `a.flag` | `***` | case file |" in forgotten
    case = tmp_path / "case.yaml"
    case.write_text(f"pack: alpha\nnow: {NOW}\nfacts:\n  a.token: {TOKEN}\n  a.flag: true\n",
                    encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "syncdoctor", "diagnose", str(case), "--kb",
                           str(FIXTURES / "hostile_kb"), "--format", "markdown"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout and "| `a.token` | `***` | case file |" in done.stdout


def test_a_refused_secret_value_is_not_shown_in_the_case_file_excerpt(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from support import synthetic_pack

    (tmp_path / "kb").mkdir()
    synthetic_pack(tmp_path / "kb", "  s.kind: {type: enum, values: [a, b], secret: true}\n",
                   ["{fact: s.kind, eq: a}"])
    case = tmp_path / "case.yaml"
    case.write_text("pack: synthetic\nfacts:\n  s.kind: sk_live_SUPERSECRET_999\n")
    done = subprocess.run([sys.executable, "-m", "syncdoctor", "diagnose", str(case), "--kb",
                           str(tmp_path / "kb")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "CASE102" in done.stderr, done.stderr
    assert "SUPERSECRET" not in done.stderr + done.stdout
