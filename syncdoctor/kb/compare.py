"""Tests that compare two facts, computed before assertion like ages and ``matches`` results.

``same_text_as`` (text equal once case and spacing are ignored), ``close_to`` (numbers within a
tolerance), ``ratio_to`` (one number over another against a threshold), ``time_passed_since``
(a time of day has come, in a zone, since a moment) and ``same_period_as`` (two period texts
name the same dates). Each gives True, False, or None when a value it needs is unknown or
unreadable: durable_rules then sees no field, and the test is neither true nor false.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation

from syncdoctor.kb.clocktimes import parse_times, parse_zone, time_passed
from syncdoctor.kb.condition import Condition
from syncdoctor.kb.periods import JANUARY_FIRST, YearStart, parse_period, parse_year_start
from syncdoctor.kb.periods import same_period as _same_period
from syncdoctor.kb.spec import FactSpec
from syncdoctor.types import FactValue, ScalarValue

__all__ = ["Evaluator", "evaluate", "evaluator", "normal_text", "parameter"]


def normal_text(text: str) -> str:
    """Text as compared by ``same_text_as``: NFKC, case-folded, spacing collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def parameter(
    name: str | float | int | None, facts: Mapping[str, FactValue],
    catalogue: Mapping[str, FactSpec],
) -> ScalarValue | float | None:
    """A constant, or the named fact's value, else that fact's default (None: unknown)."""
    if name is None or not isinstance(name, str):
        return name
    value = facts.get(name)
    if value is not None and not isinstance(value, list):
        return value
    spec = catalogue.get(name)
    return spec.default if spec is not None else None


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None


def _zone(cond: Condition, facts: Mapping[str, FactValue],
          catalogue: Mapping[str, FactSpec]) -> tzinfo | None:
    value = parameter(cond.zone, facts, catalogue)
    if value is None:
        return UTC
    return parse_zone(value) if isinstance(value, str) else None


def _year_start(cond: Condition, facts: Mapping[str, FactValue],
                catalogue: Mapping[str, FactSpec]) -> YearStart | None:
    value = parameter(cond.year_start, facts, catalogue)
    if value is None:
        return JANUARY_FIRST
    return parse_year_start(value) if isinstance(value, str) else None


Evaluator = Callable[[Mapping[str, FactValue], datetime, Mapping[str, FactSpec]], bool | None]
"""A computed test bound to its condition: (facts, now, catalogue) -> its truth, or None."""


def evaluate(
    cond: Condition, facts: Mapping[str, FactValue], now: datetime,
    catalogue: Mapping[str, FactSpec],
) -> bool | None:
    """The test's truth for this case, or None when it cannot be decided yet."""
    return evaluator(cond)(facts, now, catalogue)


def evaluator(cond: Condition) -> Evaluator:
    """The test with its operator and operands read once (each read walks every operator)."""
    op = cond.operator
    subject = cond.subject
    other = str(cond.operand)

    def run(
        facts: Mapping[str, FactValue], now: datetime, catalogue: Mapping[str, FactSpec]
    ) -> bool | None:
        left = parameter(subject, facts, catalogue)
        right = parameter(other, facts, catalogue)
        if left is None or right is None:
            return None
        return _decide(op, cond, left, right, facts, now, catalogue)

    return run


def _decide(
    op: str, cond: Condition, left: ScalarValue | float, right: ScalarValue | float,
    facts: Mapping[str, FactValue], now: datetime, catalogue: Mapping[str, FactSpec],
) -> bool | None:
    if op == "same_text_as":
        if not isinstance(left, str) or not isinstance(right, str):
            return None
        return normal_text(left) == normal_text(right)
    if op == "close_to":
        a, b = _number(left), _number(right)
        tolerance = _number(parameter(cond.tolerance, facts, catalogue) or 0)
        if a is None or b is None or tolerance is None:
            return None
        return abs(a - b) <= abs(tolerance)
    if op == "ratio_to":
        part, whole = _number(left), _number(right)
        threshold = _number(cond.at_least)
        if part is None or whole is None or threshold is None or whole <= 0:
            return None
        return part / whole >= threshold
    if op == "time_passed_since":
        times = parse_times(left) if isinstance(left, str) else None
        zone = _zone(cond, facts, catalogue)
        if times is None or zone is None or not isinstance(right, datetime):
            return None
        if cond.end_of_day:
            # The day as written (a task's "2024-05-01"), not the instant's date in UTC: its
            # end-of-day run is the first listed time from local noon of that day.
            right = datetime.combine(right.date(), time(12, 0), tzinfo=zone)
        return time_passed(times, right, now, zone)
    if op == "same_period_as":
        zone = _zone(cond, facts, catalogue)
        start = _year_start(cond, facts, catalogue)
        if zone is None or start is None or not isinstance(left, str) or not isinstance(
            right, str
        ):
            return None
        today = now.astimezone(zone).date()
        one, other = parse_period(left, today, start), parse_period(right, today, start)
        if one is None or other is None:
            return None
        return _same_period(one, other)
    raise ValueError(f"{op} is not a computed test")
