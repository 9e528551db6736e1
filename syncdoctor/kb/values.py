"""Raw values to typed ones: case facts checked against the catalogue, durations, JSON.

Numbers become int or Decimal (exact to the millionth, never in exponent form), datetimes aware
UTC datetimes, durations whole seconds. :mod:`syncdoctor.engine.encoding` turns these into what
durable_rules compares.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from syncdoctor.errors import REDACTED, FactError
from syncdoctor.kb.credentials import mask_credentials, shown_value
from syncdoctor.kb.problems import nearest
from syncdoctor.kb.spec import FactSpec, RecordFieldSpec
from syncdoctor.types import FactValue, JsonValue, Record, ScalarValue

SCALE = 10**6
"""Numbers reach durable_rules as integers in millionths: exact, and never in exponent form."""
MILLIONTH = Decimal(1) / SCALE
"""The finest decimal a fact may hold: finer ones are refused, never rounded."""
NUMBER_LIMIT = Decimal(9_000_000_000_000)
"""|value| * SCALE must stay inside a signed 64-bit integer."""
TEXT_LIMIT = 200_000
"""Longest text fact accepted, in characters; error messages are far shorter."""
RECORD_LIMIT = 10_000
"""Most records one records fact may hold."""

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_DATETIME = TypeAdapter(datetime)
_TIMEDELTA = TypeAdapter(timedelta)
DURATION_PATTERN = re.compile(  # read after strip(); each space run is inside a group, before
    # its digits, so no two runs compete for the same spaces (the old form took 18 s on 200)
    r"(?:(?P<d>\d+)\s*d)?(?:\s*(?P<h>\d+)\s*h)?(?:\s*(?P<m>\d+)\s*m)?(?:\s*(?P<s>\d+)\s*s)?"
)
Fail = Callable[[str], FactError]
"""Builds the FactError for a value, given what is wrong with it."""


def type_value(
    fact: str, spec: FactSpec | RecordFieldSpec, value: object, *, secret: bool | None = None
) -> ScalarValue:
    """Check ``value`` against the fact's type and return it in its canonical Python form.

    Args:
        fact: the fact id (or ``fact[3].field`` for a record field), for the error.
        spec: the fact's (or field's) type and range.
        value: the raw value the caller gave.
        secret: whether the value may not be echoed in an error (default: the spec's
            ``secret``; a records fact passes its own for its fields).

    Raises:
        FactError: the value has the wrong type or is out of range.
    """
    kind = spec.type
    # Most values already are in their canonical form: returned as _type_value returns them,
    # without its checks' setting up (a dozen per diagnosis).
    if type(value) is bool and kind == "bool":
        return value
    if type(value) is str and kind == "enum" and value in (spec.values or ()):
        return value
    hidden = (isinstance(spec, FactSpec) and spec.secret) if secret is None else secret
    if type(value) is str and kind == "text" and len(value) <= TEXT_LIMIT and value.isascii():
        # A secret fact is never shown whole, so it is kept whole (an extractor may need it).
        return value if hidden else mask_credentials(value)
    try:
        return _type_value(fact, spec, value, hidden)
    except (ArithmeticError, OverflowError, ValueError) as error:
        # Extreme inputs (a year-9999 date with an offset, 1e999999999, a 400-digit duration)
        # overflow inside the standard library: still the user's value, still a FactError.
        shown = REDACTED if hidden else shown_value(value)
        raise FactError(
            fact,
            f"value out of range ({type(error).__name__}); got {shown}",
            expected=spec.type,
            value=shown,
        ) from None


def _type_value(
    fact: str, spec: FactSpec | RecordFieldSpec, value: object, hidden: bool
) -> ScalarValue:
    kind = spec.type

    def fail(message: str) -> FactError:
        shown = REDACTED if hidden else shown_value(value)
        return FactError(fact, f"{message}; got {shown}", expected=kind, value=shown)

    if value is None:
        raise fail("a value is required (omit the fact when it is unknown)")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise fail("expected true or false")
    if kind == "enum":
        allowed = spec.values or ()
        if isinstance(value, str):
            if value in allowed:
                return value
            folded = {v.lower(): v for v in allowed}
            if value.strip().lower() in folded:
                return folded[value.strip().lower()]
        hint = nearest(value, allowed) if isinstance(value, str) and not hidden else None
        shown = REDACTED if hidden else shown_value(value)
        raise FactError(
            fact,
            f"expected one of {', '.join(allowed)}; got {shown}",
            expected=f"enum({', '.join(allowed)})",
            value=shown,
            suggestion=hint,
        )
    if kind == "text":
        if not isinstance(value, str):
            raise fail("expected text")
        if len(value) > TEXT_LIMIT:
            raise fail(f"text longer than {TEXT_LIMIT} characters")
        if not value.isascii():  # ASCII needs no check (and no copy of a long text)
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise fail("text holds an unpaired surrogate, which is not Unicode text") from None
        # A pasted message may carry a token (kb.credentials); a secret fact is never shown.
        return value if hidden else mask_credentials(value)
    if kind in ("integer", "decimal"):
        unit = spec.unit if isinstance(spec, FactSpec) else None
        if unit and isinstance(value, str) and value.rstrip().endswith(unit):
            value = value.rstrip()[: -len(unit)]  # "12%" for a fact in %: the unit it is in
        number = _to_decimal(value)
        if number is None:
            raise fail("expected a number")
        if abs(number) > NUMBER_LIMIT:
            raise fail(f"number out of range (at most {NUMBER_LIMIT:,} in size)")
        if kind == "integer":
            if number != number.to_integral_value():
                raise fail("expected a whole number")
            result: int | Decimal = int(number)
        else:
            # Compared exactly to the millionth (see SCALE): a finer value would be rounded
            # into a wrong answer, so it is refused instead.
            exact = number.quantize(MILLIONTH, rounding=ROUND_HALF_EVEN)
            if exact != number and not _float_noise(value, exact):
                raise fail("at most 6 decimal places (decimals are compared exactly)")
            result = _plain(exact)
        # isinstance, not getattr: pydantic's __getattr__ makes a missing attribute slow.
        minimum = spec.minimum if isinstance(spec, FactSpec) else None
        maximum = spec.maximum if isinstance(spec, FactSpec) else None
        if minimum is not None and number < Decimal(str(minimum)):
            raise fail(f"expected at least {_bound(minimum)}")
        if maximum is not None and number > Decimal(str(maximum)):
            raise fail(f"expected at most {_bound(maximum)}")
        return result
    if kind == "datetime":
        return _to_datetime(value, fail)
    if kind == "duration":
        return _to_seconds(value, fail)
    raise fail(f"cannot type a {kind} fact here")


def _float_noise(value: object, exact: Decimal) -> bool:
    """Whether a float differs from ``exact`` only by binary rounding (0.1 + 0.2 is 0.3).

    A float cannot hold 0.3 itself; what it holds within a few units in the last place of a
    6-place decimal means that decimal. 1e-7 is no such float: it is refused, not read as 0.
    """
    return isinstance(value, float) and abs(float(exact) - value) <= 4 * math.ulp(value)


def _plain(number: Decimal) -> Decimal:
    """The number without trailing zeros and never in exponent form: 100, not 1E+2."""
    text = format(number.normalize(), "f")
    return Decimal(text) + 0  # + 0 turns -0 into 0


_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _bound(limit: float) -> int | float:
    """A range's bound as the catalogue means it: 0, not 0.0 (it is read as a float)."""
    return int(limit) if float(limit).is_integer() else limit


