"""syncdoctor.Interview: each step validated, committed, then replayed; resume is exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor import (
    FactError,
    Interview,
    InterviewError,
    MemoryStore,
    PackError,
    SqliteStore,
    diagnose,
)
from syncdoctor.interview import SessionHeader, new_session_id

NOW = "2024-05-01T12:00:00Z"


def start(store: MemoryStore | SqliteStore, pack: str = "connectbooster", **kw: object) -> Interview:
    return Interview.start(store=store, pack=pack, now=NOW, **kw)  # type: ignore[arg-type]


def test_an_answer_is_committed_before_it_is_acknowledged(tmp_path: Path, bundled_kb) -> None:
    with SqliteStore(tmp_path / "s.db") as store:
        iv = start(store, kb=bundled_kb)
        result = iv.answer("payment.applied_manually", "yes")
        assert "payment_applied_manually" in result.cause_ids
        assert result == iv.diagnosis
        events = store.load(iv.id).events
        assert [(e.kind, e.fact, e.value, e.source) for e in events] == [
            ("answer", "payment.applied_manually", True, "agent")
        ]
    with SqliteStore(tmp_path / "s.db") as reopened:
        assert Interview.resume(iv.id, store=reopened, kb=bundled_kb).diagnosis == iv.diagnosis


def test_answers_list_values_skips_sources_and_times_in_order(bundled_kb) -> None:
    iv = start(MemoryStore(), kb=bundled_kb)
    iv.answer("payment.applied_manually", False, source="bot")
    iv.skip("credit_memo.applied")
    assert [(a.fact, a.value, a.unknown, a.source) for a in iv.answers] == [
        ("payment.applied_manually", False, False, "bot"),
        ("credit_memo.applied", None, True, "agent"),
    ]
    assert iv.answers[0].at <= iv.answers[1].at
    assert iv.diagnosis.unknown == ["credit_memo.applied"]


def test_a_bad_answer_raises_and_changes_nothing(bundled_kb) -> None:
    store = MemoryStore()
    iv = start(store, kb=bundled_kb)
    iv.answer("payment.applied_manually", True)
    before = iv.diagnosis
    for fact, value, match in [
        ("payment.applied_manualy", True, "did you mean 'payment.applied_manually'"),
        ("payment.amount", "lots", "expected a number"),
        ("payment.made_at", "the other day", "accepted: now"),
        ("payment.applied_manually", None, "skip"),
    ]:
        with pytest.raises(FactError, match=match):
            iv.answer(fact, value)
    assert iv.diagnosis == before
    assert len(store.load(iv.id).events) == 1
    assert len(iv.answers) == 1


def test_datetime_phrases_are_read_against_the_case_clock(bundled_kb) -> None:
    iv = start(MemoryStore(), kb=bundled_kb)
    checked = iv.check("payment.made_at", "3 hours ago")
    assert checked.json == "2024-05-01T09:00:00Z"
    assert checked.understood is not None and "3 hours before" in checked.understood
    iv.answer("payment.made_at", "yesterday 15:00")
    assert iv.facts["payment.made_at"] == "2024-04-30T15:00:00Z"


def test_undo_takes_back_the_latest_answer_or_skip(bundled_kb) -> None:
    iv = start(MemoryStore(), kb=bundled_kb)
    with pytest.raises(InterviewError, match="nothing to undo"):
        iv.undo()
    first = iv.diagnosis
    iv.answer("payment.applied_manually", True)
    iv.skip("credit_memo.applied")
    iv.undo()
    assert [a.fact for a in iv.answers] == ["payment.applied_manually"]
    assert iv.diagnosis.unknown == []
    iv.undo()
    assert iv.diagnosis == first


def test_a_skipped_or_known_fact_is_never_asked(bundled_kb) -> None:
    iv = start(MemoryStore(), facts={"client.name": "Northwind"}, unknown=["error.message"],
               kb=bundled_kb)
    seen: list[str] = []
    while (question := iv.next_question()) is not None:
        assert question.fact not in iv.facts
        assert question.fact not in iv.diagnosis.unknown
        assert question.fact not in seen
        seen.append(question.fact)
        iv.skip(question.fact)
    assert "error.message" not in seen and seen, "questions were asked, never the unknown one"
    assert iv.finished


def test_not_fixed_rules_out_the_top_cause_and_moves_on(bundled_kb) -> None:
    iv = start(MemoryStore(), kb=bundled_kb)
    iv.answer("payment.applied_manually", True)
    iv.answer("invoice.recreated", True)
    assert iv.diagnosis.cause_ids[:1] == ["payment_applied_manually"]
    with pytest.raises(InterviewError, match="not among the current causes"):
        iv.not_fixed("credit_memo_applied")
    after = iv.not_fixed()
    assert "payment_applied_manually" not in after.cause_ids
    assert after.cause_ids[:1] == ["invoice_recreated"], "the next hypothesis"
    ruled = {r.id: r for r in after.ruled_out}["payment_applied_manually"]
    assert ruled.reasons[-1].rule == "agent.not_fixed"
    assert iv.not_fixed_causes == ("payment_applied_manually",)
    iv.undo()  # takes back the last answer, not the "not fixed"
    assert "payment_applied_manually" in {r.id for r in iv.diagnosis.ruled_out}


def test_a_pasted_message_chooses_the_pack(bundled_kb) -> None:
    iv = Interview.start(store=MemoryStore(), now=NOW, kb=bundled_kb,
                         message="Payment could not be applied: invoice INV-1043 was not found")
    assert iv.pack == "connectbooster"
    assert iv.diagnosis.inferred, "the message was classified"
    assert iv.next_question() is not None


def test_an_unrecognised_message_asks_for_the_pack(bundled_kb) -> None:
    iv = Interview.start(store=MemoryStore(), now=NOW, kb=bundled_kb, message="it broke")
    assert iv.pack is None and iv.next_question() is None and not iv.finished
    assert [c.id for c in iv.diagnosis.pack_choices] == sorted(bundled_kb.packs)
    with pytest.raises(InterviewError, match="no pack is chosen yet"):
        iv.answer("sync.status", "failed")
    with pytest.raises(PackError):
        iv.choose_pack("impak")
    iv.choose_pack("impac")
    assert iv.pack == "impac"
    assert iv.facts == {"error.message": "it broke"}
    question = iv.next_question()
    assert question is not None
    resumed = Interview.resume(iv.id, store=iv.store, kb=bundled_kb)
    assert resumed.pack == "impac" and resumed.diagnosis == iv.diagnosis


def test_start_refuses_bad_facts_and_unknown_ids_and_stores_nothing(bundled_kb) -> None:
    store = MemoryStore()
    with pytest.raises(FactError, match="did you mean"):
        start(store, unknown=["payment.aplied_manually"], kb=bundled_kb)
    with pytest.raises(FactError, match="both given a value and declared unknown"):
        start(store, facts={"payment.applied_manually": True},
              unknown=["payment.applied_manually"], kb=bundled_kb)
    assert store.list() == ()


def test_resume_on_another_kb_version_warns_and_carries_on(bundled_kb) -> None:
    store = MemoryStore()
    header = SessionHeader(
        id=new_session_id(), created_at="2024-05-01T12:00:00Z", pack="connectbooster",
        kb_version="an-older-kb", clock=NOW, facts={"payment.applied_manually": True,
                                                    "gone.fact": 1},
        unknown=[],
    )
    store.create(header)
    store.append(header.id, "answer", fact="invoice.recreated", value=True, source="agent")
    iv = Interview.resume(header.id, store=store, kb=bundled_kb)
    warnings = iv.diagnosis.warnings
    assert any("started on knowledge base an-older-kb" in w for w in warnings)
    assert any("'gone.fact' is no longer in pack" in w for w in warnings)
    assert {"payment_applied_manually", "invoice_recreated"} <= set(iv.diagnosis.cause_ids)
    iv.answer("credit_memo.applied", False)  # and carries on
    assert len(store.load(header.id).events) == 2


def test_the_interview_matches_a_stateless_diagnosis_of_the_same_facts(bundled_kb) -> None:
    iv = start(MemoryStore(), facts={"client.name": "Northwind"}, kb=bundled_kb)
    iv.answer("payment.applied_manually", True)
    iv.skip("credit_memo.applied")
    iv.answer("payment.made_at", "2024-04-30T10:00:00Z")
    again = diagnose(iv.facts, pack="connectbooster", kb=bundled_kb, now=NOW,
                     unknown=["credit_memo.applied"])
    assert again == iv.diagnosis


def test_a_session_started_from_a_message_is_titled_by_its_first_line(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    from syncdoctor.interview.events import TITLE_CHARACTERS

    store = MemoryStore()
    pasted = "\n   Terms code 30NET does not exist in Sage 300  \nat line 2 of the log"
    iv = Interview.start(store=store, message=pasted, kb=bundled_kb, now=NOW)
    assert iv.header.title == "Terms code 30NET does not exist in Sage 300"
    assert store.list()[0].title == iv.header.title
    named = Interview.start(store=store, message=pasted, title="Ticket 4411", kb=bundled_kb,
                            now=NOW)
    assert named.header.title == "Ticket 4411"
    long = Interview.start(store=store, message="x" * 500, pack="sage300", kb=bundled_kb,
                           now=NOW)
    assert long.header.title == "x" * (TITLE_CHARACTERS - 1) + "…"  # no space: cut, said cut
    words = Interview.start(store=store, message="Payment 60231 failed " * 20, pack="sage300",
                            kb=bundled_kb, now=NOW).header.title
    assert words is not None and len(words) <= TITLE_CHARACTERS and words.endswith("failed…")
    assert Interview.start(store=store, pack="impac", kb=bundled_kb, now=NOW).header.title is None


def test_a_remediation_that_fixed_it_closes_the_session_until_a_later_step(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    from syncdoctor.report import session_report

    store = MemoryStore()
    iv = Interview.start(store=store, pack="sage300", kb=bundled_kb, now=NOW, facts={
        "error.message": '1020 - Terms Code "F48" is not defined in A/R Terms',
        "sales_order.erp_sync_status": "failed"})
    top = iv.diagnosis.causes[0]
    assert iv.fixed_cause is None and iv.next_question() is not None
    iv.fixed(source="bot")
    assert iv.fixed_cause == top.id and iv.finished and iv.next_question() is None
    again = Interview.resume(iv.id, store=store, kb=bundled_kb)
    assert again.fixed_cause == top.id and again.finished
    report = session_report(again)
    assert f'**Fixed** by the remediation of "{top.title}" (`{top.id}`), said by the chatbot' in (
        report)
    import json
    assert json.loads(session_report(again, "json"))["fixed"]["cause"] == top.id
    again.not_fixed(top.id)  # "it came back": reopened, the cause ruled out
    assert again.fixed_cause is None and not again.finished
    assert top.id in [r.id for r in again.diagnosis.ruled_out]
    reopened = session_report(again)
    assert "**Fixed**" not in reopened
    history = reopened.split("## Did it fix it?", 1)[1]  # every outcome kept, in order
    assert f"1. {top.title} (`{top.id}`) — **yes** (chatbot, " in history
    assert f"2. {top.title} (`{top.id}`) — no (agent, " in history
    outcomes = json.loads(session_report(again, "json"))["outcomes"]
    assert [(o["cause"], o["fixed"]) for o in outcomes] == [(top.id, True), (top.id, False)]
    with pytest.raises(InterviewError, match="not among the current causes"):
        again.fixed(top.id)  # ruled out now: no longer held
    with pytest.raises(FactError, match="did you mean 'retries_exhausted'"):
        again.fixed("retries_exhausted_nope")  # not a cause of the pack at all


def test_a_fixed_session_fetches_nothing_that_would_reopen_it(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    from syncdoctor.interview.collecting import SessionCollecting
    from syncdoctor.interview.replay import replay

    class NoFetching:
        def plan(self, *args: object) -> object:
            raise AssertionError("a closed session asked its collectors for facts")

    iv = Interview.start(store=MemoryStore(), pack="sage300", kb=bundled_kb, now=NOW, facts={
        "error.message": '1020 - Terms Code "F48" is not defined in A/R Terms'})
    iv.fixed()
    state = replay(bundled_kb, iv.header, iv.events)
    assert state.fixed is not None
    committed: list[str] = []
    SessionCollecting(NoFetching()).gather(  # type: ignore[arg-type]
        bundled_kb, lambda: state, lambda fact, value: committed.append(fact))
    assert committed == []


def test_a_step_from_an_unknown_source_is_a_fact_error_not_a_validation_trace(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    iv = Interview.start(store=MemoryStore(), pack="connectbooster", kb=bundled_kb, now=NOW)
    with pytest.raises(FactError, match="expected one of agent, case, bot, collector, derived"):
        iv.answer("payment.applied_manually", "yes", source="slackbot")  # type: ignore[arg-type]
    assert iv.answers == ()
