"""Exports read into typed tables: CSV, JSON, NDJSON and XLSX, by a column mapping in YAML.

A *source* is one side of the comparison (the application's UI report, its API dump, the
hub's dump, the dashboard's report); its files hold transactions, account balances by month
and account classifications, each table recognised by the columns the mapping names.
Importing this package needs nothing but pydantic; reading a file needs polars (the
``reconcile`` extra) and says so when it is missing.
"""

from __future__ import annotations

from syncdoctor.importers.errors import ExportError, ExtraMissingError, RowProblem
from syncdoctor.importers.mapping import MappingFile, SourceMapping, load_mapping
from syncdoctor.importers.source import SourceData, read_source

__all__ = ["ExportError", "ExtraMissingError", "MappingFile", "RowProblem", "SourceData",
           "SourceMapping", "load_mapping", "read_source"]
