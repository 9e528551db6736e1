"""The column mapping of `syncdoctor reconcile` (``--mapping m.yaml``), checked like the KB.

A mapping says, for each source (``ui``, ``api``, ``hub``, and the optional ``report``), how
its exports read: which column holds which field of a transaction, a monthly account balance
or an account's classification; how numbers and dates are written ("1.234,56", "31/01/2024");
and, for the whole reconciliation, the tolerances and the currency rates. Every field has a
default, so a source whose columns already bear the canonical names needs no mapping at all.

Formats are explicit, never sniffed per value: a number or a date that does not match the
declared format is a bad row, reported at its file and line.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from syncdoctor.errors import KnowledgeBaseError, Problem
from syncdoctor.importers.errors import ExportError
from syncdoctor.kb.problems import field_names, validation_problems
from syncdoctor.kb.yamlfile import load_yaml_file

__all__ = [
    "KINDS",
    "SOURCES",
    "AccountColumns",
    "AccountTable",
    "BalanceColumns",
    "BalanceTable",
    "MappingFile",
    "Numbers",
    "SourceMapping",
    "TableMapping",
    "TransactionColumns",
    "TransactionTable",
    "load_mapping",
]

SOURCES: Final = ("ui", "api", "hub", "report")
"""The application's UI report, its API dump, the hub's dump, and the dashboard's figures."""
KINDS: Final = ("invoice", "journal", "payment", "other")
"""The transaction kinds the impac pack's ``txn`` records know."""
Column = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
_DIRECTIVES: Final = re.compile(r"%[^YmdbByHMSfzZ%-]")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TransactionColumns(_Model):
    """The file's column for each transaction field (currency and kind may be absent)."""

    id: Column = Field(default="id", description="The transaction's id or number.")
    date: Column = Field(default="date", description="Its date.")
    account: Column = Field(default="account", description="The account it is posted to.")
    amount: Column = Field(default="amount", description="Its amount.")
    currency: Column = Field(default="currency",
                             description="Its currency code; optional in the file.")
    kind: Column = Field(default="kind", description="invoice, journal, payment or other; "
                         "optional in the file.")


class BalanceColumns(_Model):
    """The file's column for each field of an account's balance in a month."""

    account: Column = Field(default="account", description="The account.")
    month: Column = Field(default="month", description="The month (see the source's months).")
    balance: Column = Field(default="balance", description="The account's balance that month.")
    currency: Column = Field(default="currency", description="Optional in the file.")


class AccountColumns(_Model):
    """The file's column for each field of an account's classification."""

    account: Column = Field(default="account", description="The account.")
    classification: Column = Field(default="classification",
                                   description="Its classification, e.g. Current Asset.")


class TableMapping(_Model):
    """Where one kind of table sits in a source's files."""

    sheet: Column | None = Field(
        default=None, description="XLSX: the sheet's name (default: the kind's name, or the "
        "only sheet whose header holds the columns).")
    key: Column | None = Field(
        default=None, description="JSON whose root is an object: the key of the array of "
        "records (default: the kind's name).")


class TransactionTable(TableMapping):
    """The transactions' place and columns."""

    columns: TransactionColumns = Field(default_factory=TransactionColumns,
                                        description="Field -> the file's column name.")


class BalanceTable(TableMapping):
    """The monthly balances' place and columns."""

    columns: BalanceColumns = Field(default_factory=BalanceColumns,
                                    description="Field -> the file's column name.")


class AccountTable(TableMapping):
    """The classifications' place and columns."""

    columns: AccountColumns = Field(default_factory=AccountColumns,
                                    description="Field -> the file's column name.")


class Numbers(_Model):
    """How amounts are written: "1.234,56" is decimal ',' and thousands '.'."""

    decimal: Literal[".", ","] = Field(default=".", description="The decimal mark.")
    thousands: Literal["", ",", ".", " ", "'"] = Field(
        default="", description="The grouping mark, checked in threes (a space also matches "
        "a no-break space); '' for none.")
    parentheses: bool = Field(default=False,
                              description="Whether (12.50) means -12.50, as accountants write.")

    @model_validator(mode="after")
    def _distinct(self) -> Numbers:
        if self.decimal == self.thousands:
            raise ValueError(f"the decimal and thousands marks are both {self.decimal!r}")
        return self


