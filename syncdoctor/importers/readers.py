"""Exports as tables of text: CSV, JSON (an array, or an object of arrays), NDJSON, XLSX.

Every cell is read as text, with the schema given to polars' native readers, so nothing is
inferred from a sample: :mod:`syncdoctor.importers.tables` then parses numbers and dates with
the formats the mapping declares. Each table keeps where its rows came from (``__row``: a
line, a sheet row or an array index) so that a bad row is reported where it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from syncdoctor.importers.errors import ExportError
from syncdoctor.importers.mapping import SourceMapping
from syncdoctor.importers.unreadable import first_bad_place

if TYPE_CHECKING:
    import polars as pl

__all__ = ["KIND_COLUMNS", "ROW", "RawTable", "mapped_columns", "read_tables", "unreadable"]

ROW: Final = "__row"
"""The column holding each row's position in its file."""
KIND_COLUMNS: Final = {
    "transactions": (("id", "date", "account", "amount"), ("currency", "kind")),
    "balances": (("account", "month", "balance"), ("currency",)),
    "accounts": (("account", "classification"), ()),
}
"""Kind -> (required fields, optional fields)."""
_SNIFF: Final = 65_536


@dataclass(frozen=True)
class RawTable:
    """One table of an export, every cell as text."""

    kind: str
    file: str
    frame: pl.LazyFrame | pl.DataFrame
    """The mapped columns (by the file's names) and ``__row``: a scan still to run for CSV and
    NDJSON, so that typing fuses with reading and the text is never held whole."""
    place: Literal["line", "sheet", "index"]
    """How ``__row`` locates a row: a file line, a sheet row, an index in a JSON array."""
    container: str | None = None
    """The sheet's name, or the JSON key of the array."""
    typed_dates: pl.DataFrame | None = None
    """XLSX: the date column as the cells' own dates (null where a cell holds text)."""
    file_format: str = ""
    """csv or ndjson for a scan (what a failure to read it is explained as)."""

    def where(self, row: int) -> str:
        """A row's location for a message: ``ui.csv:12``, ``ui.xlsx[Sheet1]:5``, ``h.json:$[3]``."""
        if self.place == "line":
            return f"{self.file}:{row}"
        if self.place == "sheet":
            return f"{self.file}[{self.container}]:{row}"
        path = "$" if self.container is None else f"$.{self.container}"
        return f"{self.file}:{path}[{row}]"


def mapped_columns(mapping: SourceMapping, kind: str) -> dict[str, str]:
    """Field -> the file's column name, for one kind of table."""
    table = getattr(mapping, kind)
    return dict(table.columns.model_dump())


def _kind_of(columns: set[str], mapping: SourceMapping, file: str) -> str | None:
    """Which kind a table holds, by its header: the kind whose required columns all appear."""
    kinds = [kind for kind, (required, _) in KIND_COLUMNS.items()
             if all(mapped_columns(mapping, kind)[name] in columns for name in required)]
    if len(kinds) > 1:
        raise ExportError(file, f"the columns fit {' and '.join(kinds)} alike; rename one of "
                          "them in the mapping, or give each kind its own sheet or file")
    return kinds[0] if kinds else None


def _no_kind(file: str, header: list[str], mapping: SourceMapping) -> ExportError:
    wanted = "; ".join(
        f"{kind}: {', '.join(repr(mapped_columns(mapping, kind)[n]) for n in required)}"
        for kind, (required, _) in KIND_COLUMNS.items())
    shown = ", ".join(repr(name) for name in header[:20]) or "none"
    return ExportError(file, f"no table here has the columns of a kind ({wanted}); its "
                       f"columns: {shown}. Map the file's names in --mapping")


def _wanted(kind: str, mapping: SourceMapping) -> list[str]:
    names = mapped_columns(mapping, kind)
    required, optional = KIND_COLUMNS[kind]
    return list(dict.fromkeys(names[n] for n in (*required, *optional)))


def _format(path: Path, mapping: SourceMapping) -> str:
    if mapping.format is not None:
        return mapping.format
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".json":
        return "json"
    raise ExportError(str(path), f"cannot tell the format from the suffix {suffix!r}: name "
                      "it csv, json, ndjson or xlsx, or give the source's format in --mapping")


def read_tables(path: Path, mapping: SourceMapping) -> list[RawTable]:
    """Every table in one export, each recognised by its columns.

    Raises:
        ExportError: unreadable, malformed, or holding no table the mapping describes.
    """
    import polars as pl

    file = str(path)
    if not path.is_file():
        raise ExportError(file, "no such file" if not path.exists() else "not a regular file")
    kind = _format(path, mapping)
    try:
        if kind == "csv":
            return [_read_csv(path, mapping)]
        if kind == "xlsx":
            return _read_xlsx(path, mapping)
        return _read_json(path, mapping, ndjson=kind == "ndjson")
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as error:
        raise unreadable(file, kind, error, mapping.separator) from None


def unreadable(file: str, file_format: str, error: Exception, separator: str = ","
               ) -> ExportError:
    """The error for an export a reader failed on: where and why, when that can be found."""
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    found = first_bad_place(Path(file), file_format, separator)
    return ExportError(file, f"cannot read it as {file_format}: {found or text}")


def _read_csv(path: Path, mapping: SourceMapping) -> RawTable:
    import polars as pl

    file = str(path)
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    import csv

    header = next(csv.reader([first], delimiter=mapping.separator), [])
    kind = _kind_of(set(header), mapping, file)
    if kind is None:
        raise _no_kind(file, header, mapping)
    wanted = [name for name in _wanted(kind, mapping) if name in header]
    frame = (
        pl.scan_csv(path, separator=mapping.separator, infer_schema=False, encoding="utf8")
        .select(wanted)
        .with_row_index(ROW, offset=2)  # line 1 is the header
    )
    return RawTable(kind, file, frame, "line", file_format="csv")


