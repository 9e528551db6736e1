"""The tools contract in plain Python: budgets, WHY NOT, catalogues, structured errors."""

from __future__ import annotations

import pytest

from syncdoctor.engine.knowledge import load_kb
from syncdoctor.errors import FactError, PackError, RequestError, SyncdoctorError
from syncdoctor.interview import InterviewError, MemoryStore
from syncdoctor.tools import (
    call_tool,
    describe_facts,
    diagnose,
    explain,
    list_packs,
    problem_of,
)
from syncdoctor.tools.sessions import Session, SessionTools

from support import FIXTURES, NOW, reply

FAILED = {"app.name": "Xero", "sync.status": "failed", "sync.failed_at": "2024-05-01T09:42:00Z",
          "error.message": "Xero API returned HTTP 500 Internal Server Error for group cld-4f2a"}


def test_the_budget_keeps_a_diagnosis_small_and_says_the_same_thing() -> None:
    full = diagnose(FAILED, pack="impac", now=NOW)
    small = diagnose(FAILED, pack="impac", now=NOW, max_questions=1, include=[])
    assert full.ruled_out and full.inferred and full.causes[0].evidence and len(full.questions) > 1
    assert small.cause_ids == full.cause_ids
    assert small.questions == full.questions[:1]
    assert small.ruled_out == [] and small.inferred == {}
    assert all(c.evidence == [] for c in small.causes)
    assert len(small.model_dump_json()) < len(full.model_dump_json()) / 2
    only_evidence = diagnose(FAILED, pack="impac", now=NOW, include=["evidence"])
    assert only_evidence.causes == full.causes and only_evidence.ruled_out == []


def test_unknown_facts_are_not_asked_again() -> None:
    first = diagnose(FAILED, pack="impac", now=NOW).questions[0].fact
    again = diagnose(FAILED, pack="impac", now=NOW, unknown=[first])
    assert first not in [q.fact for q in again.questions] and again.unknown == [first]


def test_how_for_a_cause_that_holds() -> None:
    account = explain("sync_failure_app_api", FAILED, now=NOW)
    assert account.pack == "impac" and account.status == "holds" and account.evidence
    assert account.certainty == diagnose(FAILED, pack="impac", now=NOW).causes[0].certainty
    assert any(r.state == "fired" for r in account.rules)


def test_why_not_names_the_condition_the_facts_contradict() -> None:
    facts = {**FAILED, "logs.app_api_errors": True}
    account = explain("sync_failure_integration", facts, pack="impac", now=NOW)
    assert account.status == "unsupported"
    refuted = [r for r in account.rules if r.effect == "supports"]
    assert refuted and all(r.state == "refuted" for r in refuted)
    false = [c.condition for r in refuted for c in r.conditions if c.state == "false"]
    assert "logs.app_api_errors is false" in false
    assert "logs.app_api_errors is false" in account.summary
    true = [c.condition for r in refuted for c in r.conditions if c.state == "true"]
    assert "sync.status is failed" in true


def test_why_not_for_a_ruled_out_and_a_possible_cause() -> None:
    ruled_out = explain("sync_in_progress", FAILED, pack="impac", now=NOW)
    assert ruled_out.status == "ruled_out" and ruled_out.against
    # A synchronisation that ran means the application is linked (issue 12): ruled out.
    linked = explain("app_not_linked", FAILED, pack="impac", now=NOW)
    assert linked.status == "ruled_out"
    assert [r.rule for r in linked.against] == ["impac.sync-ran-so-linked"]
    possible = explain("wrong_application", FAILED, pack="impac", now=NOW)
    assert possible.status == "possible" and "app.is_report_source" in possible.summary
    assert [q.fact for q in possible.questions] == ["app.is_report_source"]


def test_explain_refuses_a_cause_no_pack_has_with_a_suggestion() -> None:
    with pytest.raises(RequestError) as caught:
        explain("sync_failure_app_apy", FAILED)
    problem = problem_of(caught.value)
    assert problem.errors[0].field == "cause" and problem.suggestion == "sync_failure_app_api"


def test_catalogues() -> None:
    packs = list_packs()
    impac = next(p for p in packs.packs if p.id == "impac")
    assert "sync_failure_app_api" in [c.id for c in impac.causes]
    facts = describe_facts("impac")
    status = next(f for f in facts.facts if f.id == "sync.status")
    assert status.type == "enum" and "failed" in (status.values or [])
    with pytest.raises(PackError):
        describe_facts("impak")


