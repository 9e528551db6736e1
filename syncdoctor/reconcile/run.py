"""One reconciliation: read the sources, compare them, and keep only what differs."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from syncdoctor.importers.errors import ExportError, require_polars
from syncdoctor.importers.mapping import MappingFile
from syncdoctor.importers.source import SourceData, read_source
from syncdoctor.kb.values import RECORD_LIMIT
from syncdoctor.reconcile.compare import (
    CLASSES,
    DATA,
    Tolerances,
    balances,
    classifications,
    transactions,
)
from syncdoctor.reconcile.facts import SUMMARY_FACT, period_facts, txn_records

if TYPE_CHECKING:
    import polars as pl

__all__ = ["Reconciliation", "reconcile", "reconcile_files"]

_ORDER: Final = {name: rank for rank, name in enumerate(CLASSES)}
Step = Callable[[str], None]
"""Told the name of each step as it starts (a progress bar)."""


@dataclass(frozen=True)
class Reconciliation:
    """What differs between the sources, and the facts that tell the impac rules."""

    rows: dict[str, int]
    """Source -> transactions read."""
    tolerances: Tolerances
    discrepancies: pl.DataFrame
    """Every transaction that differs, most significant first (see compare.transactions)."""
    counts: dict[str, int]
    """Class -> transactions (and ``report_generation`` -> account-months)."""
    periods: pl.DataFrame
    """Account-months whose balances differ, largest first."""
    classifications: pl.DataFrame | None
    """Accounts whose classification differs, or None when fewer than two sources have them."""
    facts: dict[str, object]
    """The case facts: ``txn`` (at most the limit), ``mismatch.*``."""
    listed: int
    """How many discrepancies ``txn`` lists."""

    @property
    def found(self) -> int:
        """Transactions that differ."""
        return self.discrepancies.height


def _tolerances(mapping: MappingFile) -> Tolerances:
    return Tolerances(mapping.tolerance.amount, mapping.tolerance.fx_relative,
                      mapping.currency.base, dict(mapping.currency.rates))


def reconcile(sources: Mapping[str, SourceData], tolerances: Tolerances,
              limit: int = RECORD_LIMIT, step: Step | None = None) -> Reconciliation:
    """Compare ui, api and hub (and the optional report): accounts, months, transactions.

    Raises:
        ExportError: a source of ui, api, hub has no transactions and no balances.
    """
    require_polars()
    import polars as pl

    for name in DATA:
        if name not in sources or (sources[name].transactions is None
                                   and sources[name].balances is None):
            raise ExportError(name, f"the {name} source has neither transactions nor balances")
    tell = step or (lambda _name: None)
    tell("comparing transactions and balances")
    compared = transactions(dict(sources), tolerances).with_columns(
        pl.col("class").replace_strict(_ORDER, return_dtype=pl.Int32).alias("_rank")).sort(
        ["_rank", "size", "id"], descending=[False, True, False]).drop("_rank")
    monthly = (balances(dict(sources), tolerances).filter(pl.col("status").is_not_null())
               .sort(["size", "account", "month"], descending=[True, False, False]))
    # Both plans at once: polars runs them side by side on the cores.
    discrepancies, periods = pl.collect_all([compared, monthly])
    tell("writing the facts")
    classes = classifications(dict(sources))
    counts = {name: 0 for name in CLASSES}
    for name, count in discrepancies.group_by("class").len().iter_rows():
        counts[name] = count
    counts["report_generation"] = periods.filter(
        pl.col("status") == "report_generation").height
    limit = max(0, min(limit, RECORD_LIMIT))
    converted = bool(tolerances.rates)
    facts = period_facts(periods, classes, tolerances, "report" in sources)
    records = txn_records(discrepancies, limit, converted=converted)
    if records:
        facts["txn"] = records
    facts[SUMMARY_FACT] = discrepancies.height
    rows = {name: (data.transactions.height if data.transactions is not None else 0)
            for name, data in sources.items()}
    return Reconciliation(rows, tolerances, discrepancies, counts, periods, classes, facts,
                          len(records))


def reconcile_files(files: Mapping[str, Sequence[Path]], mapping: MappingFile,
                    limit: int = RECORD_LIMIT, step: Step | None = None) -> Reconciliation:
    """Read each source's files with the mapping, then :func:`reconcile` them.

    Raises:
        ExportError: a file that cannot be read, or rows that do not parse.
        ExtraMissingError: polars is not installed.
    """
    require_polars()
    tell = step or (lambda _name: None)
    wanted = [(name, paths) for name, paths in files.items() if paths]
    # One thread a source: polars releases the GIL while it reads and parses, so the sources
    # share the cores instead of taking turns (a file is mostly one core's work). The first
    # error in the sources' order is raised, whichever thread finished first.
    with ThreadPoolExecutor(max_workers=min(len(wanted), os.cpu_count() or 1, 2) or 1) as pool:
        futures = {name: pool.submit(read_source, name, paths, mapping.source(name))
                   for name, paths in wanted}
        sources: dict[str, SourceData] = {}
        for name, future in futures.items():
            tell(f"reading {name}")
            sources[name] = future.result()
    return reconcile(sources, _tolerances(mapping), limit, tell)
