"""Times of day and time zones as agents write them: '21:00', '09:00, 13:00, 21:00', 'UTC+7'.

Read by the ``time_passed_since`` test (:mod:`syncdoctor.kb.compare`): has one of the listed
times of day come, in the zone, between a moment and the clock?
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from syncdoctor.kb.patterns import TextPattern

__all__ = ["parse_times", "parse_zone", "time_passed"]

_TIME_PATTERN = (
    r"\b(?P<h12>[01]?\d)(?:[:.h](?P<m12>[0-5]\d))?\s*(?P<ampm>[ap])\.?m\b"
    r"|\b(?P<h>[01]?\d|2[0-4])[:.h](?P<m>[0-5]\d)\b"
    r"|\b(?P<word>midnight|noon|midday)\b"
)
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$")
MAX_TIMES = 48
"""Most times of day one text may list (a schedule every half hour)."""


@cache
def _times() -> TextPattern:
    # RE2, imported on first use: the text is an agent's (untrusted), matching stays linear.
    from syncdoctor.kb.patterns import compile_pattern

    return compile_pattern(_TIME_PATTERN)


def parse_times(text: str) -> tuple[time, ...] | None:
    """The times of day a text lists, sorted; None when it names none.

    Accepts 24-hour ('21:00', '9.30', '21h00') and 12-hour ('9pm', '9:30 am') forms and the
    words midnight and noon; the separators between them do not matter.
    """
    return _times_in(text[:2000])


@lru_cache(maxsize=256)  # a pack's schedules repeat from case to case; the result is immutable
def _times_in(text: str) -> tuple[time, ...] | None:
    found: set[time] = set()
    for match in _times().finditer(text):
        word = match.group("word")
        if word is not None:
            found.add(time(0, 0) if word.lower() == "midnight" else time(12, 0))
            continue
        twelve = match.group("h12")
        if twelve is not None:
            hour, minute = int(twelve), int(match.group("m12") or 0)
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if (match.group("ampm") or "").lower() == "p" else 0)
        else:
            hour, minute = int(match.group("h") or 0), int(match.group("m") or 0)
        if hour == 24 and minute == 0:
            hour = 0
        if hour > 23:
            continue
        found.add(time(hour, minute))
        if len(found) > MAX_TIMES:
            return None
    return tuple(sorted(found)) or None


def parse_zone(text: str) -> tzinfo | None:
    """An IANA zone ('Asia/Jakarta'), 'UTC', or a fixed offset ('UTC+7', '+07:00'); else None."""
    name = text.strip()
    if len(name) > 64:
        return None
    if name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    offset = _OFFSET.match(name.lower())
    if offset is not None:
        hours, minutes = int(offset.group("h")), int(offset.group("m") or 0)
        if hours > 14 or minutes > 59:
            return None
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if offset.group("sign") == "-" else delta)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}", name):
        return None  # not a zone name: never handed to the file system
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def time_passed(times: tuple[time, ...], since: datetime, now: datetime, zone: tzinfo) -> bool:
    """Whether one of ``times`` (local to ``zone``) falls in (since, now]."""
    if now <= since:
        return False
    if now - since >= timedelta(days=1, hours=2):
        return True  # a whole day holds every time of day, whatever the zone's shifts
    first = since.astimezone(zone).date() - timedelta(days=1)
    last = now.astimezone(zone).date()
    day = first
    while day <= last:
        for moment in times:
            local = datetime.combine(day, moment, tzinfo=zone)
            if since < local <= now:
                return True
        day += timedelta(days=1)
    return False
