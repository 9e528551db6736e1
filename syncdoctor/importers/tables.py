"""Text tables to typed ones, in vectorised polars expressions: amounts, dates, kinds.

Amounts become integers in millionths (the KB's own scale, :data:`syncdoctor.kb.values.SCALE`),
so sums and comparisons are exact. A number is read only when it matches the declared format
whole ("1.234,56" with decimal ',' and thousands '.' in threes); "1.234" under decimal ','
is a bad row, not a guess. A date is read only by the declared strftime format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from syncdoctor.importers.errors import ROWS_SHOWN, ExportError, RowProblem
from syncdoctor.importers.mapping import KINDS, Numbers, SourceMapping
from syncdoctor.importers.readers import KIND_COLUMNS, ROW, RawTable, mapped_columns, unreadable

if TYPE_CHECKING:
    import polars as pl

__all__ = ["AMOUNT_FIELDS", "DIGITS", "date_expr", "typed_table", "with_amount"]

DIGITS: Final = 6
"""Decimals kept: amounts are exact to the millionth; a finer one is a bad row."""
AMOUNT_FIELDS: Final = frozenset({"amount", "balance"})
_INTEGER_DIGITS: Final = 12  # 10**12 * 10**6 stays inside a signed 64-bit integer


def _escape(mark: str) -> str:
    return {".": r"\.", " ": r"[ \u00a0\u202f]", "'": "'", ",": ","}[mark]


def with_amount(frame: pl.LazyFrame, column: str, numbers: Numbers, out: str, *,
                strip: bool = True) -> pl.LazyFrame:
    """``frame`` with ``out`` (the amount in millionths) and ``out + '_ok'`` (well-formed).

    The declared format is checked whole by one regex; the text, stripped of its thousands
    marks and with '.' for its decimal mark, then goes through polars' own decimal parser,
    whose integer form is the amount in millionths.
    """
    import polars as pl

    text = pl.col(column).str.strip_chars() if strip else pl.col(column)
    if numbers.parentheses:
        bracketed = text.str.starts_with("(") & text.str.ends_with(")")
        inner = text.str.strip_prefix("(").str.strip_suffix(")").str.strip_chars()
        text = pl.when(bracketed).then(pl.lit("-") + inner).otherwise(text)
    integer = rf"\d{{1,{_INTEGER_DIGITS}}}"
    if numbers.thousands:
        integer = rf"\d{{1,3}}(?:{_escape(numbers.thousands)}\d{{3}}){{1,3}}|{integer}"
    pattern = rf"^[+-]?(?:{integer})(?:{_escape(numbers.decimal)}\d{{1,{DIGITS}}})?$"
    frame = frame.with_columns(text.alias("__text"))
    plain = pl.col("__text").str.strip_prefix("+")
    if numbers.thousands == " ":
        plain = plain.str.replace_all(r"[ \u00a0\u202f]", "")
    elif numbers.thousands:
        plain = plain.str.replace_all(numbers.thousands, "", literal=True)
    if numbers.decimal != ".":
        plain = plain.str.replace(numbers.decimal, ".", literal=True)
    ok = pl.col("__text").str.contains(pattern).fill_null(False)
    millionths = (plain.cast(pl.Decimal(_INTEGER_DIGITS + DIGITS, DIGITS), strict=False)
                  .to_physical().cast(pl.Int64))
    frame = frame.with_columns(ok.alias(f"{out}_ok"))
    return frame.with_columns(pl.when(pl.col(f"{out}_ok")).then(millionths).alias(out)
                              ).drop("__text")


def date_expr(column: str, fmt: str, *, month: bool = False, strip: bool = True) -> pl.Expr:
    """The column's dates by ``fmt`` (null where the text does not match it)."""
    import polars as pl

    text = pl.col(column).str.strip_chars() if strip else pl.col(column)
    if month and "%d" not in fmt:
        text, fmt = text + "|01", fmt + "|%d"
    if any(code in fmt for code in ("%H", "%M", "%S", "%z")):
        return text.str.strptime(pl.Datetime, fmt, strict=False).dt.date()
    return text.str.strptime(pl.Date, fmt, strict=False)


