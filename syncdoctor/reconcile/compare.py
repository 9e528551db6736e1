"""The article's step 4 as columnar joins: transactions, account-month balances, classifications.

Every comparison is a polars expression over whole columns; no Python loop visits a row. A
transaction is compared where the application's UI files it (its account and month; the API's,
then the hub's, when the UI lacks it): a source that lacks it, or files it under another account
or month, contributes nothing there, which is what the account's balance in that source shows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from syncdoctor.importers.tables import DIGITS

if TYPE_CHECKING:
    import polars as pl

    from syncdoctor.importers.source import SourceData

__all__ = ["CLASSES", "DATA", "Tolerances", "balances", "classifications", "transactions"]

DATA: Final = ("ui", "api", "hub")
"""The three sources whose data the article compares; ``report`` is the dashboard's figures."""
CLASSES: Final = {
    "app_bug": "the application's UI differs from its API, which the hub follows",
    "sync_bug": "the application's UI and API agree, the hub differs",
    "app_and_sync": "the UI, the API and the hub all differ",
    "one_source": "present in one source only (the other two lack it)",
    "report_generation": "the UI, the API and the hub agree, the dashboard's report differs",
}
"""Each discrepancy class and what it means (the article's step 4 branches)."""
SCALE: Final = 10**DIGITS
HASH_SEED: Final = 20_240_131
"""Any fixed seed: the hashes only speed the join up, which checks every pair."""


@dataclass(frozen=True)
class Tolerances:
    """When two amounts count as the same, and how currencies convert."""

    amount: Decimal = Decimal(0)
    """Absolute, in the compared currency."""
    fx_relative: Decimal = Decimal(0)
    """Extra allowance, as a fraction of the amount, between two currencies."""
    base: str | None = None
    rates: dict[str, Decimal] = field(default_factory=dict)

    @property
    def micros(self) -> int:
        """The absolute tolerance in millionths."""
        return int(self.amount * SCALE)


def _value(frame: pl.LazyFrame, column: str, tolerances: Tolerances) -> pl.LazyFrame:
    """Adds ``value``: the amount in the base currency (millionths), null without a rate."""
    import polars as pl

    if not tolerances.rates:
        return frame.with_columns(pl.col(column).alias("value"))
    rates = {code: float(rate) for code, rate in tolerances.rates.items()}
    if tolerances.base is not None:
        rates.setdefault(tolerances.base, 1.0)
    rate = pl.col("currency").cast(pl.String).replace_strict(rates, default=None,
                                                             return_dtype=pl.Float64)
    return frame.with_columns((pl.col(column) * rate).round(0).cast(pl.Int64).alias("value"))


def _same(a: str, b: str, tolerances: Tolerances) -> pl.Expr:
    """Whether sources a and b hold the same amount (within the tolerances) in the compared place.

    Same currency (or one unknown): the amounts within ``amount``. Different currencies: the
    converted values within ``amount`` plus ``fx_relative`` of the larger; no rate: different.
    """
    import polars as pl

    same_currency = (pl.col(f"currency_{a}").is_null() | pl.col(f"currency_{b}").is_null()
                     | (pl.col(f"currency_{a}") == pl.col(f"currency_{b}")))
    raw = (pl.col(f"in_{a}") - pl.col(f"in_{b}")).abs() <= tolerances.micros
    va, vb = pl.col(f"value_{a}"), pl.col(f"value_{b}")
    allowance = tolerances.micros + pl.max_horizontal(va.abs(), vb.abs()) * float(
        tolerances.fx_relative)
    converted = ((va - vb).abs() <= allowance).fill_null(False) if tolerances.rates else (
        pl.lit(False))
    return pl.when(same_currency).then(raw).otherwise(converted)


def _empty() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema={"id": pl.String, "date": pl.Date, "account": pl.String,
                                "amount": pl.Int64, "currency": pl.String, "kind": pl.String})