@pytest.mark.parametrize(("arguments", "code", "field", "suggestion"), [
    ({"pack": "impac", "facts": {"sync.stauts": "failed"}}, "FactError", "facts.sync.stauts",
     "sync.status"),
    ({"pack": "impak", "facts": {}}, "PackError", "pack", "impac"),
    ({"pack": "impac", "facts": {}, "max_questions": -1}, "RequestError", "max_questions", None),
    ({"pack": "impac", "facts": {}, "include": ["everything"]}, "RequestError", "include[0]",
     None),
    ({"pack": "impac", "facts": [1]}, "RequestError", "facts", None),
    ({"pack": "impac", "facts": {}, "colour": "red"}, "RequestError", "colour", None),
])
def test_errors_name_the_code_the_field_and_a_suggestion(arguments, code, field,
                                                         suggestion) -> None:
    with pytest.raises(SyncdoctorError) as caught:
        call_tool("diagnose", arguments)
    problem = problem_of(caught.value)
    assert problem.code == code and problem.errors[0].field == field
    assert problem.suggestion == suggestion
    assert problem.status == caught.value.http_status


def test_a_wrong_value_names_what_was_expected_and_never_echoes_it_in_fields() -> None:
    with pytest.raises(FactError) as caught:
        call_tool("diagnose", {"pack": "impac", "facts": {"sync.status": "s3cr3t-value"}})
    problem = problem_of(caught.value)
    assert problem.fact == "sync.status" and problem.expected and "failed" in problem.expected
    assert "s3cr3t-value" not in str(problem.details)


def test_an_unknown_tool_is_named() -> None:
    with pytest.raises(RequestError) as caught:
        call_tool("diagnoze", {})
    assert problem_of(caught.value).suggestion == "diagnose"


def test_an_interview_through_the_tools() -> None:
    tools = SessionTools(MemoryStore())
    session = tools.start_interview(pack="impac", facts={"sync.status": "failed"}, now=NOW)
    asked = session.next_question
    assert asked is not None and session.answers == []
    scripted = reply(asked.model_dump())
    answered = tools.answer(session.id, asked.fact, scripted.get("value"),
                            unknown=scripted.get("unknown", False))
    assert [a.fact for a in answered.answers] == [asked.fact]
    asked = answered.answers[0]
    skipped = tools.answer(session.id, answered.next_question.fact, unknown=True)
    assert skipped.answers[-1].unknown and skipped.answers[-1].value is None
    undone = tools.undo(session.id)
    assert undone.answers == answered.answers
    assert tools.get(session.id) == undone
    account = tools.explain(session.id, "app_not_linked")
    settled = {a.fact for a in undone.answers}
    assert account.cause == "app_not_linked" and account.status != "unsupported"
    assert not settled & {q.fact for q in account.questions}  # the session's answers count
    with pytest.raises(RequestError):
        tools.answer(session.id, asked.fact)  # neither a value nor unknown
    assert "#" in tools.report(session.id)


def test_did_this_fix_it_through_the_tools() -> None:
    tools = SessionTools(MemoryStore())
    session = tools.start_interview(pack="sage300", now=NOW, facts={
        "error.message": '1020 - Terms Code "F48" is not defined in A/R Terms',
        "sales_order.erp_sync_status": "failed"})
    first = session.diagnosis.causes[0].id
    ruled = tools.call("outcome", {"session": session.id, "fixed": False})
    assert isinstance(ruled, Session) and ruled.fixed is None
    assert first in [r.id for r in ruled.diagnosis.ruled_out]
    closed = tools.outcome(session.id, True)
    assert closed.fixed == closed.diagnosis.causes[0].id and closed.finished
    assert closed.next_question is None and "**Fixed**" in tools.report(session.id)
    with pytest.raises(InterviewError, match="not among the current causes"):
        tools.outcome(session.id, True, cause=first)  # ruled out: no longer held
    with pytest.raises(RequestError):
        tools.call("outcome", {"session": session.id})  # fixed is required
    with pytest.raises(RequestError):
        tools.call("outcome", {"session": session.id, "fixed": "yes"})  # a bool, strictly
    with pytest.raises(FactError) as caught:
        tools.outcome(session.id, False, cause="retries_exhausetd")
    problem = problem_of(caught.value)
    assert problem.status == 422 and problem.suggestion == "retries_exhausted"
    assert [e.field for e in problem.errors] == ["cause"]
    assert "Questions still worth asking" not in tools.report(session.id)


def test_the_report_tool_through_dispatch_as_a_strict_model_calls_it() -> None:
    """A strict-mode model sends every argument, format null included: that is Markdown."""
    from syncdoctor.tools.sessions import SessionReport, dispatch

    kb = load_kb()
    tools = SessionTools(MemoryStore(), kb)
    session = tools.start_interview(pack="impac", facts={"sync.status": "failed"}, now=NOW)
    report = dispatch("report", {"session": session.id, "format": None}, kb=kb, sessions=tools)
    assert isinstance(report, SessionReport) and report.format == "markdown"
    assert report.text == tools.report(session.id)
    as_json = dispatch("report", {"session": session.id, "format": "json"}, kb=kb,
                       sessions=tools)
    assert isinstance(as_json, SessionReport) and as_json.text == tools.report(session.id, "json")
    with pytest.raises(RequestError) as caught:
        dispatch("report", {"session": session.id, "format": "pdf"}, kb=kb, sessions=tools)
    assert [e.field for e in problem_of(caught.value).errors] == ["format"]
    with pytest.raises(RequestError, match="needs a session store"):
        dispatch("report", {"session": session.id}, kb=kb)


