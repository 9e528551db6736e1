"""Benchmark: the three-way reconciliation of 1,000,000 transactions a source, from files.

Usage: python bench/reconcile.py [--json] [--rows 1000000] [--plants 1000] [--rounds 1]
       [--keep DIR]

A child process generates three exports of ``rows`` transactions each (vectorised polars,
seeded: the same files every run) and writes them: the application's UI report as a CSV in a
European locale ("1.234,56", "31/01/2024", ';'), its API dump and the hub's dump as NDJSON
(the hub with its own field names and amounts as text). ``plants`` transactions of each kind
are planted: an app bug (the UI alone changed), a sync bug (the hub alone changed), both (the
API and the hub changed), missing from the hub, moved to another account in the hub, and
present in the hub only; 1% of the hub's rows also differ by 0.004, inside the 0.01 tolerance,
and must not be found. Each source's rows are shuffled differently.

This process then times, from those files:

- ``seconds`` / ``cpu_seconds``: ``syncdoctor.reconcile.reconcile_files`` (read, parse, join,
  classify, balances, facts), wall and CPU time of this process, the fastest of ``rounds``;
- ``peak_rss_mb``: this process's peak resident memory, read right after the first run
  (generation ran in the child, so it is not counted; the baseline runs after);
- ``baseline_seconds``: a plain-Python job doing the same work from the same files in this
  process: the stdlib ``csv`` and ``json`` readers, the same number and date formats (regexes
  and ``strptime``, dates cached), dicts joined by id, the same classification and monthly
  balances (the fastest of ``rounds`` too); ``speedup`` = baseline_seconds / seconds, and
  ``cpu_speedup`` the same for CPU time (``baseline_cpu_seconds``), which the machine's load
  moves less;
- ``found`` / ``planted`` / ``classified``: discrepancies found, planted, and planted ones
  found with their planted class (every one must be, and nothing else); ``baseline_agrees``:
  the baseline found exactly the same classes;
- ``cores`` and ``load_average``: the machine is shared, so wall times depend on its load.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

MAPPING = """\
sources:
  ui:
    separator: ";"
    numbers: {decimal: ",", thousands: "."}
    dates: "%d/%m/%Y"
    transactions:
      columns: {id: "Invoice #", date: Date, account: Account, amount: Amount,
                currency: Currency, kind: Type}
  hub:
    transactions:
      columns: {id: code, date: transaction_date, account: account_name,
                amount: total_amount, currency: currency, kind: type}
