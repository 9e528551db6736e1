"""The tests comparing two facts: periods, times of day, zones, text, tolerances and ratios."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from syncdoctor.kb.clocktimes import parse_times, parse_zone, time_passed
from syncdoctor.kb.compare import evaluate, normal_text
from syncdoctor.kb.periods import Period, parse_period, parse_year_start, same_period
from syncdoctor.kb.spec import Condition, FactSpec
from syncdoctor.types import FactValue

TODAY = date(2024, 5, 15)
JULY = (7, 1)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("this month", date(2024, 5, 1), date(2024, 5, 31)),
        ("Last  Month", date(2024, 4, 1), date(2024, 4, 30)),
        ("month to date", date(2024, 5, 1), TODAY),
        ("last 30 days", date(2024, 4, 16), TODAY),
        ("this quarter", date(2024, 4, 1), date(2024, 6, 30)),
        ("last quarter", date(2024, 1, 1), date(2024, 3, 31)),
        ("Q1 2024", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024 Q4", date(2024, 10, 1), date(2024, 12, 31)),
        ("March 2024", date(2024, 3, 1), date(2024, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023", date(2023, 1, 1), date(2023, 12, 31)),
        ("this year", date(2024, 1, 1), date(2024, 12, 31)),
        ("this financial year", date(2024, 1, 1), date(2024, 12, 31)),
        ("1 Jan 2024 to 31 Mar 2024", date(2024, 1, 1), date(2024, 3, 31)),
        ("from 2024-01-01 to 2024-03-31", date(2024, 1, 1), date(2024, 3, 31)),
        ("1 January - 31 March 2024", date(2024, 1, 1), date(2024, 3, 31)),
        ("1 Jan 2024 \u2013 31 Mar 2024", date(2024, 1, 1), date(2024, 3, 31)),
        ("Jan 1st, 2024 to Mar 31st, 2024", date(2024, 1, 1), date(2024, 3, 31)),
    ],
)
def test_periods_resolve_against_the_clock(text: str, start: date, end: date) -> None:
    assert parse_period(text, TODAY) == Period(start, end)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("this financial year", date(2023, 7, 1), date(2024, 6, 30)),
        ("last financial year", date(2022, 7, 1), date(2023, 6, 30)),
        ("year to date", date(2023, 7, 1), TODAY),
        ("FY2024", date(2023, 7, 1), date(2024, 6, 30)),
        ("FY 2023/24", date(2023, 7, 1), date(2024, 6, 30)),
    ],
)
def test_financial_years_follow_their_start(text: str, start: date, end: date) -> None:
    assert parse_period(text, TODAY, JULY) == Period(start, end)


def test_as_at_dates_and_unreadable_text() -> None:
    assert parse_period("as at 31 March 2024", TODAY) == Period(None, date(2024, 3, 31))
    assert parse_period("31/03/2024", TODAY) == Period(None, date(2024, 3, 31))
    assert parse_period("the usual one", TODAY) is None
    assert parse_period("31 Mar 2024 to 1 Jan 2024", TODAY) is None
    assert parse_period("x" * 500, TODAY) is None


def test_an_as_at_date_matches_a_period_ending_then() -> None:
    quarter = parse_period("Q1 2024", TODAY)
    as_at = parse_period("as at 31 March 2024", TODAY)
    assert quarter is not None and as_at is not None
    assert same_period(quarter, as_at)
    april = parse_period("as at 30 April 2024", TODAY)
    assert april is not None and not same_period(quarter, april)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1 July", (7, 1)), ("July 1", (7, 1)), ("07-01", (7, 1)), ("april", (4, 1)),
     ("31 February", None), ("13-01", None), ("soon", None)],
)
def test_financial_year_starts(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_year_start(text) == expected


def test_times_of_day_in_every_usual_form() -> None:
    assert parse_times("09:00, 13:00 and 21:00") == (time(9), time(13), time(21))
    assert parse_times("12:00 and 22.30") == (time(12), time(22, 30))
    assert parse_times("9pm; 7 a.m.; midnight; noon") == (time(0), time(7), time(12), time(21))
    assert parse_times("21h00") == (time(21),)
    assert parse_times("whenever") is None
    assert parse_times("2024-03-01") is None


def test_zones_by_name_and_offset() -> None:
    assert parse_zone("UTC") is UTC
    assert parse_zone("UTC+7") == timezone(timedelta(hours=7))
    assert parse_zone("-03:30") == timezone(-timedelta(hours=3, minutes=30))
    jakarta = parse_zone("Asia/Jakarta")
    assert jakarta is not None and datetime(2024, 1, 1, tzinfo=jakarta).utcoffset() == (
        timedelta(hours=7))
    assert parse_zone("Mars/Olympus") is None
    assert parse_zone("../../etc/passwd") is None


def test_a_time_of_day_passed_since_a_moment_in_a_zone() -> None:
    jakarta = timezone(timedelta(hours=7))
    made = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta
    nine_pm = (time(21),)
    assert not time_passed(nine_pm, made, datetime(2024, 5, 1, 12, 0, tzinfo=UTC), jakarta)
    assert time_passed(nine_pm, made, datetime(2024, 5, 1, 14, 0, tzinfo=UTC), jakarta)
    # In UTC the same run is at 21:00 UTC: not yet at 14:00 UTC.
    assert not time_passed(nine_pm, made, datetime(2024, 5, 1, 14, 0, tzinfo=UTC), UTC)
    assert time_passed(nine_pm, made, made + timedelta(days=2), UTC)
    assert not time_passed(nine_pm, made, made - timedelta(hours=1), UTC)


CATALOGUE = {
    "a": FactSpec(type="text"), "b": FactSpec(type="text"),
    "n": FactSpec(type="decimal"), "m": FactSpec(type="decimal"),
    "tol": FactSpec(type="decimal", default=Decimal("0.5")),
    "hours": FactSpec(type="text"), "at": FactSpec(type="datetime"),
    "tz": FactSpec(type="text", default="UTC+7"), "fy": FactSpec(type="text"),
}
NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


def _run(test: dict[str, object], facts: dict[str, FactValue]) -> bool | None:
    return evaluate(Condition.model_validate(test), facts, NOW, CATALOGUE)


def test_same_text_ignores_case_and_spacing_both_ways() -> None:
    test = {"fact": "a", "same_text_as": "b"}
    assert _run(test, {"a": "Current  Asset", "b": "current asset "}) is True
    assert _run(test, {"a": "Current Asset", "b": "Fixed Asset"}) is False
    assert _run(test, {"a": "Current Asset"}) is None
    assert normal_text("\uff23URRENT\tasset") == "current asset"  # a full-width C


def test_close_to_is_exact_by_default_and_takes_a_tolerance_fact() -> None:
    exact = {"fact": "n", "close_to": "m"}
    assert _run(exact, {"n": Decimal("10.00"), "m": Decimal("10")}) is True
    assert _run(exact, {"n": Decimal("10.01"), "m": Decimal("10")}) is False
    loose = {"fact": "n", "close_to": "m", "tolerance": "tol"}
    assert _run(loose, {"n": Decimal("10.4"), "m": Decimal("10")}) is True  # default 0.5
    assert _run(loose, {"n": Decimal("10.4"), "m": Decimal("10"), "tol": Decimal("0.1")}) is False
    assert _run({"fact": "n", "close_to": "m", "tolerance": 1}, {"n": 11, "m": 10}) is True


def test_ratio_against_a_threshold_both_ways() -> None:
    test = {"fact": "n", "ratio_to": "m", "at_least": 0.1}
    assert _run(test, {"n": 30, "m": 250}) is True  # 12%
    assert _run(test, {"n": 120, "m": 1000}) is True
    assert _run(test, {"n": 99, "m": 1000}) is False
    assert _run(test, {"n": 1, "m": 0}) is None


def test_time_passed_since_uses_the_zone_fact_or_its_default() -> None:
    test = {"fact": "hours", "time_passed_since": "at", "zone": "tz"}
    made = datetime(2024, 5, 15, 1, 0, tzinfo=UTC)  # 08:00 at UTC+7
    assert _run(test, {"hours": "09:00, 21:00", "at": made}) is True  # 09:00 local passed
    assert _run(test, {"hours": "21:00", "at": made}) is False  # 19:00 local now
    assert _run(test, {"hours": "21:00", "at": made, "tz": "UTC"}) is False
    assert _run(test, {"hours": "21:00", "at": made, "tz": "Nowhere/Else"}) is None
    assert _run(test, {"hours": "when it likes", "at": made}) is None


def test_same_period_with_the_financial_year_fact() -> None:
    test = {"fact": "a", "same_period_as": "b", "year_start": "fy"}
    assert _run(test, {"a": "last month", "b": "1 Apr 2024 to 30 Apr 2024"}) is True
    assert _run(test, {"a": "last month", "b": "this month"}) is False
    assert _run(test, {"a": "year to date", "b": "2024-01-01 to 2024-05-15"}) is True
    assert _run(test, {"a": "year to date", "b": "2024-01-01 to 2024-05-15",
                       "fy": "1 July"}) is False
    assert _run(test, {"a": "the usual", "b": "this month"}) is None
