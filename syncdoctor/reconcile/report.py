"""A reconciliation for people: Markdown for the ticket, a rich table for the terminal.

Both are deterministic (the frames are sorted before they get here) and bounded: the long
tables show their first rows and say how many more there are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from syncdoctor.reconcile.compare import CLASSES, DATA
from syncdoctor.reconcile.facts import amount_text

if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console

    from syncdoctor.reconcile.run import Reconciliation

__all__ = ["TRANSACTIONS_SHOWN", "print_summary", "to_markdown"]

TRANSACTIONS_SHOWN: Final = 200
PERIODS_SHOWN: Final = 50
LABELS: Final = {"ui": "app UI", "api": "app API", "hub": "hub", "report": "report"}
STATUS: Final = {"data": "the sources differ", "report_generation": "only the report differs"}
_CAUSE: Final = {
    "app_bug": "application (contact its support)",
    "sync_bug": "synchronisation (Maestrano support)",
    "app_and_sync": "application and synchronisation",
    "one_source": "see the detail: who lacks it",
    "report_generation": "Connec! report generation (Maestrano support)",
}


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return lines


def one_currency(result: Reconciliation) -> str | None:
    """The currency every figure shown is in, when there is exactly one."""
    import polars as pl

    seen = result.discrepancies.select(pl.concat_list(
        [pl.col(f"currency_{n}").cast(pl.String) for n in DATA]).explode().drop_nulls()
        .unique())
    return str(seen.item()) if seen.height == 1 else None


def transaction_rows(result: Reconciliation, limit: int, *, currency: bool = True
                     ) -> pl.DataFrame:
    """The first discrepancies, amounts as text (with their currencies), ready to print."""
    import polars as pl

    def figure(n: str) -> pl.Expr:
        text = amount_text(f"amount_{n}")
        if currency:
            text = text + pl.lit(" ") + pl.col(f"currency_{n}").cast(pl.String).fill_null("")
        return pl.when(pl.col(f"has_{n}")).then(text).otherwise(pl.lit("absent"))

    return result.discrepancies.head(limit).select(
        "id", pl.col("kind").fill_null(""), pl.col("account").cast(pl.String),
        pl.col("month").dt.strftime("%Y-%m").alias("month"),
        *(figure(n).str.strip_chars().alias(n) for n in DATA),
        "class", pl.col("detail").fill_null(""))


def to_markdown(result: Reconciliation, files: dict[str, list[str]]) -> str:
    """The whole reconciliation as a Markdown document."""
    import polars as pl

    out = ["# Reconciliation: the application's UI, its API and the hub", ""]
    read = "; ".join(f"{LABELS[n]}: {result.rows.get(n, 0):,} transactions "
                     f"({', '.join(files.get(n, [])) or '-'})" for n in result.rows)
    out += [f"Read {read}. Amounts agree within {result.tolerances.amount}"
            + (f" (and {result.tolerances.fx_relative} of the amount between currencies)"
               if result.tolerances.rates else "") + ".", ""]
    out += ["## Summary", ""]
    out += _table(["class", "meaning", "count", "points to"],
                  [[name, CLASSES[name], f"{result.counts.get(name, 0):,}", _CAUSE[name]]
                   for name in CLASSES])
    unit = "account-months" if result.counts.get("report_generation") else ""
    if unit:
        out += ["", "report_generation counts account-months; the others, transactions."]
    sources = [n for n in ("ui", "api", "hub", "report") if f"balance_{n}" in
               result.periods.columns]
    accounts = (result.periods.group_by("account").agg(
        pl.len().alias("months"), pl.col("size").max().alias("largest"),
        pl.col("status").replace_strict(STATUS).unique().sort().str.join("; ")
        .alias("status"))
        .sort(["largest", "account"], descending=[True, False]))
    out += ["", f"## Impacted accounts ({accounts.height:,})", ""]
    if accounts.height:
        out += _table(["account", "months that differ", "largest difference", "status"],
                      [[r["account"], r["months"], r["largest"], r["status"]] for r in
                       accounts.head(PERIODS_SHOWN).with_columns(amount_text("largest")
                                                                 .alias("largest"))
                       .iter_rows(named=True)])
        if accounts.height > PERIODS_SHOWN:
            out += ["", f"... and {accounts.height - PERIODS_SHOWN:,} more."]
    else:
        out += ["No account's balance differs."]
    out += ["", f"## Impacted months ({result.periods.height:,})", ""]
    if result.periods.height:
        shown = result.periods.head(PERIODS_SHOWN).with_columns(
            pl.col("month").dt.strftime("%Y-%m"),
            *(amount_text(f"balance_{n}").alias(f"balance_{n}") for n in sources))
        out += _table(["account", "month", *(LABELS[n] for n in sources), "status"],
                      [[r["account"], r["month"], *(r[f"balance_{n}"] for n in sources),
                        STATUS[r["status"]]] for r in shown.iter_rows(named=True)])
        if result.periods.height > PERIODS_SHOWN:
            out += ["", f"... and {result.periods.height - PERIODS_SHOWN:,} more."]
    else:
        out += ["Every account's monthly balance agrees."]
    out += ["", f"## Transactions that differ ({result.found:,})", ""]
    if result.found:
        rows = transaction_rows(result, TRANSACTIONS_SHOWN)
        out += _table(["id", "kind", "account", "month", "app UI", "app API", "hub", "class",
                       "detail"], [list(r) for r in rows.iter_rows()])
        if result.found > TRANSACTIONS_SHOWN:
            out += ["", f"... and {result.found - TRANSACTIONS_SHOWN:,} more."]
    else:
        out += ["Every transaction agrees in the three sources."]
    if result.classifications is not None:
        out += ["", f"## Classifications that differ ({result.classifications.height:,})", ""]
        columns = [c for c in result.classifications.columns if c.startswith("class_")]
        out += _table(["account", *(LABELS[c.removeprefix("class_")] for c in columns)],
                      [list(r) for r in result.classifications.head(PERIODS_SHOWN).select(
                          "account", *columns).iter_rows()])
    out += ["", "## Facts for the diagnosis", ""]
    for fact, value in result.facts.items():
        described = f"{result.listed:,} records" if fact == "txn" else f"`{value}`"
        out.append(f"- `{fact}`: {described}")
    return "\n".join(out) + "\n"


def print_summary(result: Reconciliation, console: Console, limit: int = 20) -> None:
    """The counts and the first discrepancies as rich tables."""
    from rich.table import Table

    summary = Table(title="Reconciliation", title_justify="left")
    for column in ("class", "count", "points to"):
        summary.add_column(column, justify="right" if column == "count" else "left")
    for name in CLASSES:
        summary.add_row(name, f"{result.counts.get(name, 0):,}", _CAUSE[name])
    console.print(summary)
    if not result.found:
        console.print("Every transaction agrees in the three sources.")
        return
    common = one_currency(result)
    rows = transaction_rows(result, limit, currency=common is None)
    # Columns with nothing in them are left out, and a currency common to every figure is
    # said once in the title: a terminal is narrow.
    wide = console.width >= 120  # else the kind and the detail wait for the Markdown report
    shown = [c for c in rows.columns if c not in ("kind", "detail") or (
        wide and rows[c].str.len_chars().max())]
    table = Table(title=f"Transactions that differ: {result.found:,}"
                  + (f" (the first {limit})" if result.found > limit else "")
                  + (f", amounts in {common}" if common else ""), title_justify="left")
    headers = {"ui": "app UI", "api": "app API", "hub": "hub"}
    for column in shown:
        table.add_column(headers.get(column, column),
                         justify="right" if column in headers else "left",
                         no_wrap=column != "detail", min_width=8 if column == "account" else None,
                         overflow="fold")
    for row in rows.select(shown).iter_rows():
        table.add_row(*(str(v) for v in row))
    console.print(table)