tolerance: {amount: "0.01"}
"""
PLANTED = ("app_bug", "sync_bug", "app_and_sync", "missing_from_hub", "moved_in_hub",
           "one_source")
EXPECTED = {"missing_from_hub": "sync_bug", "moved_in_hub": "sync_bug"}
ACCOUNTS = [f"{4000 + i} Account {i}" for i in range(200)]
KINDS = ["invoice", "payment", "journal", "other"]
TOLERANCE = 10_000  # 0.01 in millionths


def generate(folder: Path, rows: int, plants: int) -> None:
    """Write ui.csv, api.ndjson, hub.ndjson, mapping.yaml and planted.json into ``folder``."""
    import polars as pl

    index = pl.int_range(0, rows, eager=True)
    base = pl.DataFrame({"n": index}).with_columns(
        ("INV-" + pl.col("n").cast(pl.String).str.pad_start(7, "0")).alias("id"),
        pl.col("n").hash(seed=1).alias("h1"), pl.col("n").hash(seed=2).alias("h2"),
        pl.col("n").hash(seed=3).alias("h3"), pl.col("n").hash(seed=4).alias("h4"),
        pl.col("n").hash(seed=5).alias("order"),
    ).select(
        "id", "order",
        pl.lit(ACCOUNTS).list.get((pl.col("h1") % len(ACCOUNTS)).cast(pl.Int64)).alias("account"),
        (pl.date(2023, 1, 1) + pl.duration(days=(pl.col("h2") % 730).cast(pl.Int64)))
        .alias("date"),
        (((pl.col("h3") % 2_000_000).cast(pl.Int64) - 500_000) * 10_000).alias("amount"),
        pl.lit("EUR").alias("currency"),
        pl.lit(KINDS).list.get((pl.col("h4") % len(KINDS)).cast(pl.Int64)).alias("kind"),
    )
    # The planted rows: the first 5 * plants in a hashed order; the noise: every 100th after.
    base = base.sort("order").with_row_index("rank")
    label = pl.lit(None, pl.String)
    for position, name in enumerate(PLANTED[:5]):
        label = pl.when(pl.col("rank") // plants == position).then(pl.lit(name)).otherwise(label)
    base = base.with_columns(label.alias("plant"),
                             ((pl.col("rank") >= 5 * plants) & (pl.col("rank") % 100 == 0))
                             .alias("noise"))
    plant = pl.col("plant")
    ui = base.with_columns(pl.when(plant == "app_bug").then(pl.col("amount") + 1_000_000)
                           .otherwise(pl.col("amount")).alias("amount"))
    api = base.with_columns(pl.when(plant == "app_and_sync").then(pl.col("amount") + 1_000_000)
                            .otherwise(pl.col("amount")).alias("amount"))
    hub_amount = (pl.when(plant == "sync_bug").then(pl.col("amount") - 2_500_000)
                  .when(plant == "app_and_sync").then(pl.col("amount") + 3_000_000)
                  .when(pl.col("noise")).then(pl.col("amount") + 4_000)
                  .otherwise(pl.col("amount")))
    hub = base.filter(plant.is_null() | (plant != "missing_from_hub")).with_columns(
        hub_amount.alias("amount"),
        pl.when(plant == "moved_in_hub").then(pl.lit("9999 Suspense"))
        .otherwise(pl.col("account")).alias("account"))
    extra = base.head(plants).with_columns(
        ("HUB-" + pl.col("rank").cast(pl.String).str.pad_start(7, "0")).alias("id"),
        pl.lit("one_source").alias("plant"))
    hub = pl.concat([hub, extra])
    _write_ui(ui.sample(fraction=1.0, shuffle=True, seed=11), folder / "ui.csv")
    api.sample(fraction=1.0, shuffle=True, seed=12).select(
        "id", pl.col("date").dt.strftime("%Y-%m-%d"), "account",
        # JSON numbers as an API writes them: the double nearest the decimal amount.
        _text(pl.col("amount"), ".", "").cast(pl.Float64).alias("amount"), "currency", "kind",
    ).write_ndjson(folder / "api.ndjson")
    hub.sample(fraction=1.0, shuffle=True, seed=13).select(
        pl.col("id").alias("code"), pl.col("date").dt.strftime("%Y-%m-%d")
        .alias("transaction_date"), pl.col("account").alias("account_name"),
        _text(pl.col("amount"), ".", "").alias("total_amount"), "currency",
        pl.col("kind").alias("type"),
    ).write_ndjson(folder / "hub.ndjson")
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    planted = pl.concat([base.filter(plant.is_not_null()).select("id", "plant"),
                         extra.select("id", "plant")])
    truth = {i: EXPECTED.get(p, p) for i, p in planted.iter_rows()}  # 6 * plants rows
    (folder / "planted.json").write_text(json.dumps(truth), encoding="utf-8")


def _text(micros: object, decimal: str, thousands: str) -> object:
    """Millionths (whole cents) as text: 123456780000 -> '12.345,67' in a European locale."""
    import polars as pl

    value = micros if isinstance(micros, pl.Expr) else pl.col(str(micros))
    whole = value.abs() // 1_000_000
    cents = ((value.abs() % 1_000_000) // 10_000).cast(pl.String).str.pad_start(2, "0")
    grouped = whole.cast(pl.String)
    if thousands:
        grouped = (pl.when(whole >= 1000).then(
            (whole // 1000).cast(pl.String) + thousands
            + (whole % 1000).cast(pl.String).str.pad_start(3, "0")).otherwise(grouped))
    sign = pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return sign + grouped + decimal + cents


def _write_ui(frame: object, path: Path) -> None:
    import polars as pl

    assert isinstance(frame, pl.DataFrame)
    frame.select(
        pl.col("id").alias("Invoice #"), pl.col("date").dt.strftime("%d/%m/%Y").alias("Date"),
        pl.col("account").alias("Account"), _text(pl.col("amount"), ",", ".").alias("Amount"),
        pl.col("currency").alias("Currency"), pl.col("kind").alias("Type"),
    ).write_csv(path, separator=";")


# --- the plain-Python baseline: the same work, stdlib only ------------------------------------

_UI_NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:\.\d{3}){1,3}|\d{1,12})(?:,(\d{1,6}))?")
_NUMBER = re.compile(r"([+-]?)(\d{1,12})(?:\.(\d{1,6}))?")
Entry = tuple[int, str, date, str | None, str | None, str]
"""(millionths, account, month, currency, kind, date as written)."""
_KINDS = {"invoice", "journal", "payment", "other"}


def _micros(pattern: re.Pattern[str], text: str, thousands: str = "") -> int:
    match = pattern.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a number: {text!r}")
    sign, whole, fraction = match.groups()
    if thousands:
        whole = whole.replace(thousands, "")
    value = int(whole) * 1_000_000 + int((fraction or "").ljust(6, "0"))
    return -value if sign == "-" else value


def _month(text: str, fmt: str, cache: dict[str, date]) -> date:
    found = cache.get(text)
    if found is None:
        found = cache[text] = datetime.strptime(text.strip(), fmt).date().replace(day=1)
    return found


def _entry(row: tuple[object, ...], fmt: str, pattern: re.Pattern[str], thousands: str,
           cache: dict[str, date], where: str) -> tuple[str, Entry]:
    """One row checked and typed as the importers do: stripped, required, formats."""
    key, when, account, amount, currency, kind = (
        None if v is None else str(v).strip() for v in row)
    if not key or not account or not when or not amount:
        raise ValueError(f"{where}: a required value is missing")
    kind = kind.lower() if kind else None
    return key, (_micros(pattern, amount, thousands), account, _month(when, fmt, cache),
                 currency.upper() if currency else None,
                 None if kind is None else kind if kind in _KINDS else "other", when)


def _add(table: dict[str, Entry], key: str, entry: Entry, where: str) -> None:
    if key in table:
        raise ValueError(f"{where}: id {key!r} appears more than once")
    table[key] = entry


def baseline_read(folder: Path) -> dict[str, dict[str, Entry]]:
    """Each source as a dict id -> Entry, with the importers' checks."""
    sources: dict[str, dict[str, Entry]] = {}
    cache: dict[str, date] = {}
    ui: dict[str, Entry] = {}
    with (folder / "ui.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        for line, row in enumerate(reader, start=2):
            key, entry = _entry(tuple(row), "%d/%m/%Y", _UI_NUMBER, ".", cache, f"ui:{line}")
            _add(ui, key, entry, f"ui.csv:{line}")
    sources["ui"] = ui
    for name, fields in (("api", ("id", "date", "account", "amount", "currency", "kind")),
                         ("hub", ("code", "transaction_date", "account_name", "total_amount",
                                  "currency", "type"))):
        table: dict[str, Entry] = {}
        with (folder / f"{name}.ndjson").open(encoding="utf-8") as handle:
            for line, text in enumerate(handle, start=1):
                record = json.loads(text)
                key, entry = _entry(tuple(record.get(f) for f in fields), "%Y-%m-%d", _NUMBER,
                                    "", cache, f"{name}:{line}")
                _add(table, key, entry, f"{name}.ndjson:{line}")
        sources[name] = table
    return sources


_RANK = {"app_bug": 0, "sync_bug": 1, "app_and_sync": 2, "one_source": 3}


def baseline_compare(sources: dict[str, dict[str, Entry]]) -> tuple[dict[str, str], int]:
    """What reconcile_files computes: classes, details, order, and the differing months."""
    ui, api, hub = sources["ui"], sources["api"], sources["hub"]
    found: list[tuple[int, int, str, str, str]] = []
    labels = ("UI", "API", "hub")
    for key in ui.keys() | api.keys() | hub.keys():
        entries = (ui.get(key), api.get(key), hub.get(key))
        reference = next(x for x in entries if x is not None)
        place = (reference[1], reference[2])
        amounts = [x[0] if x is not None and (x[1], x[2]) == place else 0 for x in entries]
        currencies = [x[3] if x is not None else None for x in entries]

        def same(i: int, j: int) -> bool:
            ci, cj = currencies[i], currencies[j]  # noqa: B023
            return (ci is None or cj is None or ci == cj) and abs(
                amounts[i] - amounts[j]) <= TOLERANCE  # noqa: B023

        ui_api, api_hub = same(0, 1), same(1, 2)
        if ui_api and api_hub:
            continue
        present = sum(x is not None for x in entries)
        name = ("one_source" if present == 1 else "app_bug" if api_hub
                else "sync_bug" if ui_api else "app_and_sync")
        detail = "; ".join(
            f"absent from the {label}" if x is None
            else f"the {label} files it under {x[1]}" if x[1] != place[0]
            else f"the {label} dates it {x[5]}" if x[2] != place[1] else ""
            for label, x in zip(labels, entries, strict=True)).strip("; ")
        size = max(abs(amounts[0] - amounts[1]), abs(amounts[1] - amounts[2]))
        found.append((_RANK[name], -size, key, name, detail))
    found.sort()
    balances: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for position, table in enumerate((ui, api, hub)):
        for entry in table.values():
            balances[(entry[1], entry[2])][position] += entry[0]
    differing = sorted(((min(b) - max(b), k) for k, b in balances.items()
                        if max(b) - min(b) > TOLERANCE))
    return {key: name for _, _, key, name, _ in found}, len(differing)


def measure(folder: Path, rounds: int) -> dict[str, object]:
    import polars as pl

    from syncdoctor.importers import load_mapping
    from syncdoctor.reconcile import reconcile_files

    files = {"ui": [folder / "ui.csv"], "api": [folder / "api.ndjson"],
             "hub": [folder / "hub.ndjson"]}
    mapping = load_mapping(folder / "mapping.yaml")
    truth = json.loads((folder / "planted.json").read_text(encoding="utf-8"))
    peak = 0.0
    seconds = cpu = float("inf")
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = reconcile_files(files, mapping)
        seconds = min(seconds, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
        peak = peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    found = dict(result.discrepancies.select("id", "class").iter_rows())
    classified = sum(1 for key, name in truth.items() if found.get(key) == name)
    rows = sum(result.rows.get(name, 0) for name in ("ui", "api", "hub"))
    del result
    baseline = baseline_cpu = float("inf")
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        plain, _ = baseline_compare(baseline_read(folder))
        baseline = min(baseline, time.perf_counter() - start)
        baseline_cpu = min(baseline_cpu, time.process_time() - start_cpu)
    return {
        "rows": rows // 3, "rows_total": rows, "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3), "peak_rss_mb": round(peak, 1),
        "baseline_seconds": round(baseline, 3), "speedup": round(baseline / seconds, 1),
        "baseline_cpu_seconds": round(baseline_cpu, 3),
        "cpu_speedup": round(baseline_cpu / cpu, 1), "rounds": rounds,
        "found": len(found), "planted": len(truth), "classified": classified,
        "exact": found == truth, "baseline_agrees": plain == found,
        "cores": os.cpu_count(), "threads": pl.thread_pool_size(),
        "load_average": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rows", type=int, default=1_000_000, help="transactions a source")
    parser.add_argument("--plants", type=int, default=1_000, help="planted rows of each kind")
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of each job, the fastest kept (the machine is shared)")
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only is not None:
        generate(args.generate_only, args.rows, args.plants)
        return
    with tempfile.TemporaryDirectory(prefix="syncdoctor-reconcile-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        # Generated in a child, so that its memory is not this process's peak.
        subprocess.run([sys.executable, __file__, "--generate-only", str(folder), "--rows",
                        str(args.rows), "--plants", str(args.plants)], check=True)
        figures = measure(folder, args.rounds)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        for name, value in figures.items():
            print(f"{name:<18} {value}")


if __name__ == "__main__":
    main()
