""""Unknown is an answer": diagnose(facts, unknown=[...]) and a case file's unknown: list."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor import FactError, diagnose
from syncdoctor.casefile import read_case

from support import NOW

STALE_XERO = {
    "app.name": "Xero",
    "sync.status": "success",
    "sync.last_success_at": "2024-05-01T08:00:00Z",
}


def test_an_unknown_fact_is_never_asked_and_is_listed(bundled_kb) -> None:
    before = diagnose({}, pack="connectbooster", kb=bundled_kb, now=NOW)
    assert "payment.applied_manually" in [q.fact for q in before.questions]
    after = diagnose(
        {}, pack="connectbooster", kb=bundled_kb, now=NOW, unknown=["payment.applied_manually"]
    )
    assert "payment.applied_manually" not in [q.fact for q in after.questions]
    assert after.unknown == ["payment.applied_manually"]
    assert before.unknown == []


def test_no_rule_fires_on_an_unknown_fact_and_known_false_holds(bundled_kb) -> None:
    # sync.status unknown: the rules on its value stay silent, and "known: false" tests hold,
    # exactly as when it is not given; only the questions differ.
    given = diagnose(STALE_XERO, pack="impac", kb=bundled_kb, now=NOW)
    facts = {k: v for k, v in STALE_XERO.items() if k != "sync.status"}
    absent = diagnose(facts, pack="impac", kb=bundled_kb, now=NOW)
    unknown = diagnose(facts, pack="impac", kb=bundled_kb, now=NOW, unknown=["sync.status"])
    assert "impac.sync-running.otherwise" in given.rules_fired
    assert unknown.rules_fired == absent.rules_fired
    assert "impac.sync-running.otherwise" not in unknown.rules_fired
    assert unknown.cause_ids == absent.cause_ids
    assert "sync.status" in [q.fact for q in absent.questions]
    assert "sync.status" not in [q.fact for q in unknown.questions]


def test_an_error_message_still_states_a_fact_the_user_could_not_answer(bundled_kb) -> None:
    message = "Booking 10319: 1020 - Terms Code “F48” is not defined in A/R Terms."
    found = diagnose({"error.message": message}, pack="sage300", kb=bundled_kb, now=NOW)
    extracted = sorted(found.inferred)
    assert extracted, "the message is classified into facts"
    target = next(f for f in extracted if not bundled_kb.packs["sage300"].facts[f].derived)
    kept = diagnose(
        {"error.message": message}, pack="sage300", kb=bundled_kb, now=NOW, unknown=[target]
    )
    assert kept.inferred[target] == found.inferred[target], "the message answers it"
    assert kept.unknown == [], "worked out, so no longer unknown"
    assert target not in [q.fact for q in kept.questions]


def test_an_unknown_id_the_pack_lacks_is_a_fact_error_with_did_you_mean(bundled_kb) -> None:
    with pytest.raises(FactError, match=r"did you mean 'sync\.status'") as caught:
        diagnose({}, pack="impac", kb=bundled_kb, now=NOW, unknown=["sync.stauts"])
    assert caught.value.fact == "sync.stauts"


def test_a_fact_both_given_and_unknown_is_a_fact_error(bundled_kb) -> None:
    with pytest.raises(FactError, match="both given a value and declared unknown"):
        diagnose(STALE_XERO, pack="impac", kb=bundled_kb, now=NOW, unknown=["sync.status"])


def test_a_derived_fact_cannot_be_declared_unknown(bundled_kb) -> None:
    with pytest.raises(FactError, match="worked out by the rules"):
        diagnose({}, pack="impac", kb=bundled_kb, now=NOW, unknown=["app.sync_mode"])


def test_a_lone_string_is_refused_rather_than_read_letter_by_letter(bundled_kb) -> None:
    with pytest.raises(FactError, match="list of fact ids"):
        diagnose({}, pack="impac", kb=bundled_kb, now=NOW, unknown="sync.status")  # type: ignore[arg-type]


def test_unknown_ids_help_choose_the_pack(bundled_kb) -> None:
    result = diagnose({}, kb=bundled_kb, now=NOW, unknown=["payment.applied_manually"])
    assert result.pack == "connectbooster"
    assert result.unknown == ["payment.applied_manually"]


def test_not_fixed_rules_the_cause_out_with_that_reason(bundled_kb) -> None:
    facts = {"payment.applied_manually": True}
    before = diagnose(facts, pack="connectbooster", kb=bundled_kb, now=NOW)
    assert "payment_applied_manually" in before.cause_ids
    after = diagnose(
        facts, pack="connectbooster", kb=bundled_kb, now=NOW,
        not_fixed=["payment_applied_manually"],
    )
    assert "payment_applied_manually" not in after.cause_ids
    ruled = {r.id: r for r in after.ruled_out}["payment_applied_manually"]
    assert [r.rule for r in ruled.reasons] == ["agent.not_fixed"]
    assert all("payment_applied_manually" not in q.causes for q in after.questions)


def test_not_fixed_on_a_cause_the_pack_lacks_is_a_fact_error(bundled_kb) -> None:
    with pytest.raises(FactError, match="no cause 'payment_aplied_manually'") as caught:
        diagnose({}, pack="connectbooster", kb=bundled_kb, now=NOW,
                 not_fixed=["payment_aplied_manually"])
    assert caught.value.suggestion == "payment_applied_manually"


def test_a_case_file_unknown_list_is_read_and_used(tmp_path: Path, bundled_kb) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(
        "pack: connectbooster\nnow: 2024-05-01T12:00:00Z\nfacts: {}\n"
        "unknown: [payment.applied_manually]\n",
        encoding="utf-8",
    )
    case = read_case(path)
    assert case.unknown == ["payment.applied_manually"]
    result = diagnose(case.facts, pack=case.pack, kb=bundled_kb, now=case.now,
                      unknown=case.unknown)
    assert "payment.applied_manually" not in [q.fact for q in result.questions]


@pytest.mark.parametrize(("call", "said"), [
    ({"unknown": "sync.status"}, "unknown: expected a list of fact ids"),
    ({"now": "yesterday"}, "now: expected an ISO 8601 date-time"),
    ({"not_fixed": ["nope"]}, "not_fixed: pack 'impac' has no cause 'nope'"),
])
def test_an_input_that_is_no_fact_is_not_called_one(call: dict[str, object], said: str,
                                                    bundled_kb) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FactError) as raised:
        diagnose({}, pack="impac", kb=bundled_kb, **{"now": NOW, **call})  # type: ignore[arg-type]
    assert str(raised.value).startswith(said)