def _date_format(text: str) -> str:
    if "%" not in text or _DIRECTIVES.search(text):
        raise ValueError("expected a strftime format (%Y %m %d %b %B %y %H %M %S %f %z), "
                         f"e.g. '%d/%m/%Y'; got {text!r}")
    return text


DateFormat = Annotated[str, StringConstraints(max_length=40)]


class SourceMapping(_Model):
    """One source's exports: their format, how values are written, and their tables."""

    label: str | None = Field(default=None, max_length=200,
                              description="A name for reports, e.g. 'Xero UI'.")
    format: Literal["csv", "json", "ndjson", "xlsx"] | None = Field(
        default=None, description="The files' format (default: from the file name's suffix).")
    separator: Annotated[str, StringConstraints(min_length=1, max_length=1)] = Field(
        default=",", description="CSV: the field separator, e.g. ';'.")
    numbers: Numbers = Field(default_factory=Numbers, description="How amounts are written.")
    dates: DateFormat = Field(default="%Y-%m-%d", description="strftime format of dates.")
    months: DateFormat = Field(default="%Y-%m", description="strftime format of balance months "
                               "(a format with a day reads that day's month).")
    currency: Currency | None = Field(
        default=None, description="The currency of amounts in files without a currency column.")
    transactions: TransactionTable = Field(
        default_factory=TransactionTable,
        description="Transactions: id, date, account, amount, currency, kind.")
    balances: BalanceTable = Field(
        default_factory=BalanceTable,
        description="Account balances by month: account, month, balance, currency.")
    accounts: AccountTable = Field(
        default_factory=AccountTable,
        description="Account classifications: account, classification.")
    kinds: dict[Annotated[str, StringConstraints(max_length=200)],
                Literal["invoice", "journal", "payment", "other"]] = Field(
        default_factory=dict, description="The file's kind value -> invoice, journal, payment "
        "or other (values already among those need no entry; any other is 'other').")

    _check_dates = field_validator("dates", "months")(_date_format)


class Tolerance(_Model):
    """When two amounts count as the same."""

    amount: Decimal = Field(default=Decimal(0), ge=0, description="Absolute difference allowed "
                            "for rounding, e.g. 0.01.")
    fx_relative: Decimal = Field(
        default=Decimal(0), ge=0, le=1, description="Extra difference allowed, as a fraction of "
        "the amount, when two sources hold it in different currencies (converted with rates).")


class Rates(_Model):
    """Currency rates to one base currency, for sources holding different currencies."""

    base: Currency | None = Field(default=None, description="The currency amounts are "
                                  "compared in.")
    rates: dict[Currency, Annotated[Decimal, Field(gt=0)]] = Field(
        default_factory=dict, description="Currency -> the base-currency value of one unit.")


class MappingFile(_Model):
    """A reconciliation's mapping: each source's exports, the tolerances, the rates."""

    sources: dict[Literal["ui", "api", "hub", "report"], SourceMapping] = Field(
        default_factory=dict, description="Source -> how its exports read (defaults for any "
        "source not named).")
    tolerance: Tolerance = Field(default_factory=Tolerance, description="Rounding tolerances.")
    currency: Rates = Field(default_factory=Rates, description="Base currency and rates.")

    def source(self, name: str) -> SourceMapping:
        """The mapping of one source (the defaults when the file does not name it)."""
        found = self.sources.get(name)  # type: ignore[call-overload]
        return found if found is not None else SourceMapping()


_KEYS: Final = field_names(MappingFile, SourceMapping, Tolerance, Rates, Numbers,
                           TransactionColumns, BalanceColumns, AccountColumns) | {
    "columns", "sheet", "key"}


def load_mapping(path: Path | None) -> MappingFile:
    """The mapping in ``path`` (the defaults when None), every mistake at file:line:col.

    Raises:
        ExportError: the file cannot be read, is not YAML, or has the wrong shape.
    """
    if path is None:
        return MappingFile()
    try:
        located = load_yaml_file(path, str(path))
    except KnowledgeBaseError as error:
        raise ExportError(str(path), "the mapping cannot be read", error.problems) from None
    data = {} if located.data is None else located.data
    try:
        return MappingFile.model_validate(data)
    except ValidationError as error:
        problems: list[Problem] = validation_problems(located, error, _KEYS, model=MappingFile)
        count = len(problems)
        raise ExportError(str(path), f"{count} problem{'s' if count != 1 else ''} in the "
                          "mapping", problems) from None
