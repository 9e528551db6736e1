"""Report periods as agents write them, resolved to dates against the clock and the financial year.

'this month', 'last month', 'last 30 days', 'this financial year', 'year to date', 'Q1 2024',
'March 2024', 'FY 2023/24', '1 Jan 2024 to 31 Mar 2024', 'as at 31 March 2024'. Read by the
``same_period_as`` test (:mod:`syncdoctor.kb.compare`). Text that reads as none of these gives
None: the test stays unknown and its judgement fact is asked instead.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncdoctor.kb.patterns import TextMatch, TextPattern

__all__ = ["Period", "YearStart", "parse_period", "parse_year_start", "same_period"]

YearStart = tuple[int, int]
"""(month, day) on which the financial year starts."""
JANUARY_FIRST: YearStart = (1, 1)
MAX_TEXT = 120

_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (calendar.month_name[number].lower(), calendar.month_abbr[number].lower())
}
_MONTHS["sept"] = 9
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_DAY = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|{_DAY} {_MONTH}(?: \d{{4}})?|{_MONTH} {_DAY}(?: \d{{4}})?"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{4})"
)
_SHAPES = {
    "range": rf"^(?:from |between )?(?P<a>{_DATE}) "
    r"(?:to|until|till|through|and|-|\x{2013}|\x{2014}) "  # en and em dashes
    rf"(?P<b>{_DATE})$",
    "as_at": rf"^(?:as (?:at|of) |at |on )?(?P<a>{_DATE})$",
    "last_days": r"^(?:last|past|previous|the last) (?P<n>\d{1,4}) days$",
    "quarter": r"^(?:q(?P<q1>[1-4])|quarter (?P<q2>[1-4]))[ /-]?(?P<y1>\d{4})$"
    r"|^(?P<y2>\d{4})[ /-]?q(?P<q3>[1-4])$",
    "fy": r"^(?:fy|financial year|fiscal year) ?(?:\d{4}[/-])?(?P<y>\d{2}|\d{4})$",
    "month": rf"^(?P<m>{_MONTH}) (?P<y>\d{{4}})$|^(?P<y2>\d{{4}})-(?P<m2>\d{{1,2}})$"
    r"|^(?P<m3>\d{1,2})/(?P<y3>\d{4})$",
    "year": r"^(?:calendar year )?(?P<y>\d{4})$",
}


@dataclass(frozen=True)
class Period:
    """The dates a period covers; ``start`` None for an "as at" date (a balance at ``end``)."""

    start: date | None
    end: date


def same_period(one: Period, other: Period) -> bool:
    """Whether two periods name the same dates; an "as at" date matches a period ending then."""
    if one.start is None or other.start is None:
        return one.end == other.end
    return one == other


@cache
def _pattern(shape: str) -> TextPattern:
    from syncdoctor.kb.patterns import compile_pattern  # RE2 on the agent's text, on first use

    return compile_pattern(_SHAPES[shape])


def _normal(text: str) -> str:
    plain = "".join(" " if ch in ",\t\n" else ch for ch in text.lower())
    return " ".join(plain.split()).strip(" .")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _shift_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _fy_start(year: int, start: YearStart) -> date:
    month, day = start
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def financial_year(today: date, start: YearStart) -> Period:
    """The financial year containing ``today``."""
    this = _fy_start(today.year, start)
    first = this if today >= this else _fy_start(today.year - 1, start)
    following = _fy_start(first.year + 1, start)
    return Period(first, following - timedelta(days=1))


def _presets(today: date, start: YearStart) -> dict[str, Period]:
    month = today.replace(day=1)
    last_month = _shift_month(month, -1)
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    last_quarter = _shift_month(quarter, -3)
    fy = financial_year(today, start)
    assert fy.start is not None
    last_fy = financial_year(fy.start - timedelta(days=1), start)
    names: dict[str, Period] = {}
    groups: list[tuple[tuple[str, ...], Period]] = [
        (("today",), Period(today, today)),
        (("yesterday",), Period(today - timedelta(days=1), today - timedelta(days=1))),
        (("this month", "current month"), Period(month, _month_end(today.year, today.month))),
        (("last month", "previous month", "prior month"),
         Period(last_month, month - timedelta(days=1))),
        (("month to date", "mtd"), Period(month, today)),
        (("this quarter", "current quarter"),
         Period(quarter, _shift_month(quarter, 3) - timedelta(days=1))),
        (("last quarter", "previous quarter", "prior quarter"),
         Period(last_quarter, quarter - timedelta(days=1))),
        (("quarter to date", "qtd"), Period(quarter, today)),
        (("this year", "current year", "this calendar year"),
         Period(date(today.year, 1, 1), date(today.year, 12, 31))),
        (("last year", "previous year", "prior year", "last calendar year"),
         Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))),
        (("this financial year", "current financial year", "this fiscal year", "this fy",
          "current fy"), fy),
        (("last financial year", "previous financial year", "last fiscal year", "last fy",
          "previous fy", "prior financial year"), last_fy),
        (("year to date", "ytd", "financial year to date", "fytd"), Period(fy.start, today)),
    ]
    for aliases, period in groups:
        for alias in aliases:
            names[alias] = period
    return names


def _date(text: str, default_year: int | None) -> date | None:
    words = text.replace("/", " ").replace(".", " ").split()
    try:
        if "-" in text and len(words) == 1:
            year, month, day = (int(part) for part in text.split("-"))
            return date(year, month, day)
        if words[0].isdigit() and len(words) == 3 and words[1].isdigit():
            return date(int(words[2]), int(words[1]), int(words[0]))  # day first: 31/03/2024
        day_word, month_word = (words[0], words[1]) if words[0][0].isdigit() else (
            words[1], words[0])
        given = int(words[2]) if len(words) == 3 else default_year
        if given is None:
            return None
        year = given
        day = int("".join(ch for ch in day_word if ch.isdigit()))
        return date(year, _MONTHS[month_word], day)
    except (ValueError, KeyError, IndexError):
        return None


def _fy_named(year_text: str, start: YearStart) -> Period:
    year = int(year_text) if len(year_text) == 4 else 2000 + int(year_text)
    if start == JANUARY_FIRST:
        return Period(date(year, 1, 1), date(year, 12, 31))
    # FY 2024 is the financial year that ends in 2024.
    first = _fy_start(year - 1, start)
    return Period(first, _fy_start(year, start) - timedelta(days=1))


def _shaped(shape: str, found: TextMatch, start: YearStart) -> Period | None:
    def group(name: str) -> str:
        return found.group(name) or ""

    if shape == "quarter":
        quarter = int(group("q1") or group("q2") or group("q3"))
        year = int(group("y1") or group("y2"))
        first = date(year, quarter * 3 - 2, 1)
        return Period(first, _shift_month(first, 3) - timedelta(days=1))
    if shape == "fy":
        return _fy_named(group("y"), start)
    if shape == "month":
        year = int(group("y") or group("y2") or group("y3"))
        named = group("m")
        month = _MONTHS[named] if named else int(group("m2") or group("m3"))
        if not 1 <= month <= 12:
            return None
        return Period(date(year, month, 1), _month_end(year, month))
    year = int(group("y"))
    return Period(date(year, 1, 1), date(year, 12, 31))


@lru_cache(maxsize=256)  # a case's period texts repeat from case to case; Period is frozen
def parse_period(text: str, today: date, start: YearStart = JANUARY_FIRST) -> Period | None:
    """The dates a period text names, or None when it reads as no period."""
    if len(text) > MAX_TEXT:
        return None
    normal = _normal(text)
    preset = _presets(today, start).get(normal)
    if preset is not None:
        return preset
    days = _pattern("last_days").search(normal)
    if days is not None:
        count = int(days.group("n") or 0)
        return Period(today - timedelta(days=count - 1), today) if count >= 1 else None
    ranged = _pattern("range").search(normal)
    if ranged is not None:
        end = _date(ranged.group("b") or "", None)
        first = _date(ranged.group("a") or "", end.year if end is not None else None)
        if first is None or end is None or first > end:
            return None
        return Period(first, end)
    for shape in ("quarter", "fy", "month", "year"):
        found = _pattern(shape).search(normal)
        if found is not None:
            try:
                return _shaped(shape, found, start)
            except (ValueError, KeyError):
                return None
    single = _pattern("as_at").search(normal)
    if single is not None:
        moment = _date(single.group("a") or "", None)
        return None if moment is None else Period(None, moment)
    return None


def parse_year_start(text: str) -> YearStart | None:
    """The first day of a financial year: '1 July', 'July 1', '07-01', 'July'; else None."""
    normal = _normal(text)
    if normal in _MONTHS:
        return (_MONTHS[normal], 1)
    if len(normal) <= 5 and "-" in normal:
        parts = normal.split("-")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            return _checked(int(parts[0]), int(parts[1]))
    moment = _date(normal + " 2001", None)  # a year with no 29 February
    return None if moment is None else (moment.month, moment.day)


def _checked(month: int, day: int) -> YearStart | None:
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2001, month)[1]:
        return None
    return (month, day)
