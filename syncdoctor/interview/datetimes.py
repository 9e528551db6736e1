"""What an agent may type for a datetime fact, read relative to the case clock.

Accepted (case-insensitive, surrounding blanks ignored)::

    now
    2026-11-20 15:00          any ISO 8601 date-time: 2026-11-20T15:00:00+02:00, ...Z, ... UTC
    2026-11-20                a date alone: midnight
    today 9:30                the case clock's date (in its zone, or in the zone typed after)
    yesterday 15:00           the day before it; "today at 9:30" reads too
    3 hours ago               also 30 min ago, 2 days ago, 45s ago, an hour ago, 1 week ago

Without a zone, a time is UTC (the understood text says so), except after today/yesterday, where
it is in the case clock's zone. The result is always an aware datetime in UTC.

The text is at most 64 characters and is read by splitting on blanks and comparing tokens, with
no regular expression, so hostile input costs linear time. Store the *result* (its ISO text), not
what was typed: "3 hours ago" means another moment tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from syncdoctor.interview.errors import DateTimeTextError

MAX_TEXT = 64
ACCEPTED_FORMS = (
    "now",
    "2026-11-20 15:00 (or any ISO 8601 date-time, e.g. 2026-11-20T15:00:00+02:00)",
    "2026-11-20",
    "today 9:30",
    "yesterday 15:00",
    "3 hours ago",
    "30 min ago",
    "2 days ago",
)

_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), timedelta(seconds=1)),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    **dict.fromkeys(("d", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
}
_MAX_AMOUNT_DIGITS = 6
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SPANS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


@dataclass(frozen=True)
class UnderstoodDatetime:
    """A parsed datetime answer and the sentence that shows the agent how it was read."""

    value: datetime
    """The moment, aware, in UTC."""
    understood: str
    """E.g. ``understood as Thursday 2026-11-19 15:00 UTC (yesterday; 19 hours before the case
    clock)``."""


def parse_datetime_text(text: str, *, now: datetime) -> UnderstoodDatetime:
    """Read a typed datetime answer; ``now`` is the case clock (naive counts as UTC).

    Raises:
        DateTimeTextError: text that is none of the accepted forms (the message lists them).
    """
    if not isinstance(text, str):
        raise DateTimeTextError(repr(text), "not text", ACCEPTED_FORMS)
    clock = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    stripped = text.strip()
    if len(stripped) > MAX_TEXT:
        raise DateTimeTextError(text, f"longer than {MAX_TEXT} characters", ACCEPTED_FORMS)
    if not stripped:
        raise DateTimeTextError(text, "nothing typed", ACCEPTED_FORMS)
    if not stripped.isascii():
        raise DateTimeTextError(text, "only ASCII letters and digits are read", ACCEPTED_FORMS)
    tokens = stripped.split()
    words = [token.lower() for token in tokens]
    try:
        if words == ["now"]:
            moment, how = clock, "the case clock"
        elif words[-1] == "ago":
            moment, how = _ago(text, words[:-1], clock), ""
        elif words[0] in ("today", "yesterday"):
            moment, how = _day_and_time(text, words, clock)
        else:
            moment, how = _iso(text, tokens)
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise DateTimeTextError(text, "outside the years 1-9999", ACCEPTED_FORMS) from None
    notes = [part for part in (how, _relation(moment, clock.astimezone(UTC))) if part]
    return UnderstoodDatetime(moment, f"understood as {_show(moment)} ({'; '.join(notes)})")


def _ago(text: str, words: list[str], clock: datetime) -> datetime:
    if len(words) == 1:  # "3h", "30min"
        digits = len(words[0]) - len(words[0].lstrip("0123456789"))
        amount, unit = words[0][:digits], words[0][digits:]
    elif len(words) == 2:
        amount, unit = words
    else:
        raise DateTimeTextError(text, "write an amount and a unit before 'ago'", ACCEPTED_FORMS)
    if amount in ("a", "an"):
        amount = "1"
    if not amount.isdigit() or len(amount) > _MAX_AMOUNT_DIGITS:
        raise DateTimeTextError(
            text, f"the amount before 'ago' is a whole number up to {_MAX_AMOUNT_DIGITS} digits",
            ACCEPTED_FORMS,
        )
    step = _UNITS.get(unit)
    if step is None:
        raise DateTimeTextError(
            text, "the unit is one of seconds, min, hours, days, weeks", ACCEPTED_FORMS
        )
    return clock - int(amount) * step


def _day_and_time(text: str, words: list[str], clock: datetime) -> tuple[datetime, str]:
    rest = words[1:]
    if rest[:1] == ["at"]:
        rest = rest[1:]
    if not rest or len(rest) > 2:
        raise DateTimeTextError(
            text, f"write a time after {words[0]!r}, e.g. 15:00", ACCEPTED_FORMS
        )
    wall = _clock_time(rest[0])
    zone: tzinfo | None = _zone(rest[1]) if len(rest) == 2 else clock.tzinfo
    if wall is None or zone is None:
        raise DateTimeTextError(
            text, f"after {words[0]!r} write a time such as 9:30 or 15:00:00, then "
            "optionally UTC or +02:00", ACCEPTED_FORMS,
        )
    day = clock.astimezone(zone).date() - timedelta(days=1 if words[0] == "yesterday" else 0)
    moment = datetime.combine(day, wall, tzinfo=zone)
    zone_name = "UTC" if moment.utcoffset() == timedelta(0) else _offset(moment)
    return moment, f"{words[0]}, by the case clock's date in {zone_name}"


def _iso(text: str, tokens: list[str]) -> tuple[datetime, str]:
    parts = [token.upper() for token in tokens]
    zone_word = len(parts) > 1 and parts[-1] in ("UTC", "Z")
    if zone_word:
        parts = parts[:-1]
    if len(parts) == 3 and parts[2][:1] in ("+", "-"):  # 2026-11-20 15:00 +02:00
        parts = [parts[0], parts[1] + parts[2]]
    if len(parts) > 2:
        raise DateTimeTextError(text, "not a form syncdoctor reads", ACCEPTED_FORMS)
    candidate = "T".join(parts)
    notes = []
    try:
        if len(parts) == 1 and _is_date(candidate):
            moment = datetime.combine(date.fromisoformat(candidate), time())
            notes.append("a date alone: midnight")
        else:
            moment = datetime.fromisoformat(candidate)
    except ValueError:
        raise DateTimeTextError(text, "not a form syncdoctor reads", ACCEPTED_FORMS) from None
    if zone_word and moment.tzinfo is not None:
        raise DateTimeTextError(text, "two time zones given", ACCEPTED_FORMS)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
        if not zone_word:
            notes.append("no time zone given: taken as UTC")
    elif moment.utcoffset() != timedelta(0):
        notes.append(f"{_show(moment, zone=_offset(moment), weekday=False)} as typed")
    return moment, "; ".join(notes)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _clock_time(word: str) -> time | None:
    pieces = word.split(":")
    if not 2 <= len(pieces) <= 3 or not all(p.isdigit() and 1 <= len(p) <= 2 for p in pieces):
        return None
    if any(len(p) != 2 for p in pieces[1:]):
        return None
    hour, minute, second = (int(p) for p in [*pieces, "0"][:3])
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _zone(word: str) -> timezone | None:
    if word in ("utc", "z"):
        return UTC
    sign, digits = word[:1], word[1:].replace(":", "", 1)
    if sign not in ("+", "-") or not digits.isdigit() or len(digits) not in (2, 4):
        return None
    hours, minutes = int(digits[:2]), int(digits[2:] or "0")
    if hours > 23 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if sign == "-" else offset)


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = int(abs(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _show(moment: datetime, *, zone: str = "UTC", weekday: bool = True) -> str:
    text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    text += f" {moment.hour:02d}:{moment.minute:02d}"
    if moment.second or moment.microsecond:
        text += f":{moment.second:02d}"
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return f"{_WEEKDAYS[moment.weekday()] + ' ' if weekday else ''}{text} {zone}"


def _relation(moment: datetime, clock: datetime) -> str:
    seconds = int((moment - clock).total_seconds())
    if seconds == 0:
        return ""
    span = abs(seconds)
    words: list[str] = []
    for size, unit in _SPANS:
        if span >= size and len(words) < 2:
            count, span = divmod(span, size)
            words.append(f"{count} {unit}{'s' if count != 1 else ''}")
        elif words:
            break  # "2 days 3 hours", never "2 days 0 hours 5 minutes"
    side = "before" if seconds < 0 else "after"
    return f"{' '.join(words)} {side} the case clock"
