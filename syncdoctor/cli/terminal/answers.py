"""What an agent types at a prompt, read as a fact's value: one reader per fact type.

Each reader returns the value to commit (JSON, as a case file would hold it) and, where the
reading is not obvious, a sentence saying how the text was understood ("understood as Thursday
2026-11-19 15:00 UTC ..."). A text that cannot be read raises :class:`AnswerError` with a message
fit for the prompt's toolbar; nothing is committed. After reading, the value is checked by the
knowledge base's own typing (:func:`syncdoctor.kb.values.type_value`), so a prompt accepts
exactly what the engine accepts (ranges included).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from syncdoctor.errors import SyncdoctorError
from syncdoctor.interview.datetimes import parse_datetime_text
from syncdoctor.kb.recordvalues import refusal
from syncdoctor.kb.spec import FactSpec
from syncdoctor.kb.values import jsonable
from syncdoctor.types import JsonValue

__all__ = ["AnswerError", "ReadAnswer", "read_answer", "read_records_csv"]

YES = frozenset({"y", "yes", "true", "t", "1", "ja", "oui", "si"})
NO = frozenset({"n", "no", "false", "f", "0", "nein", "non"})
HABITS = {"y": "yes", "yes": "yes", "n": "no", "no": "no"}
"""What an agent types out of a yes/no habit (a question of choices refuses it), and the word
it stands for."""
MAX_CSV_BYTES = 1_000_000
MAX_RECORDS = 500


class AnswerError(ValueError):
    """A typed answer that cannot be read as the fact's value; the message says what to type."""


@dataclass(frozen=True)
class ReadAnswer:
    """An answer read from text: the value to commit, and how it was understood."""

    value: JsonValue
    understood: str | None = None


def read_answer(fact: str, spec: FactSpec, text: str, *, now: datetime) -> ReadAnswer:
    """Read ``text`` as a value of ``fact``; datetimes are read relative to ``now``.

    Raises:
        AnswerError: the text is not a value of this fact (the message says what is).
    """
    stripped = text.strip()
    if not stripped:
        raise AnswerError("type an answer, or 'skip' if you do not know")
    if spec.unit and spec.type in ("integer", "decimal") and stripped.endswith(spec.unit):
        stripped = stripped[: -len(spec.unit)].rstrip()  # "12 %" for a fact in %
    match spec.type:
        case "bool":
            answer = _read_bool(stripped)
        case "enum":
            answer = _read_enum(stripped, spec.values or ())
        case "integer":
            number = _read_integer(stripped)
            answer = ReadAnswer(number, None if str(number) == stripped.lstrip("+")
                                else f"understood as {number}")
        case "decimal":
            answer = ReadAnswer(stripped.replace(" ", ""))
        case "datetime":
            try:
                understood = parse_datetime_text(stripped, now=now)
            except SyncdoctorError as error:
                raise AnswerError(str(error)) from None
            answer = ReadAnswer(jsonable(understood.value), understood.understood)
        case "duration":
            answer = ReadAnswer(stripped)
        case "records":
            records: list[JsonValue] = list(read_records_csv(fact, spec, stripped))
            answer = ReadAnswer(records)
        case _:
            answer = ReadAnswer(text.strip("\n"))
    _check(fact, spec, answer.value)
    return answer


def _check(fact: str, spec: FactSpec, value: JsonValue) -> None:
    """The knowledge base's own check: the same ranges and forms a case file meets."""
    message = refusal(fact, spec, value)
    if message is not None:
        raise AnswerError(message)


def _read_bool(text: str) -> ReadAnswer:
    word = text.lower()
    if word in YES:
        return ReadAnswer(True)
    if word in NO:
        return ReadAnswer(False)
    raise AnswerError("answer yes or no (y/n), or 'skip' if you do not know")