def test_one_problem_names_every_wrong_fact() -> None:
    facts = {"sync.stauts": "failed", "app.nam": "Xero", "app.linked": "maybe",
             "sync.status": "failed"}
    with pytest.raises(FactError) as caught:
        diagnose(facts, pack="impac", now=NOW)
    problem = problem_of(caught.value)
    fields = [e.field for e in problem.errors]
    assert sorted(fields) == ["facts.app.linked", "facts.app.nam", "facts.sync.stauts"]
    assert fields[0] == f"facts.{problem.fact}"  # the first stays where it always was
    by_field = {e.field: e for e in problem.errors}
    assert by_field["facts.sync.stauts"].suggestion == "sync.status"
    assert by_field["facts.app.linked"].expected == "bool"
    assert "maybe" not in str(problem.details)


def test_without_a_pack_only_ids_no_pack_knows_are_listed() -> None:
    # A value is right or wrong in its own pack: terms_code is sage300's, not connectbooster's.
    facts = {"error.kind": "terms_code", "sales_order.erp_sync_statu": "failed",
             "app.nam": "Xero"}
    with pytest.raises(FactError) as caught:
        diagnose(facts, now=NOW)
    fields = sorted(e.field for e in problem_of(caught.value).errors)
    assert fields == ["facts.app.nam", "facts.sales_order.erp_sync_statu"]


def test_a_wrong_record_is_listed_once_and_long_ids_are_cut() -> None:
    facts = {"sync.status": "failedx", "x" * 20_000: 1, "y" * 300: 2}
    with pytest.raises(FactError) as caught:
        diagnose(facts, pack="impac", now=NOW)
    problem = problem_of(caught.value)
    assert len(problem.errors) == 3 and len(problem.model_dump_json()) < 5_000
    hostile = load_kb([FIXTURES / "hostile_kb"], bundled=False)
    with pytest.raises(FactError) as rows:
        diagnose({"a.rows": [{"id": "r", "n": "x"}], "a.flag": "maybe"}, pack="alpha",
                 kb=hostile, now=NOW)
    assert sorted(e.field for e in problem_of(rows.value).errors) == [
        "facts.a.flag", "facts.a.rows[0].n"]
    records = [{"id": "r1", "n": "x"}, {"id": "r2", "n": 3}, {"id": "r3", "n": "y"}]
    with pytest.raises(FactError) as several:
        diagnose({"a.rows": records}, pack="alpha", kb=hostile, now=NOW)
    assert [e.field for e in problem_of(several.value).errors] == [
        "facts.a.rows[0].n", "facts.a.rows[2].n"]  # every wrong record, the right one not
    assert "(and 1 more: fact 'a.rows[2].n': expected a number" in str(several.value)


def test_every_wrong_fact_of_an_interview_start_and_an_explain_is_named() -> None:
    facts = {"sync.stauts": "failed", "app.linkd": True}
    with pytest.raises(FactError) as started:
        SessionTools(MemoryStore()).start_interview(pack="impac", facts=facts, now=NOW)
    with pytest.raises(FactError) as explained:
        explain("app_not_linked", facts, pack="impac", now=NOW)
    for caught in (started, explained):
        assert sorted(e.field for e in problem_of(caught.value).errors) == [
            "facts.app.linkd", "facts.sync.stauts"]


def test_an_answer_names_its_own_fields() -> None:
    tools = SessionTools(MemoryStore())
    session = tools.start_interview(pack="impac", facts={"sync.status": "failed"}, now=NOW)
    with pytest.raises(FactError) as misspelt:
        tools.answer(session.id, "app.linkd", True)
    with pytest.raises(FactError) as mistyped:
        tools.answer(session.id, "app.linked", "maybe")
    assert [(e.field, e.suggestion) for e in problem_of(misspelt.value).errors] == [
        ("fact", "app.linked")]
    assert [(e.field, e.expected) for e in problem_of(mistyped.value).errors] == [
        ("value", "bool")]
    hostile = SessionTools(MemoryStore(), kb=load_kb([FIXTURES / "hostile_kb"], bundled=False))
    started = hostile.start_interview(pack="alpha", now=NOW)
    with pytest.raises(FactError) as row:
        hostile.answer(started.id, "a.rows", [{"id": "r", "n": "x"}])
    assert [e.field for e in problem_of(row.value).errors] == ["value[0].n"]


def test_a_missing_session_does_not_tell_a_client_where_the_store_is(tmp_path) -> None:
    from syncdoctor.interview import SqliteStore

    with SqliteStore(tmp_path / "kept.db") as store, pytest.raises(SyncdoctorError) as caught:
        SessionTools(store).get("0123456789abcdef0123456789abcdef")
    problem = problem_of(caught.value)
    assert problem.code == "SessionNotFound" and problem.status == 404
    assert str(tmp_path) not in problem.model_dump_json()
    assert "syncdoctor sessions" not in problem.message
    assert str(tmp_path) in str(caught.value)  # the operator's own message keeps it
