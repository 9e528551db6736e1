"""What a posted form says: urlencoded fields, and a question's controls turned into an answer.

The page posts plain ``application/x-www-form-urlencoded`` forms (no file upload), read here with
the standard library. The typing of the answer is the Interview's (the pack's catalogue): this
module only gathers the controls into the value to hand it: ``true``/``false`` for a bool, the
text of the datetime box (an ISO date or a phrase such as "3 hours ago") or of the picker, and for
records the table's cells, or rows pasted from a spreadsheet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from syncdoctor.diagnosis.result import Question, RecordField
from syncdoctor.errors import FactError

__all__ = ["MAX_FIELDS", "Form", "answer_value", "parse_form", "record_rows"]

MAX_FIELDS = 4000
"""The most fields one post may have: a records table of 100 rows of a dozen columns fits."""
EMPTY_ROWS = 3
"""Blank rows a records table offers below the filled ones."""
_CELL = re.compile(r"rec-(\d{1,4})-([A-Za-z0-9_.]{1,64})")


@dataclass(frozen=True)
class Form:
    """A posted form: each field's values in order."""

    fields: Mapping[str, Sequence[str]]

    def get(self, name: str) -> str | None:
        """The field's first value, or None."""
        values = self.fields.get(name)
        return values[0] if values else None

    def text(self, name: str) -> str:
        """The field's first value stripped, or empty text."""
        return (self.get(name) or "").strip()


def parse_form(body: bytes) -> Form:
    """An urlencoded body as a Form.

    Raises:
        FactError: (for ``form``) not UTF-8, or more than MAX_FIELDS fields.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FactError("form", "the form is not UTF-8 text") from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS,
                          errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise FactError("form", f"the form has more than {MAX_FIELDS} fields, or bad "
                        "escapes") from None
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value.replace("\r\n", "\n"))
    return Form(fields)


def answer_value(question: Question, form: Form) -> object:
    """The answer the controls of ``question`` hold, for ``Interview.answer``.

    Raises:
        FactError: nothing was given (the page says: answer, or "I don't know").
    """
    if question.type == "records":
        rows = record_rows(question.fields or [], form)
        if not rows:
            raise FactError(question.fact, "fill in at least one row, or paste rows from a "
                            "spreadsheet", expected="records")
        return [_typed_record(question.fields or [], row) for row in rows]
    raw = form.text("value")
    if question.type == "datetime" and not raw:
        raw = form.text("value_picker")
    if not raw:
        raise FactError(question.fact, "give an answer, or choose \"I don't know\"",
                        expected=question.type)
    if question.type == "bool":
        if raw not in ("true", "false"):
            raise FactError(question.fact, "choose yes or no", expected="bool")
        return raw == "true"
    return form.get("value") if question.type == "text" else raw


def record_rows(fields: Sequence[RecordField], form: Form) -> list[dict[str, str]]:
    """The records typed in the table, then those pasted (tab-separated), blank rows left out.

    Pasted text may start with a header row naming the fields; else its columns are the
    table's, in order.
    """
    names = [field.name for field in fields]
    cells: dict[int, dict[str, str]] = {}
    for key, values in form.fields.items():
        match = _CELL.fullmatch(key)
        if match and match.group(2) in names and values and values[0].strip():
            cells.setdefault(int(match.group(1)), {})[match.group(2)] = values[0].strip()
    rows = [cells[index] for index in sorted(cells)]
    rows.extend(_pasted_rows(names, form.get("paste") or ""))
    return rows


def _pasted_rows(names: Sequence[str], text: str) -> list[dict[str, str]]:
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return []
    columns = list(names)
    first = [cell.strip() for cell in lines[0].split("\t")]
    if (set(first) <= set(names) and len(first) > 1) or first == columns[:1]:
        columns, lines = first, lines[1:]
    rows = []
    for line in lines:
        cells = [cell.strip() for cell in line.split("\t")]
        row = {name: cell for name, cell in zip(columns, cells, strict=False) if cell}
        if row:
            rows.append(row)
    return rows


def _typed_record(fields: Sequence[RecordField], row: Mapping[str, str]) -> dict[str, object]:
    """Cells as the catalogue types them; bool cells from yes/no."""
    kinds = {field.name: field.type for field in fields}
    record: dict[str, object] = {}
    for name, cell in row.items():
        if kinds.get(name) == "bool":
            lowered = cell.lower()
            record[name] = True if lowered in ("yes", "true", "1") else (
                False if lowered in ("no", "false", "0") else cell)
        else:
            record[name] = cell
    return record


def table_rows(fields: Sequence[RecordField], form: Form | None, extra: int = 0) -> list[
        dict[str, str]]:
    """The rows the records table shows: what was typed (kept on an error) and blank ones."""
    rows = record_rows(fields, form) if form is not None else []
    return rows + [{} for _ in range(EMPTY_ROWS + extra)]
