"""The prompt validators: what an agent may type for each fact type, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncdoctor.cli.terminal.answers import AnswerError, read_answer
from syncdoctor.errors import FactError
from syncdoctor.kb.spec import FactSpec, RecordFieldSpec

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
BOOL = FactSpec(type="bool")
ENUM = FactSpec(type="enum", values=("never_requested", "pending", "success", "failed"))
COUNT = FactSpec(type="integer", minimum=0, maximum=100)
AMOUNT = FactSpec(type="decimal")
WHEN = FactSpec(type="datetime")
TEXT = FactSpec(type="text")
RECORDS = FactSpec(type="records", key="id", fields={
    "id": RecordFieldSpec(type="text", required=True),
    "amount": RecordFieldSpec(type="decimal"),
    "paid": RecordFieldSpec(type="bool"),
})


@pytest.mark.parametrize(("typed", "value"), [("yes", True), ("Y", True), ("no", False),
                                              (" n ", False), ("true", True), ("0", False)])
def test_bool_takes_yes_and_no(typed: str, value: bool) -> None:
    assert read_answer("f", BOOL, typed, now=NOW).value is value


def test_bool_refuses_maybe() -> None:
    with pytest.raises(AnswerError, match="yes or no"):
        read_answer("f", BOOL, "maybe", now=NOW)


def test_enum_by_name_number_or_unique_prefix() -> None:
    assert read_answer("f", ENUM, "failed", now=NOW).value == "failed"
    assert read_answer("f", ENUM, "FAILED", now=NOW).value == "failed"
    assert read_answer("f", ENUM, "2", now=NOW).value == "pending"
    by_prefix = read_answer("f", ENUM, "succ", now=NOW)
    assert by_prefix.value == "success" and by_prefix.understood == "understood as success"


@pytest.mark.parametrize(("typed", "message"), [("5", "choose 1 to 4"), ("zz", "choose one of"),
                                                ("", "skip"), ("²", "choose one of")])
def test_enum_refuses_what_names_no_value(typed: str, message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        read_answer("f", ENUM, typed, now=NOW)


@pytest.mark.parametrize("typed", ["n", "N", "y", "no", "yes"])
def test_a_yes_or_no_habit_is_not_read_as_the_start_of_a_value(typed: str) -> None:
    with pytest.raises(AnswerError, match="not yes or no: choose one of: never_requested"):
        read_answer("f", ENUM, typed, now=NOW)  # "n" starts never_requested


def test_other_short_starts_still_name_their_value() -> None:
    assert read_answer("f", ENUM, "f", now=NOW).value == "failed"
    assert read_answer("f", FactSpec(type="enum", values=("none", "fetch")), "non",
                       now=NOW).value == "none"


def test_where_no_is_a_choice_n_is_the_start_of_it() -> None:
    spec = FactSpec(type="enum", values=("yes", "no", "partly"))
    assert read_answer("f", spec, "no", now=NOW).value == "no"
    assert read_answer("f", spec, "n", now=NOW).value == "no"


def test_an_ambiguous_prefix_lists_the_candidates() -> None:
    spec = FactSpec(type="enum", values=("pending", "paid"))
    with pytest.raises(AnswerError, match="could be pending, paid"):
        read_answer("f", spec, "p", now=NOW)


def test_integer_is_checked_as_typed_against_the_catalogue_range() -> None:
    assert read_answer("f", COUNT, "42", now=NOW).value == 42
    with pytest.raises(AnswerError, match="whole number"):
        read_answer("f", COUNT, "4.5", now=NOW)
    with pytest.raises(AnswerError):
        read_answer("f", COUNT, "101", now=NOW)  # above the fact's maximum


@pytest.mark.parametrize(("typed", "value"), [("1,500", 1500), ("1_500", 1500),
                                              ("1 500", 1500), ("-12,345,678", -12345678)])
def test_integer_digits_may_be_grouped_in_threes(typed: str, value: int) -> None:
    answer = read_answer("f", FactSpec(type="integer"), typed, now=NOW)
    assert answer.value == value and answer.understood == f"understood as {value}"


@pytest.mark.parametrize("typed", ["1,5", ",5", "5,", "12,34", "1_0", "1,50,000", "1,500_000",
                                   "\u0665", "1e3"])
def test_integer_refuses_what_is_not_plainly_a_whole_number(typed: str) -> None:
    """A decimal comma (1,5), a stray separator, non-ASCII digits: never read as digits."""
    with pytest.raises(AnswerError, match="whole number"):
        read_answer("f", FactSpec(type="integer"), typed, now=NOW)


SHARE = FactSpec(type="decimal", unit="%", minimum=0, maximum=100)
OUTCOME = FactSpec(type="enum", values=("draft", "posted", "not_found"))


@pytest.mark.parametrize("typed", ["12%", "12 %", " 12% ", "12"])
def test_a_percentage_may_be_typed_with_its_unit(typed: str) -> None:
    assert read_answer("f", SHARE, typed, now=NOW).value == "12"


def test_the_unit_is_read_by_the_engine_too() -> None:
    from decimal import Decimal

    from syncdoctor.kb.values import type_value

    assert type_value("f", SHARE, "12.5%") == Decimal("12.5")
    with pytest.raises(FactError, match="expected a number"):
        type_value("f", AMOUNT, "12%")  # a fact in no unit takes no unit
    with pytest.raises(AnswerError, match="at most 100"):
        read_answer("f", SHARE, "120%", now=NOW)


@pytest.mark.parametrize("typed", ["not found", "Not Found", "not-found", "not  found"])
def test_an_enum_value_may_be_typed_as_words(typed: str) -> None:
    read = read_answer("f", OUTCOME, typed, now=NOW)
    assert (read.value, read.understood) == ("not_found", "understood as not_found")


def test_a_refused_yes_or_no_says_how_to_say_i_do_not_know() -> None:
    with pytest.raises(AnswerError, match="or 'skip' if you do not know"):
        read_answer("f", BOOL, "dunno", now=NOW)


def test_decimal_keeps_the_digits_typed() -> None:
    assert read_answer("f", AMOUNT, "1,234.50", now=NOW).value == "1,234.50"
    with pytest.raises(AnswerError):
        read_answer("f", AMOUNT, "twelve", now=NOW)


@pytest.mark.parametrize(("typed", "iso"), [
    ("2026-11-20 15:00", "2026-11-20T15:00:00Z"),
    ("yesterday 15:00", "2026-11-19T15:00:00Z"),
    ("3 hours ago", "2026-11-20T12:00:00Z"),
])
def test_datetime_phrases_are_read_against_the_case_clock_and_say_so(typed: str, iso: str) -> None:
    answer = read_answer("f", WHEN, typed, now=NOW)
    assert answer.value == iso
    assert answer.understood is not None and "understood as" in answer.understood


def test_datetime_refuses_nonsense_with_the_forms_it_takes() -> None:
    with pytest.raises(AnswerError):
        read_answer("f", WHEN, "next blue moon", now=NOW)


def test_text_keeps_every_line_of_a_pasted_message() -> None:
    pasted = "HTTP 500\nat sync.run()\n"
    assert read_answer("f", TEXT, pasted, now=NOW).value == "HTTP 500\nat sync.run()"


def test_records_from_typed_csv_rows() -> None:
    typed = "id,amount,paid\nINV-1,12.50,yes\nINV-2,,no\n"
    assert read_answer("f", RECORDS, typed, now=NOW).value == [
        {"id": "INV-1", "amount": "12.50", "paid": True}, {"id": "INV-2", "paid": False}]


def test_records_from_a_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "txns.csv"
    path.write_text("id,amount\nINV-9,3\n", encoding="utf-8")
    assert read_answer("f", RECORDS, str(path), now=NOW).value == [{"id": "INV-9", "amount": "3"}]


@pytest.mark.parametrize(("typed", "message"), [
    ("id,colour\nINV-1,red\n", "column 'colour' is not a field"),
    ("id,colour,size\nINV-1,red,9\n", "columns 'colour', 'size' are not fields"),
    ("id,amount\n", "header row"),
    ("amount\n3\n", "id"),  # the key field is required
    ("missing.csv", "cannot read missing.csv"),
])
def test_records_refuse_unknown_columns_missing_rows_and_missing_files(typed: str, message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        read_answer("f", RECORDS, typed, now=NOW)


def test_the_prompt_names_a_number_s_unit_and_what_to_type() -> None:
    from syncdoctor import diagnose
    from syncdoctor.cli.terminal.loop import _request
    from syncdoctor.engine.knowledge import default_kb

    diagnosis = diagnose({}, pack="connectbooster", now=NOW)
    spec = default_kb().packs["connectbooster"].facts["payments.failing_share"]
    question = diagnosis.questions[0].model_copy(
        update={"fact": "payments.failing_share", "type": "decimal", "values": None})
    request = _request(question, spec, diagnosis)
    assert request.label == "payments.failing_share (decimal, %) >"
    assert request.hint.startswith("a percentage from 0 to 100, e.g. 12 or 12% (not 0.12)")
    assert request.check("12%") is None


def test_i_do_not_know_in_words_is_skip(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "interview", "--pack", "connectbooster"],
        input="don't know\nI don\u2019t know\nquit\n", capture_output=True, text=True,
        timeout=120, env={**os.environ, "SYNCDOCTOR_STORE": f"sqlite:{tmp_path / 's.db'}"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("noted: don't know; it will not be asked again") == 2


def test_a_whole_number_range_is_said_in_whole_numbers() -> None:
    with pytest.raises(AnswerError, match=r"expected at least 0; got -1$"):
        read_answer("f", COUNT, "-1", now=NOW)
    with pytest.raises(AnswerError, match=r"expected at most 100; got 101$"):
        read_answer("f", COUNT, "101", now=NOW)


def test_a_misspelt_fact_is_matched_without_its_group_too() -> None:
    from syncdoctor.engine.knowledge import default_kb
    from syncdoctor.kb.problems import nearest

    facts = default_kb().packs["iseller_accurate"].facts
    assert nearest("sync.modee", facts) == "sales.sync_mode"  # not sync.log
    assert nearest("sync.stauts", default_kb().packs["impac"].facts) == "sync.status"


def test_facts_shows_a_table_answer_as_records_not_python() -> None:
    from syncdoctor.cli.terminal.show import _shown

    shown = _shown([{"accurate_id": "8839201", "name": "Toko", "has_id": True}, {"id": "2"}])
    assert shown == "2 records (first: accurate_id 8839201; name Toko; has_id yes)"
    assert "{" not in shown and _shown([]) == "0 records"
