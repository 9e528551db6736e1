"""The datetime answer parser: the forms an agent types, read against the case clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.interview.datetimes import ACCEPTED_FORMS, MAX_TEXT, parse_datetime_text
from syncdoctor.interview.errors import DateTimeTextError

CLOCK = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday


def read(text: str, now: datetime = CLOCK) -> datetime:
    return parse_datetime_text(text, now=now).value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", CLOCK),
        ("  NOW ", CLOCK),
        ("2026-11-20 15:00", datetime(2026, 11, 20, 15, 0, tzinfo=UTC)),
        ("2026-11-20T15:00:00Z", datetime(2026, 11, 20, 15, 0, tzinfo=UTC)),
        ("2026-11-20t15:00z", datetime(2026, 11, 20, 15, 0, tzinfo=UTC)),
        ("2026-11-20T15:00:00+02:00", datetime(2026, 11, 20, 13, 0, tzinfo=UTC)),
        ("2026-11-20 15:00 +02:00", datetime(2026, 11, 20, 13, 0, tzinfo=UTC)),
        ("2026-11-20 15:00 UTC", datetime(2026, 11, 20, 15, 0, tzinfo=UTC)),
        ("2026-11-20 15:00:07.25", datetime(2026, 11, 20, 15, 0, 7, 250000, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("yesterday 15:00", datetime(2026, 11, 19, 15, 0, tzinfo=UTC)),
        ("Yesterday at 7:05:09", datetime(2026, 11, 19, 7, 5, 9, tzinfo=UTC)),
        ("today 9:30", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        ("today 9:30 +10:00", datetime(2026, 11, 20, 23, 30, tzinfo=UTC) - timedelta(days=1)),
        ("3 hours ago", CLOCK - timedelta(hours=3)),
        ("2 days ago", CLOCK - timedelta(days=2)),
        ("30 min ago", CLOCK - timedelta(minutes=30)),
        ("30min ago", CLOCK - timedelta(minutes=30)),
        ("45s ago", CLOCK - timedelta(seconds=45)),
        ("an hour ago", CLOCK - timedelta(hours=1)),
        ("1 week ago", CLOCK - timedelta(weeks=1)),
    ],
)
def test_the_accepted_forms(text: str, expected: datetime) -> None:
    moment = read(text)
    assert moment == expected
    assert moment.tzinfo is UTC


def test_today_and_yesterday_follow_the_case_clock_not_the_wall_clock() -> None:
    late_evening_in_tokyo = datetime(2026, 3, 1, 23, 0, tzinfo=timezone(timedelta(hours=9)))
    assert read("yesterday 15:00", late_evening_in_tokyo) == datetime(2026, 2, 28, 6, 0, tzinfo=UTC)
    assert read("today 9:30", datetime(2026, 11, 20, 0, 5)) == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_the_understood_text_says_what_was_assumed() -> None:
    assert parse_datetime_text("2026-11-20 15:00", now=CLOCK).understood == (
        "understood as Friday 2026-11-20 15:00 UTC "
        "(no time zone given: taken as UTC; 5 hours after the case clock)"
    )
    assert parse_datetime_text("yesterday 15:00", now=CLOCK).understood == (
        "understood as Thursday 2026-11-19 15:00 UTC "
        "(yesterday, by the case clock's date in UTC; 19 hours before the case clock)"
    )
    assert "2026-11-20 15:00 +02:00 as typed" in parse_datetime_text(
        "2026-11-20T15:00+02:00", now=CLOCK).understood
    assert "a date alone: midnight" in parse_datetime_text("2026-11-18", now=CLOCK).understood
    assert parse_datetime_text("now", now=CLOCK).understood.endswith("(the case clock)")
    assert "2 days 2 hours before" in parse_datetime_text("2026-11-18 07:59", now=CLOCK).understood


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "nothing typed"),
        ("yesterday", "write a time"),
        ("today 24:00", "such as 9:30"),
        ("today 9:5", "such as 9:30"),
        ("3 fortnights ago", "the unit is one of"),
        ("three hours ago", "whole number"),
        ("1234567 days ago", "whole number"),
        ("ago", "amount and a unit"),
        ("999999 weeks ago", "outside the years"),
        ("0001-01-01T00:00:00+01:00", "outside the years"),
        ("2026-11-20T15:00Z UTC", "two time zones"),
        ("next tuesday", "not a form"),
        ("2026-02-30", "not a form"),
        ("2026-11-20 15:00 16:00 17:00", "not a form"),
        ("\uff12\uff10\uff12\uff16-11-20", "ASCII"),  # full-width digits
        ("now\u200b", "ASCII"),  # a zero-width space
        ("9" * (MAX_TEXT + 1), f"longer than {MAX_TEXT}"),
    ],
)
def test_other_text_is_refused_with_the_accepted_forms(text: str, reason: str) -> None:
    with pytest.raises(DateTimeTextError, match=reason) as raised:
        read(text)
    assert isinstance(raised.value, ValueError)
    assert raised.value.accepted == ACCEPTED_FORMS
    assert "accepted forms: now, 2026-11-20 15:00" in str(raised.value)


def test_a_huge_input_is_refused_and_not_echoed() -> None:
    with pytest.raises(DateTimeTextError) as raised:
        read("1" * 1_000_000 + " hours ago")
    assert len(str(raised.value)) < 500


# -- properties ----------------------------------------------------------------------------

OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
MOMENTS = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31))
TOKENS = st.sampled_from(["now", "today", "yesterday", "at", "ago", "utc", "z", "3", "30min", "h",
                          "days", "an", "15:00", "9:5", "+02:00", "-0530", "2026-11-20",
                          "2026-11-20T15:00", "T", ":", "-", "+", "99999999", "0:00:60"])


@given(text=st.text(max_size=80))
def test_any_text_is_read_or_refused_with_the_documented_error(text: str) -> None:
    try:
        moment = read(text)
    except DateTimeTextError:
        return
    assert moment.tzinfo is UTC


@given(words=st.lists(TOKENS, min_size=1, max_size=4), clock=MOMENTS, zone=OFFSETS)
def test_any_mix_of_the_forms_words_is_read_or_refused(words: list[str], clock: datetime, zone: timezone) -> None:
    try:
        moment = read(" ".join(words), clock.replace(tzinfo=zone))
    except DateTimeTextError:
        return
    assert moment.tzinfo is UTC


@given(moment=MOMENTS, zone=OFFSETS)
def test_iso_text_round_trips(moment: datetime, zone: timezone) -> None:
    aware = moment.replace(tzinfo=zone)
    assert read(aware.isoformat()) == aware
    assert read(aware.isoformat(sep=" ")) == aware
    assert read(moment.isoformat()) == moment.replace(tzinfo=UTC)  # no zone: UTC
    assert read(read(aware.isoformat()).isoformat()) == aware  # what the Interview stores reads back


@given(amount=st.integers(min_value=0, max_value=5000), unit=st.sampled_from(
    [("min", timedelta(minutes=1)), ("hours", timedelta(hours=1)), ("d", timedelta(days=1))]))
def test_ago_counts_back_from_the_case_clock(amount: int, unit: tuple[str, timedelta]) -> None:
    assert read(f"{amount} {unit[0]} ago") == CLOCK - amount * unit[1]