def _to_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        # Far past NUMBER_LIMIT either way; clamped so no huge integer is ever converted.
        number = Decimal(value) if value.bit_length() <= 128 else Decimal(2**128 * _sign(value))
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        # repr gives the shortest text that round-trips: 0.1 stays 0.1, not 0.1000000000000000055
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if "," in text:
            # Commas only as thousands separators: "1,234.5"; "1,5" is not a number here.
            if not _THOUSANDS.fullmatch(text):
                return None
            text = text.replace(",", "")
        if not text or len(text) > 40 or "_" in text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite():
        return None
    return number


def _sign(value: int) -> int:
    return 1 if value > 0 else -1


def _to_datetime(value: object, fail: Fail) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and len(value) <= 64 and _ISO_DATE.match(value.strip()):
        try:
            moment = _DATETIME.validate_python(value.strip())
        except ValidationError:
            raise fail("expected an ISO 8601 date-time such as 2024-05-01T10:00:00Z") from None
    else:
        raise fail("expected an ISO 8601 date-time such as 2024-05-01T10:00:00Z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _to_seconds(value: object, fail: Fail) -> int:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise fail("expected a duration such as 90, '15m', '2h' or 'PT2H'")
    elif isinstance(value, int | float | Decimal):
        seconds = float(value)
    elif isinstance(value, str) and len(value) <= 64:
        try:
            seconds = parse_duration(value)
        except ValueError:
            try:
                seconds = _TIMEDELTA.validate_python(value.strip()).total_seconds()
            except ValidationError:
                raise fail("expected a duration such as 90, '15m', '2h' or 'PT2H'") from None
    else:
        raise fail("expected a duration such as 90, '15m', '2h' or 'PT2H'")
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0 or seconds > 1e12:
        raise fail("expected a non-negative duration")
    return int(seconds)


def type_clock(value: object) -> datetime:
    """The clock of a diagnosis: an aware or naive-UTC datetime, or ISO 8601 text.

    Raises:
        FactError: (for fact ``now``) anything else.
    """
    if not isinstance(value, datetime | str):
        raise FactError("now", "expected a date-time or ISO 8601 text", expected="datetime",
                        value=shown_value(value))

    def fail(message: str) -> FactError:
        return FactError("now", f"{message}; got {shown_value(value)}", expected="datetime",
                         value=shown_value(value))

    try:
        return _to_datetime(value, fail)
    except (ArithmeticError, OverflowError, ValueError) as error:
        raise fail(f"value out of range ({type(error).__name__})") from None


def unknown_refusal(spec: FactSpec, given: object) -> str | None:
    """Why a fact of the catalogue cannot be declared unknown ("the user cannot answer").

    None when it can. ``given``: its value in the case, None when it has none. The engine
    (``check_unknown``) and the case-file check say the same with these words.
    """
    if spec.derived and not spec.observable:
        return "is worked out by the rules, never asked; it cannot be declared unknown"
    if given is not None:
        return "is both given a value and declared unknown; keep one"
    return None


def parse_duration(value: str | int) -> int:
    """Seconds in a duration written as ``90``, ``'90s'``, ``'15m'``, ``'2h'``, ``'1d 12h'``.

    Raises:
        ValueError: the text is not a duration.
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text such as '2h'")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return value
    match = DURATION_PATTERN.fullmatch(value.strip()) if len(value) <= 64 else None
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"{value!r} is not a duration such as '90s', '15m', '2h' or '1d 12h'")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


_V = TypeVar("_V")


def redact_secrets(
    facts: Mapping[str, _V], catalogue: Mapping[str, FactSpec]
) -> dict[str, _V | str]:
    """A copy of ``facts`` with the value of every fact marked ``secret: true`` shown as ``***``.

    Use it before a value leaves the engine: a report, a log line, a stored session. Facts the
    catalogue does not know are kept as they are (they carry no ``secret`` mark).
    """
    return {
        fact: REDACTED if (spec := catalogue.get(fact)) is not None and spec.secret else value
        for fact, value in facts.items()
    }


def iso_moment(moment: datetime) -> str:
    """A UTC datetime in ISO 8601, to the second: ``2024-05-01T12:00:00Z``."""
    if moment.year < 1000:  # strftime writes such a year unpadded: kept exactly as it was
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The same text as that strftime, in half its time (a few per diagnosis).
    return (f"{moment.year}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}Z")


def jsonable(value: FactValue | Record) -> JsonValue:
    """A typed fact value as plain JSON data (decimals as text, datetimes in ISO 8601)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return iso_moment(value)
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in sorted(value.items())}
    return value
