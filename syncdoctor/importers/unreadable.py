"""Why an export cannot be read, said at its line and column.

polars' readers fail with their own wording: ``error parsing line: Syntax at character 74``,
``InternalError(TapeError) at character 84``, ``'utf-8' codec can't decode byte 0xe9 in position
52``. Only once one has failed, the file is read again here, line by line with Python's own
decoders, to find the first place that is wrong and say what is wrong there in a support
agent's words. A file too large to re-read whole as JSON keeps polars' message.
"""

from __future__ import annotations

import codecs
import csv
import json
from pathlib import Path
from typing import Final

__all__ = ["first_bad_place"]

_WHOLE_JSON_LIMIT: Final = 64 * 1024 * 1024
"""The largest JSON document read again whole to locate its error (on the error path only)."""
_BLOCK: Final = 1 << 20
_KINDS: Final = {list: "an array", str: "a string", int: "a number", float: "a number",
                 bool: "true or false", type(None): "null"}


def first_bad_place(path: Path, file_format: str, separator: str = ",") -> str | None:
    """Where and why ``path`` is not a readable export of ``file_format``, or None."""
    try:
        return _not_utf8(path) or {
            "ndjson": _bad_ndjson, "json": _bad_json, "csv": _bad_csv,
        }.get(file_format, lambda _path, _sep: None)(path, separator)
    except (OSError, UnicodeDecodeError, RecursionError, ValueError):
        return None  # changed meanwhile, or nested past what Python's decoder follows


def _not_utf8(path: Path) -> str | None:
    """The first byte that is not UTF-8, read a block at a time (a one-line file may be huge)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, column = 1, 1
    with path.open("rb") as handle:
        start = handle.read(4)
        if start[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return "the export is UTF-16; save it as UTF-8, e.g. Excel's 'CSV UTF-8'"
        block = start[3:] if start.startswith(codecs.BOM_UTF8) else start
        while block:
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as error:
                done = decoder.decode(block[:error.start])  # what decodes before the byte
                line += done.count("\n")
                column = column + len(done) if "\n" not in done else len(
                    done) - done.rfind("\n")
                return (f"line {line}, column {column}: byte 0x{block[error.start]:02x} is not "
                        "UTF-8 (the export was saved as Latin-1 or Windows-1252?); save it as "
                        "UTF-8, e.g. Excel's 'CSV UTF-8'")
            newlines = text.count("\n")
            column = column + len(text) if not newlines else len(text) - text.rfind("\n")
            line += newlines
            block = handle.read(_BLOCK)
    return None


def _bad_ndjson(path: Path, _separator: str) -> str | None:
    with path.open("r", encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line.rstrip("\r\n"), parse_constant=_no_constant)
            except json.JSONDecodeError as error:
                return f"line {number}, column {error.colno}: {_said(error)} (not JSON)"
            except _Constant as constant:
                return (f"line {number}: {constant} is not JSON (polars reads no NaN or "
                        "Infinity): write null, or the amount as text")
            if not isinstance(record, dict):
                shown = _KINDS.get(type(record), "not an object")
                return f"line {number} holds {shown}, not a JSON object (one record per line)"
    return None


class _Constant(Exception):
    """NaN, Infinity or -Infinity: Python's decoder takes them, JSON (and polars) does not."""


def _no_constant(name: str) -> object:
    raise _Constant(name)


def _bad_json(path: Path, _separator: str) -> str | None:
    if path.stat().st_size > _WHOLE_JSON_LIMIT:
        return None
    try:
        json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return f"line {error.lineno}, column {error.colno}: {_said(error)}"
    except _Constant as constant:
        return f"{constant} is not JSON (polars reads no NaN or Infinity): write null instead"
    return None


def _said(error: json.JSONDecodeError) -> str:
    """The decoder's message, and the usual mistake behind it: a trailing comma, a cut record."""
    before = error.doc[:error.pos].rstrip()
    here = error.doc[error.pos:error.pos + 1]
    if error.msg == "Expecting value" and before.endswith(",") and here in ("]", "}"):
        return f"a comma before {here!r} with nothing after it (JSON allows no trailing comma)"
    if error.pos >= len(error.doc.rstrip()):
        return f"{error.msg}: the text ends before the record does (cut off?)"
    return error.msg


def _bad_csv(path: Path, separator: str) -> str | None:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=separator, strict=True)
        started = 1
        width: int | None = None
        try:
            for row in reader:
                if width is None:
                    width = len(row)
                elif len(row) > width:
                    return (f"line {started} has {len(row)} fields where the header has "
                            f"{width} (a separator inside a value that is not quoted?)")
                started = reader.line_num + 1
        except csv.Error as error:
            if reader.line_num > started or "end of data" in str(error):
                return (f"line {started}: a quoted field opened there is never closed (a \" "
                        "missing, or one that should be doubled as \"\")")
            return f"line {reader.line_num}: {error}"
    return None
