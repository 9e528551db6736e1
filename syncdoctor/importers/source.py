"""One source's exports, read and typed: its transactions, monthly balances, classifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from syncdoctor.importers.errors import ExportError, require_polars
from syncdoctor.importers.mapping import SourceMapping
from syncdoctor.importers.readers import ROW, read_tables
from syncdoctor.importers.tables import typed_table

if TYPE_CHECKING:
    import polars as pl

__all__ = ["SourceData", "read_source"]


@dataclass(frozen=True)
class SourceData:
    """What one source holds; a kind none of its files has is None."""

    name: str
    files: tuple[str, ...]
    transactions: pl.DataFrame | None = None
    """id, date, account, amount (millionths), currency, kind."""
    balances: pl.DataFrame | None = None
    """account, month (the month's first day), balance (millionths), currency."""
    accounts: pl.DataFrame | None = None
    """account, classification."""


def read_source(name: str, paths: Sequence[Path], mapping: SourceMapping) -> SourceData:
    """Read every file of one source; a kind in several files is one table (ids unique).

    Raises:
        ExportError: a file cannot be read, a row does not parse, or an id repeats.
        ExtraMissingError: polars is not installed.
    """
    require_polars()
    import polars as pl

    found: dict[str, list[pl.DataFrame]] = {}
    for path in paths:
        for table in read_tables(path, mapping):
            found.setdefault(table.kind, []).append(typed_table(table, mapping).drop(ROW))
    merged: dict[str, pl.DataFrame] = {}
    for kind, frames in found.items():
        frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
        if len(frames) > 1:
            key = {"transactions": ["id"], "balances": ["account", "month"],
                   "accounts": ["account"]}[kind]
            twice = frame.filter(pl.struct(key).is_duplicated())
            if twice.height:
                first = " ".join(str(v) for v in twice.row(0))
                raise ExportError(", ".join(map(str, paths)), f"{twice.height} {kind} rows "
                                  f"appear in more than one file of {name} (first: {first})")
        merged[kind] = frame
    return SourceData(name, tuple(map(str, paths)), merged.get("transactions"),
                      merged.get("balances"), merged.get("accounts"))