def _read_enum(text: str, values: tuple[str, ...]) -> ReadAnswer:
    """A value by its name, its number in the list, or a prefix that names one value only."""
    if text.isascii() and text.isdigit():  # "²".isdigit() is true, and int("²") fails
        number = int(text)
        if 1 <= number <= len(values):
            return ReadAnswer(values[number - 1], f"understood as {values[number - 1]}")
        raise AnswerError(f"choose 1 to {len(values)}, or type a value")
    lowered = text.lower()
    exact = [v for v in values if v.lower() == lowered]
    if exact:
        return ReadAnswer(exact[0])
    # Values are ids (not_found); agents type words ("not found", "not-found").
    spelt = "_".join(lowered.replace("-", " ").split())
    as_words = [v for v in values if v.lower() == spelt]
    if as_words:
        return ReadAnswer(as_words[0], f"understood as {as_words[0]}")
    shown = ", ".join(values)
    habit = HABITS.get(lowered)
    if habit is not None and habit not in (v.lower() for v in values):
        # Typed out of a yes/no habit, "n" would be the start of "never_requested", "no" of
        # "none"; where "no" is a choice, "n" is the start of it as any other.
        raise AnswerError(f"this question is not yes or no: choose one of: {shown}")
    starting = [v for v in values if v.lower().startswith(spelt)]
    if len(starting) == 1:
        return ReadAnswer(starting[0], f"understood as {starting[0]}")
    if starting:
        raise AnswerError(f"{text!r} could be {', '.join(starting)}; type more of it")
    raise AnswerError(f"choose one of: {shown}")


THOUSANDS = ",_ "
"""What may group a whole number's digits in threes: 1,500, 1_500 and 1 500 are 1500."""


def _read_integer(text: str) -> int:
    """A whole number in ASCII digits, grouped in threes or not: "1,5" is refused, not 15."""
    sign = text[:1] if text[:1] in "+-" else ""
    body = text[len(sign):]
    separators = {c for c in body if c in THOUSANDS}
    digits = body
    if separators:
        groups = body.split(separators.pop())
        if separators or not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
            raise AnswerError("type a whole number, e.g. 42 or 1,500 (a comma only groups "
                              "thousands)")
        digits = "".join(groups)
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 30:
        raise AnswerError("type a whole number, e.g. 42")
    return int(sign + digits)


def read_records_csv(fact: str, spec: FactSpec, text: str) -> list[dict[str, JsonValue]]:
    """Records from CSV: a path to a ``.csv`` file, or CSV lines typed at the prompt.

    The first row names the columns (the record's fields); an empty cell leaves that field out.

    Raises:
        AnswerError: the file cannot be read, or a column is not a field of the records.
    """
    if "\n" not in text and text.lower().endswith(".csv"):
        path = Path(text).expanduser()
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_CSV_BYTES + 1)
        except OSError as error:
            raise AnswerError(f"cannot read {text}: {error.strerror}") from None
        if len(raw) > MAX_CSV_BYTES:
            raise AnswerError(f"{text} is larger than {MAX_CSV_BYTES} bytes")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AnswerError(f"{text} is not UTF-8 text") from None
    fields = spec.fields or {}
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise AnswerError(
            f"type a header row ({','.join(fields)}) and then one row per record, "
            "or the path of a .csv file"
        )
    header = [name.strip() for name in rows[0]]
    strangers = [name for name in header if name not in fields]
    if strangers:
        named = ", ".join(repr(name) for name in strangers)
        what = "columns" if len(strangers) > 1 else "column"
        verdict = "are not fields" if len(strangers) > 1 else "is not a field"
        raise AnswerError(f"{what} {named} {verdict}; the fields are {', '.join(fields)}")
    if len(rows) - 1 > MAX_RECORDS:
        raise AnswerError(f"at most {MAX_RECORDS} records at a prompt")
    records: list[dict[str, JsonValue]] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header):
            raise AnswerError(f"row {number} has {len(row)} cells; the header has {len(header)}")
        record: dict[str, JsonValue] = {}
        for name, cell in zip(header, row, strict=False):
            value = cell.strip()
            if value:
                record[name] = _cell(fields[name].type, value)
        records.append(record)
    return records


def _cell(kind: str, value: str) -> JsonValue:
    """A CSV cell as the JSON a case file would hold (the KB's typing checks it next)."""
    if kind == "bool":
        lowered = value.lower()
        return True if lowered in YES else False if lowered in NO else value
    if kind == "integer":
        try:
            return _read_integer(value)
        except AnswerError:
            return value
    return value