def _source_frame(data: SourceData, name: str, tolerances: Tolerances, *,
                  hashed: bool) -> pl.LazyFrame:
    """The columns the comparison needs, suffixed by source, with the join ``key``.

    The key is a 64-bit hash of the id (or the id itself): joining on integers is a fraction
    of the cost of joining on text, and :func:`_joined` checks every pair it made. Account,
    currency and kind join as categories (integer codes, exact).
    """
    import polars as pl

    frame = data.transactions if data.transactions is not None else _empty()
    columns = [pl.col("id").hash(seed=HASH_SEED).alias("key") if hashed else pl.col("id")
               .alias("key"), pl.col("id").alias(f"id_{name}"),
               pl.col("date").alias(f"date_{name}"),
               pl.col("date").dt.truncate("1mo").alias(f"month_{name}"),
               pl.col("account").cast(pl.Categorical).alias(f"account_{name}"),
               pl.col("amount").alias(f"amount_{name}"),
               pl.col("currency").cast(pl.Categorical).alias(f"currency_{name}"),
               pl.col("kind").cast(pl.Categorical).alias(f"kind_{name}")]
    lazy = frame.lazy()
    if tolerances.rates:
        lazy = _value(lazy, "amount", tolerances)
        columns.append(pl.col("value").alias(f"value_{name}"))
    return lazy.select(columns)


def _joined(sources: dict[str, SourceData], tolerances: Tolerances) -> pl.DataFrame:
    """ui, api and hub joined by id, one row per id any of them holds (``id_<source>``).

    First by the ids' hashes; every row is then checked to pair equal ids only, and should two
    ids ever share a hash the join is made again on the ids themselves: the result is exact
    either way.
    """
    import polars as pl

    for hashed in (True, False):
        ui, api, hub = (_source_frame(sources[n], n, tolerances, hashed=hashed) for n in DATA)
        joined = (ui.join(api, on="key", how="full", coalesce=True)
                  .join(hub, on="key", how="full", coalesce=True).drop("key").collect())
        ids = [pl.col(f"id_{n}") for n in DATA]
        paired = pl.all_horizontal((a == b).fill_null(True)
                                   for a, b in itertools.combinations(ids, 2))
        if not hashed or joined.select(paired.all()).item():
            return joined
    raise AssertionError("unreachable: the join on the ids themselves is returned")


def transactions(sources: dict[str, SourceData], tolerances: Tolerances) -> pl.LazyFrame:
    """Every transaction that differs between ui, api and hub, classified (lazy).

    Columns: id, kind, account, month, currency, per source ``has_``, ``amount_``,
    ``currency_``, ``account_``, ``date_``, ``in_`` (what it contributes where the UI files
    it; ``value_`` in the base currency when rates are given), the ``same_`` pairs,
    ``class``, ``detail`` and ``size`` (the largest difference, for ordering).
    """
    import polars as pl

    joined = _joined(sources, tolerances).lazy().with_columns(
        pl.coalesce(*(pl.col(f"account_{n}") for n in DATA)).alias("account"),
        pl.coalesce(*(pl.col(f"month_{n}") for n in DATA)).alias("month"),
        pl.coalesce(*(pl.col(f"currency_{n}") for n in DATA)).alias("currency"))
    placed = {n: (pl.col(f"amount_{n}").is_not_null() & (pl.col(f"account_{n}") == pl.col(
        "account")) & (pl.col(f"month_{n}") == pl.col("month"))).fill_null(False)
        for n in DATA}
    joined = joined.with_columns(
        *(pl.col(f"amount_{n}").is_not_null().alias(f"has_{n}") for n in DATA),
        *(pl.when(placed[n]).then(pl.col(f"amount_{n}")).otherwise(0).alias(f"in_{n}")
          for n in DATA),
        *(pl.when(placed[n]).then(pl.col(f"value_{n}")).otherwise(0).alias(f"value_{n}")
          for n in DATA if tolerances.rates),
    )
    ui_api, api_hub = _same("ui", "api", tolerances), _same("api", "hub", tolerances)
    alone = pl.sum_horizontal(pl.col(f"has_{n}").cast(pl.Int8) for n in DATA) == 1
    verdict = (pl.when(ui_api & api_hub).then(None)
               .when(alone).then(pl.lit("one_source"))
               .when(api_hub).then(pl.lit("app_bug"))
               .when(ui_api).then(pl.lit("sync_bug"))
               .otherwise(pl.lit("app_and_sync")))
    differing = joined.with_columns(verdict.alias("class"), ui_api.alias("same_ui_api"),
                                    api_hub.alias("same_api_hub")).filter(
        pl.col("class").is_not_null())
    # Only what differs is described: building text for a million agreeing rows would cost
    # more than all the comparisons.
    return differing.with_columns(
        pl.coalesce(*(pl.col(f"id_{n}") for n in DATA)).alias("id"),
        pl.coalesce(*(pl.col(f"kind_{n}") for n in DATA)).cast(pl.String).alias("kind"),
        _detail().alias("detail"),
        pl.max_horizontal((pl.col("in_ui") - pl.col("in_api")).abs(),
                          (pl.col("in_api") - pl.col("in_hub")).abs()).alias("size"),
    ).drop(*(f"kind_{n}" for n in DATA), *(f"id_{n}" for n in DATA))