def _problems(frame: pl.DataFrame, table: RawTable, checks: dict[str, tuple[str, str]]
              ) -> tuple[list[RowProblem], int]:
    """The bad rows of a typed frame: each failed check at its row, the first ones listed."""
    import polars as pl

    failed = pl.any_horizontal(~pl.col(f"__ok_{name}") for name in checks)
    bad = frame.filter(failed)
    if not bad.height:
        return [], 0
    # The raw text of the rows shown, read again (only when something failed).
    head = bad.head(ROWS_SHOWN).select(ROW, *(f"__ok_{name}" for name in checks))
    text = table.frame.lazy().filter(pl.col(ROW).is_in(head[ROW].implode())).collect()
    shown = head.join(text, on=ROW, how="left").sort(ROW)
    rows: list[RowProblem] = []
    for record in shown.iter_rows(named=True):  # at most ROWS_SHOWN rows
        for name, (column, what) in checks.items():
            if not record[f"__ok_{name}"]:
                raw = record.get(column)
                got = "it is empty" if raw is None or raw == "" else f"got {raw!r}"
                rows.append(RowProblem(table.where(record[ROW]), column, f"{what}; {got}"))
    return rows, max(bad.height - ROWS_SHOWN, 0)


def typed_table(table: RawTable, mapping: SourceMapping) -> pl.DataFrame:
    """One table with canonical column names and types, or every bad row reported.

    Raises:
        ExportError: rows with a malformed number or date, a missing value, or a duplicate id.
    """
    import polars as pl

    names = mapped_columns(mapping, table.kind)
    required, optional = KIND_COLUMNS[table.kind]
    # The text is read whole first: typing a scan as it reads costs twice the CPU here.
    try:
        frame = (table.frame.collect(engine="streaming") if isinstance(table.frame, pl.LazyFrame)
                 else table.frame).lazy()
    except pl.exceptions.PolarsError as error:  # a ragged CSV row, a line that is not JSON
        raise unreadable(table.file, table.file_format or "an export", error,
                         mapping.separator) from None
    if table.typed_dates is not None:  # XLSX date cells: their own dates, as text
        column = table.typed_dates.columns[0]
        cells = table.typed_dates[column].dt.strftime(
            mapping.dates if table.kind == "transactions" else mapping.months)
        frame = frame.with_columns(pl.lit(cells).fill_null(pl.col(column)).alias(column))
    exprs: list[pl.Expr] = [pl.col(ROW)]
    checks: dict[str, tuple[str, str]] = {}
    present = [c for c in frame.collect_schema().names() if c != ROW]
    # Which columns hold padded or empty cells: the others are used as they are, without a
    # stripped copy of a million strings each (memory, mostly).
    # Columns of few distinct values (accounts, dates, currencies) are looked at once a value.
    many = {names[f] for f in ("id", *AMOUNT_FIELDS) if f in names}

    def distinct(column: str) -> pl.Expr:
        return pl.col(column) if column in many else pl.col(column).unique()

    flags = frame.select(
        *(distinct(c).str.contains(r"^\s|\s$").any().alias(f"pad {c}") for c in present),
        *(((pl.col(c) == "").any()).alias(f"empty {c}") for c in present)).collect().row(
        0, named=True) if present else {}
    padded = {c for c in present if flags[f"pad {c}"]}
    empty = {c for c in present if flags[f"empty {c}"]}
    for field in (*required, *optional):
        column = names[field]
        if column not in present:
            continue
        if field in AMOUNT_FIELDS:
            frame = with_amount(frame, column, mapping.numbers, f"__amount_{field}",
                                strip=column in padded)
            value, ok = pl.col(f"__amount_{field}"), pl.col(f"__amount_{field}_ok")
            numbers = mapping.numbers
            what = (f"not a number written with decimal {numbers.decimal!r}"
                    + (f" and thousands {numbers.thousands!r}" if numbers.thousands else "")
                    + f" (at most {_INTEGER_DIGITS} digits, and {DIGITS} decimals)")
        elif field in ("date", "month"):
            fmt = mapping.dates if field == "date" else mapping.months
            value = date_expr(column, fmt, month=field == "month", strip=column in padded)
            ok = value.is_not_null()
            what = f"not a date of the format {fmt!r}"
        else:
            value = pl.col(column).str.strip_chars() if column in padded else pl.col(column)
            if column in empty or column in padded:
                value = pl.when(value != "").then(value)
            ok = value.is_not_null() if field in required else pl.lit(True)
            what = "no value"
        exprs.append(value.alias(field))
        if field in required or field in AMOUNT_FIELDS or field in ("date", "month"):
            exprs.append((ok | pl.col(column).is_null().and_(pl.lit(field not in required)))
                         .alias(f"__ok_{field}"))
            checks[field] = (column, what)
    typed = frame.select(exprs).collect()
    rows, more = _problems(typed, table, checks)
    if rows:
        raise ExportError(table.file, f"{len(rows) + more} row(s) do not parse", rows=rows,
                          more=more)
    typed = typed.drop([f"__ok_{name}" for name in checks])
    return _finish(typed, table, mapping)


