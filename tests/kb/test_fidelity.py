"""Fidelity to the seed articles where a kb test case cannot look: escalations and help texts.

Each test's name quotes the article it holds the knowledge base to (issue 13, part 2); the other
rows of the fidelity table are kb test cases in rules/<pack>.test.yaml, named the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from syncdoctor import diagnose
from syncdoctor.engine.knowledge import default_kb
from syncdoctor.kb.compare import evaluate
from syncdoctor.kb.condition import Condition

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_group_id_is_for_our_log_search_not_the_app_support_look_into_splunk_for_this_group_id() -> None:
    # "look into splunk: Connec! API + Connec! Jobs logs ... for this specific group_id" is our own
    # search; "contact the application support directly if their API sent abnormal errors".
    result = diagnose(
        {"error.message": "Xero API returned HTTP 500 Internal Server Error", "org.group_id": "cld-7q2m",
         "sync.status": "failed"},
        pack="impac", now=NOW,
    )
    cause = next(c for c in result.causes if c.id == "sync_failure_app_api")
    assert cause.escalation is not None
    assert cause.escalation.contact.startswith("Xero support")
    assert not any("cld-7q2m" in item for item in cause.escalation.send)
    assert cause.remediation is not None and '"cld-7q2m"' in cause.remediation  # still searched


def test_integration_escalation_still_sends_the_group_id_contact_maestrano_support() -> None:
    # "contact Maestrano support as the issue is coming from the sync": Maestrano can use it.
    result = diagnose(
        {"error.message": "Connec! Jobs: unable to map Invoice INV-9", "org.group_id": "cld-7q2m",
         "sync.status": "failed"},
        pack="impac", now=NOW,
    )
    cause = next(c for c in result.causes if c.id == "sync_failure_integration")
    assert cause.escalation is not None
    assert any("cld-7q2m" in item for item in cause.escalation.send)


def test_frequent_failures_escalate_to_connectbooster_not_its_docs_please_let_us_know() -> None:
    # "Please let us know if payments are failing frequently": the article names no channel; the
    # documentation site it links is not a support contact.
    result = diagnose(
        {"payments.failed_count": 30, "payments.total_count": 100}, pack="connectbooster", now=NOW
    )
    cause = next(c for c in result.causes if c.id == "frequent_sync_failures")
    assert cause.escalation is not None
    assert "kaseya" not in cause.escalation.contact
    assert "http" not in cause.escalation.contact
    assert "Please let us know" in cause.escalation.contact


def test_sage300_category_help_invents_no_menu_path_update_the_category_gl_in_byondpro() -> None:
    # The article says "update the category GL in byondpro" and gives no path to the categories.
    spec = default_kb().packs["sage300"].facts["category.name"]
    assert spec.help is not None
    assert "Categories" not in spec.help
    assert ">" not in spec.help
    assert "update the category GL in byondpro" in spec.help


def test_no_help_or_ask_in_the_kb_names_a_cemetery_setup_menu_the_article_does_not_give() -> None:
    # "Navigate to Administration > Cemetery System Setup > Integration Monitor" is the only path.
    for pack in default_kb().packs.values():
        for fact_id, spec in pack.facts.items():
            for text in (spec.help or "", spec.ask or ""):
                if "Cemetery System Setup >" in text:
                    assert "Cemetery System Setup > Integration Monitor" in text, fact_id


def _end_of_day(now: datetime, day: str, zone: str, run_time: str = "midnight") -> bool | None:
    cond = Condition.model_validate(
        {"fact": "eod.run_time", "time_passed_since": "journal.date", "zone": "org.timezone",
         "end_of_day": True}
    )
    facts = {"eod.run_time": run_time, "journal.date": datetime.fromisoformat(day + "T00:00:00+00:00"),
             "org.timezone": zone}
    return evaluate(cond, facts, now, default_kb().packs["mambu_xero"].facts)


def test_end_of_day_counts_the_local_day_at_midnight_in_your_local_timezone() -> None:
    # "The process will generally take place at midnight in your local timezone".
    late_in_new_york = datetime(2024, 5, 15, 2, tzinfo=UTC)  # 22:00 on the 14th in New York
    assert _end_of_day(late_in_new_york, "2024-05-14", "America/New_York") is False
    assert _end_of_day(late_in_new_york, "2024-05-14", "UTC") is True
    early_in_tokyo = datetime(2024, 5, 14, 16, tzinfo=UTC)  # 01:00 on the 15th in Tokyo
    assert _end_of_day(early_in_tokyo, "2024-05-14", "Asia/Tokyo") is True
    assert _end_of_day(early_in_tokyo, "2024-05-14", "UTC") is False


def test_end_of_day_run_time_can_be_configured_to_be_earlier_or_later() -> None:
    # "the time at which end-of-day processes are run can be configured to be earlier or later".
    evening = datetime(2024, 5, 14, 22, 30, tzinfo=UTC)
    assert _end_of_day(evening, "2024-05-14", "UTC", "22:00") is True  # earlier: same evening
    assert _end_of_day(evening, "2024-05-14", "UTC", "23:00") is False
    night = datetime(2024, 5, 15, 1, 30, tzinfo=UTC)
    assert _end_of_day(night, "2024-05-14", "UTC", "02:00") is False  # later: the night after
    assert _end_of_day(night, "2024-05-14", "UTC", "01:00") is True
    assert _end_of_day(evening, "2024-05-14", "Not/A_Zone") is None  # undecided, not a guess