def _first_keys(path: Path, file: str) -> set[str]:
    """The keys of an NDJSON file's first record."""
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError as error:
                    raise ExportError(file, f"line 1 is not JSON: {error}") from None
                if not isinstance(record, dict):
                    raise ExportError(file, "expected one JSON object per line")
                return set(record)
    raise ExportError(file, "the file holds no record")


def _is_ndjson(path: Path) -> bool:
    """A .json file that holds one JSON object per line rather than one document."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF)
    text = head.lstrip()
    if not text.startswith(b"{"):
        return False
    first, _, rest = text.partition(b"\n")
    try:
        json.loads(first)
    except ValueError:
        return False
    return rest.lstrip().startswith(b"{")


def _read_json(path: Path, mapping: SourceMapping, *, ndjson: bool) -> list[RawTable]:
    import polars as pl

    file = str(path)
    every = list(dict.fromkeys(n for kind in KIND_COLUMNS for n in _wanted(kind, mapping)))
    if ndjson or _is_ndjson(path):
        # The first record's keys tell the kind; a later record that lacks a required field
        # is a bad row, reported at its line.
        header = _first_keys(path, file)
        kind = _kind_of(header, mapping, file)
        if kind is None:
            raise _no_kind(file, sorted(header), mapping)
        wanted = _wanted(kind, mapping)
        scan = pl.scan_ndjson(path, schema=dict.fromkeys(wanted, pl.String))
        return [RawTable(kind, file, scan.with_row_index(ROW, offset=1), "line",
                         file_format="ndjson")]
    with path.open("rb") as handle:
        opening = handle.read(_SNIFF).lstrip()[:1]
    if opening == b"[":
        frame = pl.read_json(path, schema=dict.fromkeys(every, pl.String))
        return [_one_table(frame.with_row_index(ROW), file, mapping, "index")]
    if opening != b"{":
        raise ExportError(file, "expected a JSON array of records, an object of arrays, or "
                          "one JSON object per line")
    keys = {kind: getattr(mapping, kind).key or kind for kind in KIND_COLUMNS}
    schema = {key: pl.List(pl.Struct(dict.fromkeys(_wanted(kind, mapping), pl.String)))
              for kind, key in keys.items()}
    whole = pl.read_json(path, schema=schema)
    tables = []
    for kind, key in keys.items():
        if whole.height != 1 or whole[key].null_count() == 1:
            continue
        frame = whole.select(pl.col(key).explode()).unnest(key).with_row_index(ROW)
        tables.append(RawTable(kind, file, _drop_absent(frame, kind, mapping, file), "index",
                               key))
    if not tables:
        raise ExportError(file, "the JSON object has none of the keys "
                          f"{', '.join(repr(k) for k in keys.values())} (see the mapping's key)")
    return tables


def _drop_absent(frame: pl.DataFrame, kind: str, mapping: SourceMapping,
                 file: str) -> pl.DataFrame:
    """The columns some record holds; a required one that no record holds is an error."""
    names = mapped_columns(mapping, kind)
    present = [c for c in frame.columns if c == ROW or frame[c].null_count() < frame.height]
    required = [names[n] for n in KIND_COLUMNS[kind][0]]
    missing = [c for c in required if c not in present]
    if missing and frame.height:
        raise ExportError(file, f"no {kind} record has {', '.join(map(repr, missing))}")
    return frame.select(present)


def _one_table(frame: pl.DataFrame, file: str, mapping: SourceMapping,
               place: Literal["line", "index"]) -> RawTable:
    present = {c for c in frame.columns if frame[c].null_count() < frame.height}
    kind = _kind_of(present, mapping, file)
    if kind is None:
        raise _no_kind(file, sorted(present - {ROW}), mapping)
    keep = [c for c in _wanted(kind, mapping) if c in present]
    return RawTable(kind, file, frame.select([*keep, ROW]), place)


def _read_xlsx(path: Path, mapping: SourceMapping) -> list[RawTable]:
    import fastexcel

    file = str(path)
    try:
        reader = fastexcel.read_excel(str(path))
    except fastexcel.FastExcelError:  # not a workbook: a zip that is not one, a renamed CSV
        raise ExportError(file, "cannot read it as xlsx: it is not an Excel workbook (saved as "
                          "another format, or cut short?)") from None
    named = {getattr(mapping, kind).sheet: kind for kind in KIND_COLUMNS
             if getattr(mapping, kind).sheet}
    tables: list[RawTable] = []
    for sheet in reader.sheet_names:
        frame = reader.load_sheet(sheet, dtypes="string").to_polars()
        header = [str(c) for c in frame.columns]
        kind = named.get(sheet) or _kind_of(set(header), mapping, file)
        if kind is None:
            continue
        missing = [c for c in (mapped_columns(mapping, kind)[n] for n in KIND_COLUMNS[kind][0])
                   if c not in header]
        if missing:
            raise ExportError(file, f"sheet {sheet!r} lacks the column(s) "
                              f"{', '.join(map(repr, missing))}")
        keep = [c for c in _wanted(kind, mapping) if c in header]
        date_column = mapped_columns(mapping, kind).get("date" if kind == "transactions"
                                                        else "month")
        typed = None
        if date_column in keep:
            typed = reader.load_sheet(sheet, use_columns=[date_column],
                                      dtypes={date_column: "date"}).to_polars()
        tables.append(RawTable(kind, file, frame.select(keep).with_row_index(ROW, offset=2),
                               "sheet", sheet, typed))
    if not tables:
        raise _no_kind(file, [], mapping)
    return tables
