"""A reconciliation as the impac pack's facts: bounded ``txn`` records and ``mismatch.*``.

The rules compare record fields exactly (``eq_field``), so two figures that agree within the
tolerance are written as the same figure (the API's); the report keeps the figures as read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Final

from syncdoctor.importers.tables import DIGITS

if TYPE_CHECKING:
    import polars as pl

    from syncdoctor.reconcile.compare import Tolerances

__all__ = ["SUMMARY_FACT", "amount_text", "money", "period_facts", "txn_records"]

SUMMARY_FACT: Final = "mismatch.txn_differing"
"""How many transactions differ in all, of which ``txn`` lists the first ones."""


def amount_text(column: str | pl.Expr) -> pl.Expr:
    """Millionths as decimal text with at least two decimals: 1234560000 -> '1234.56'."""
    import polars as pl

    value = pl.col(column) if isinstance(column, str) else column
    whole = (value.abs() // 10**DIGITS).cast(pl.String)
    fraction = (value.abs() % 10**DIGITS).cast(pl.String).str.pad_start(DIGITS, "0")
    text = pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit("")) + whole + "." + fraction
    return text.str.replace(r"^(-?\d+\.\d\d\d*?)0*$", "${1}")


def money(micros: int) -> str:
    """One amount in millionths as decimal text (for the few single facts)."""
    return str((Decimal(micros) / 10**DIGITS).quantize(Decimal("0.01"))
               if micros % 10**(DIGITS - 2) == 0 else Decimal(micros) / 10**DIGITS)


def txn_records(discrepancies: pl.DataFrame, limit: int, *, converted: bool
                ) -> list[dict[str, str]]:
    """The first ``limit`` discrepancies as ``txn`` records (id, kind, app_ui, app_api, hub)."""
    import polars as pl

    prefix = "value" if converted else "in"
    api = pl.col(f"{prefix}_api")
    ui = pl.when(pl.col("same_ui_api")).then(api).otherwise(pl.col(f"{prefix}_ui"))
    hub = pl.when(pl.col("same_api_hub")).then(api).otherwise(pl.col(f"{prefix}_hub"))
    head = discrepancies.head(limit).select(
        "id", "kind", amount_text(ui).alias("app_ui"), amount_text(api).alias("app_api"),
        amount_text(hub).alias("hub"))
    # A bounded list (at most the engine's record limit) of already-computed rows.
    return [{k: v for k, v in row.items() if v is not None} for row in head.to_dicts()]


def period_facts(periods: pl.DataFrame, classes: pl.DataFrame | None,
                 tolerances: Tolerances, has_report: bool) -> dict[str, object]:
    """The impacted account and month, with each source's balance and classification.

    The account is the one whose balances differ most between the sources (summed over its
    months), else one whose classification differs, else the one whose report differs most;
    its month is the one that differs most. Ties go to the first account and month by name.
    """
    import polars as pl

    facts: dict[str, object] = {"mismatch.amount_tolerance": str(tolerances.amount)}
    account: str | None = None
    data = periods.filter(pl.col("status") == "data")
    chosen = data if data.height else periods.filter(pl.col("status") == "report_generation")
    if chosen.height:
        ranked = (chosen.group_by("account").agg(pl.col("size").sum())
                  .sort(["size", "account"], descending=[True, False]))
        account = str(ranked["account"][0])
    elif classes is not None and classes.height:
        account = str(classes["account"][0])
    if account is None:
        return facts
    facts["mismatch.account_name"] = account
    months = chosen.filter(pl.col("account") == account).sort(
        ["size", "month"], descending=[True, False])
    if months.height:
        row = months.row(0, named=True)
        facts["mismatch.period"] = row["month"].strftime("%Y-%m")
        if "balance_ui" in row:
            facts["mismatch.period_app_amount"] = money(row["balance_ui"])
        if "balance_hub" in row:
            facts["mismatch.period_hub_amount"] = money(row["balance_hub"])
        if has_report and "balance_report" in row:
            facts["mismatch.widget_amount"] = money(row["balance_report"])
    if classes is not None:
        mine = classes.filter(pl.col("account") == account)
        if mine.height:
            row = mine.row(0, named=True)
            for source, fact in (("hub", "mismatch.classification_hub"),
                                 ("ui", "mismatch.classification_app_ui"),
                                 ("api", "mismatch.classification_app_api")):
                if row.get(f"class_{source}") is not None:
                    facts[fact] = row[f"class_{source}"]
    return facts