def _detail() -> pl.Expr:
    """Why a source's figure differs besides its amount: absent, another account or month."""
    import polars as pl

    parts = []
    for name in DATA:
        label = {"ui": "UI", "api": "API", "hub": "hub"}[name]
        parts.append(
            pl.when(pl.col(f"amount_{name}").is_null()).then(pl.lit(f"absent from the {label}"))
            .when(pl.col(f"account_{name}") != pl.col("account"))
            .then(pl.lit(f"the {label} files it under ")
                  + pl.col(f"account_{name}").cast(pl.String))
            .when(pl.col(f"month_{name}") != pl.col("month"))
            .then(pl.lit(f"the {label} dates it ")
                  + pl.col(f"date_{name}").dt.strftime("%Y-%m-%d"))
            .when(pl.col(f"currency_{name}") != pl.col("currency"))
            .then(pl.lit(f"the {label} holds it in ")
                  + pl.col(f"currency_{name}").cast(pl.String))
        )
    return pl.concat_str(parts, separator="; ", ignore_nulls=True)


def balances(sources: dict[str, SourceData], tolerances: Tolerances) -> pl.LazyFrame:
    """Each account's balance by month in every source, compared (lazy).

    A source's balances are its own monthly balances when it has them, else the sum of its
    transactions. Columns: account, month, ``balance_<source>`` (base-currency millionths when
    rates are given), ``status`` (``data`` when ui, api and hub disagree, ``report_generation``
    when only the report differs, null when all agree) and ``size``.
    """
    import polars as pl

    frames = []
    for name, data in sources.items():
        if data.balances is not None:
            lazy = _value(data.balances.lazy(), "balance", tolerances).select(
                "account", pl.col("month").dt.truncate("1mo"), "value")
        elif data.transactions is not None:
            lazy = _value(data.transactions.lazy(), "amount", tolerances).select(
                "account", pl.col("date").dt.truncate("1mo").alias("month"), "value")
        else:
            continue
        frames.append((name, lazy.group_by("account", "month").agg(
            pl.col("value").sum().alias(f"balance_{name}"))))
    joined = frames[0][1]
    for _, frame in frames[1:]:
        joined = joined.join(frame, on=["account", "month"], how="full", coalesce=True)
    names = [name for name, _ in frames]
    joined = joined.with_columns(pl.col(f"balance_{n}").fill_null(0) for n in names)

    def same(a: str, b: str) -> pl.Expr:
        if a not in names or b not in names:
            return pl.lit(True)
        left, right = pl.col(f"balance_{a}"), pl.col(f"balance_{b}")
        allowance = tolerances.micros + pl.max_horizontal(left.abs(), right.abs()) * float(
            tolerances.fx_relative if tolerances.rates else 0)
        return (left - right).abs() <= allowance

    data_agrees = same("ui", "api") & same("api", "hub") & same("ui", "hub")
    status = (pl.when(~data_agrees).then(pl.lit("data"))
              .when(~same("report", "ui")).then(pl.lit("report_generation")))
    present = [pl.col(f"balance_{n}") for n in names]
    return joined.with_columns(
        status.alias("status"),
        (pl.max_horizontal(present) - pl.min_horizontal(present)).alias("size"),
    )


def classifications(sources: dict[str, SourceData]) -> pl.DataFrame | None:
    """Accounts whose classification differs between ui, api and hub (case and spaces ignored)."""
    import polars as pl

    frames = [(n, sources[n].accounts) for n in DATA if sources[n].accounts is not None]
    if len(frames) < 2:
        return None
    joined: pl.DataFrame | None = None
    for name, frame in frames:
        assert frame is not None
        renamed = frame.select("account", pl.col("classification").alias(f"class_{name}"))
        joined = renamed if joined is None else joined.join(renamed, on="account", how="full",
                                                            coalesce=True)
    assert joined is not None
    norms = [pl.col(f"class_{n}").str.to_lowercase().str.replace_all(r"\s+", " ")
             .str.strip_chars().fill_null("") for n, _ in frames]
    differs = pl.any_horizontal(a != b for a, b in itertools.pairwise(norms))
    return joined.filter(differs).sort("account")