_DISTINCT_LIMIT: Final = 10_000
"""Up to this many distinct values, a column is normalised once a value, not once a row."""


def _normalised(frame: pl.DataFrame, column: str, normalise: pl.Expr) -> pl.Expr:
    """``normalise`` (an expression on ``column``) applied to the column, as categories.

    A column of few distinct values (kinds, currencies) is normalised on those values and
    mapped back, rather than lowercasing or uppercasing a million strings.
    """
    import polars as pl

    distinct = frame.select(pl.col(column).unique().drop_nulls())
    if distinct.height > _DISTINCT_LIMIT:
        return normalise.cast(pl.Categorical)
    done = distinct.select(pl.col(column), normalise.alias("__normal"))
    mapping = dict(zip(done[column].to_list(), done["__normal"].to_list(), strict=True))
    return pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.Categorical)


def _finish(frame: pl.DataFrame, table: RawTable, mapping: SourceMapping) -> pl.DataFrame:
    """Defaults for the optional columns, kinds by the mapping, duplicates refused."""
    import polars as pl

    if table.kind in ("transactions", "balances"):
        if "currency" in frame.columns:
            currency = _normalised(frame, "currency", pl.col("currency").str.to_uppercase())
        else:
            currency = pl.lit(None, pl.String).cast(pl.Categorical)
        frame = frame.with_columns(
            currency.fill_null(pl.lit(mapping.currency, pl.String).cast(pl.Categorical))
            .alias("currency"),
            pl.col("account").cast(pl.Categorical))
    if table.kind == "transactions":
        if "kind" in frame.columns:
            lowered = pl.col("kind").replace(mapping.kinds).str.to_lowercase()
            kind = _normalised(frame, "kind", pl.when(lowered.is_in(KINDS)).then(lowered)
                               .otherwise(pl.lit("other")))
        else:
            kind = pl.lit(None, pl.String).cast(pl.Categorical)
        frame = frame.with_columns(kind.alias("kind"))
    key = {"transactions": ["id"], "balances": ["account", "month"],
           "accounts": ["account"]}[table.kind]
    if table.kind == "accounts":
        frame = frame.unique(subset=["account", "classification"], keep="first",
                             maintain_order=True)
    # Distinct hashes mean distinct keys: the usual case, tested at a quarter of the cost of
    # counting the keys themselves; equal hashes are then looked at for real duplicates.
    distinct = frame.select(pl.struct(key).hash().n_unique()).item()
    if distinct == frame.height:
        return frame
    duplicated = frame.filter(pl.struct(key).is_duplicated()).sort(ROW)
    if duplicated.height:
        rows = [RowProblem(table.where(r[ROW]), "/".join(key),
                           f"{' '.join(str(r[k]) for k in key)!r} appears more than once")
                for r in duplicated.head(ROWS_SHOWN).iter_rows(named=True)]
        raise ExportError(table.file, f"{duplicated.height} rows repeat a {'/'.join(key)}",
                          rows=rows, more=max(duplicated.height - ROWS_SHOWN, 0))
    return frame
