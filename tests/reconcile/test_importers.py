"""The importers: formats, locales, mappings, and bad rows reported at file:line."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from reconcile_support import txn, write_csv, write_json, write_ndjson

from syncdoctor.importers import ExportError, load_mapping, read_source
from syncdoctor.importers.mapping import MappingFile

pl = pytest.importorskip("polars")

LOCALE = """\
sources:
  ui:
    separator: ";"
    numbers: {decimal: ",", thousands: ".", parentheses: true}
    dates: "%d/%m/%Y"
    kinds: {ACCREC: invoice, MJ: journal}
    transactions:
      columns: {id: "Invoice #", date: Date, account: Account, amount: Amount,
                currency: Currency, kind: Type}
"""


def _mapping(tmp_path: Path, text: str) -> MappingFile:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(path)


def _ui(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "ui.csv"
    path.write_text("Invoice #;Date;Account;Amount;Currency;Type\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    return path


def test_locale_numbers_and_dates_are_read_by_the_declared_formats(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, LOCALE)
    path = _ui(tmp_path, ["INV-1;31/01/2024;Sales;1.234,56;eur;ACCREC",
                          "INV-2;01/02/2024;Sales;(10,5);EUR;MJ",
                          "INV-3;29/02/2024;Sales;-1.000.000;EUR;Credit note",
                          "INV-4;01/03/2024;Sales;0,000001;EUR;"])
    frame = read_source("ui", [path], mapping.source("ui")).transactions
    assert frame is not None
    assert frame["amount"].to_list() == [1_234_560_000, -10_500_000, -1_000_000_000_000, 1]
    assert frame["date"].to_list() == [datetime.date(2024, 1, 31), datetime.date(2024, 2, 1),
                                       datetime.date(2024, 2, 29), datetime.date(2024, 3, 1)]
    assert frame["currency"].to_list() == ["EUR"] * 4
    assert frame["kind"].to_list() == ["invoice", "journal", "other", None]


@pytest.mark.parametrize(("amount", "why"), [
    ("1.23", "a dot groups thousands, in threes"),
    ("1,234.56", "the English spelling under a ',' decimal"),
    ("12.34,5", "thousands not in threes"),
    ("1,0000001", "finer than a millionth"),
    ("", "empty"),
    ("12 EUR", "a unit inside the number"),
])
def test_a_malformed_amount_is_reported_at_its_line_never_guessed(
        tmp_path: Path, amount: str, why: str) -> None:
    mapping = _mapping(tmp_path, LOCALE)
    path = _ui(tmp_path, ["INV-1;31/01/2024;Sales;1,00;EUR;",
                          f"INV-2;31/01/2024;Sales;{amount};EUR;"])
    with pytest.raises(ExportError) as caught:
        read_source("ui", [path], mapping.source("ui"))
    (row,) = caught.value.rows
    assert row.where == f"{path}:3", why
    assert row.field == "Amount"
    assert "decimal ','" in row.message


def test_without_a_thousands_mark_a_dot_is_not_read_as_one(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, LOCALE.replace('thousands: ".", ', ""))
    path = _ui(tmp_path, ["INV-1;31/01/2024;Sales;1.234;EUR;"])
    with pytest.raises(ExportError) as caught:
        read_source("ui", [path], mapping.source("ui"))
    assert caught.value.rows[0].where == f"{path}:2"


def test_a_date_not_in_the_declared_format_is_a_bad_row(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, LOCALE)
    path = _ui(tmp_path, ["INV-1;2024-01-31;Sales;1,00;EUR;", "INV-2;31/13/2024;Sales;1;EUR;",
                          "INV-3;31/01/2024;;1;EUR;"])
    with pytest.raises(ExportError) as caught:
        read_source("ui", [path], mapping.source("ui"))
    rendered = caught.value.render()
    assert f"{path}:2: Date: not a date of the format '%d/%m/%Y'; got '2024-01-31'" in rendered
    assert f"{path}:3: Date:" in rendered
    assert f"{path}:4: Account: no value" in rendered
    assert "Traceback" not in rendered


def test_many_bad_rows_are_listed_up_to_twenty_and_counted(tmp_path: Path) -> None:
    rows = [txn(f"T{i}", "x") for i in range(30)]
    path = write_csv(tmp_path / "ui.csv", rows)
    with pytest.raises(ExportError) as caught:
        read_source("ui", [path], MappingFile().source("ui"))
    assert len(caught.value.rows) == 20
    assert caught.value.more == 10
    assert "and 10 more rows" in caught.value.render()


def test_ndjson_lines_and_json_indexes_locate_bad_records(tmp_path: Path) -> None:
    ndjson = write_ndjson(tmp_path / "api.ndjson", [txn("A", "1"), txn("B", "1.5.0")])
    with pytest.raises(ExportError) as caught:
        read_source("api", [ndjson], MappingFile().source("api"))
    assert caught.value.rows[0].where == f"{ndjson}:2"
    document = {"transactions": [txn("A", "1"), txn("B", "1"), {**txn("C", "2"), "date": "x"}]}
    hub = write_json(tmp_path / "hub.json", document)
    with pytest.raises(ExportError) as caught:
        read_source("hub", [hub], MappingFile().source("hub"))
    assert caught.value.rows[0].where == f"{hub}:$.transactions[2]"


def test_json_numbers_and_an_object_of_tables(tmp_path: Path) -> None:
    document = {
        "transactions": [{"id": "A", "date": "2024-01-02", "account": "Sales", "amount": 12.5},
                         {"id": "B", "date": "2024-01-03", "account": "Sales", "amount": -3}],
        "accounts": [{"account": "Sales", "classification": "Revenue"}],
        "balances": [{"account": "Sales", "month": "2024-01", "balance": "9.5"}],
    }
    source = read_source("api", [write_json(tmp_path / "api.json", document)],
                         MappingFile().source("api"))
    assert source.transactions is not None and source.accounts is not None
    assert source.balances is not None
    assert source.transactions["amount"].to_list() == [12_500_000, -3_000_000]
    assert source.transactions["currency"].to_list() == [None, None]
    assert source.accounts.row(0) == ("Sales", "Revenue")
    assert source.balances.row(0)[:3] == ("Sales", datetime.date(2024, 1, 1), 9_500_000)


def test_a_json_array_is_one_table_recognised_by_its_columns(tmp_path: Path) -> None:
    path = write_json(tmp_path / "hub.json", [{"account": "Bank", "classification": "Asset"}])
    source = read_source("hub", [path], MappingFile().source("hub"))
    assert source.transactions is None
    assert source.accounts is not None and source.accounts.height == 1


def test_xlsx_sheets_with_date_cells_and_text_cells(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "ui.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Transactions")
    sheet.write_row(0, 0, ["Invoice #", "Date", "Account", "Amount"])
    sheet.write_row(1, 0, ["INV-1", datetime.date(2024, 1, 31), "Sales", 1234.56])
    sheet.write_row(2, 0, ["INV-2", "01/02/2024", "Sales", "1.234,56"])
    chart = book.add_worksheet("Chart of accounts")
    chart.write_row(0, 0, ["Account", "Type"])
    chart.write_row(1, 0, ["Sales", "Revenue"])
    book.add_worksheet("Notes").write_row(0, 0, ["anything"])
    book.close()
    mapping = _mapping(tmp_path, """\
sources:
  ui:
    dates: "%d/%m/%Y"
    transactions:
      columns: {id: "Invoice #", date: Date, account: Account, amount: Amount}
    accounts:
      columns: {account: Account, classification: Type}
""")
    with pytest.raises(ExportError) as caught:  # 1234.56 and "1.234,56": one format only
        read_source("ui", [path], mapping.source("ui"))
    assert caught.value.rows[0].where == f"{path}[Transactions]:3"
    sheet_ok = tmp_path / "ok.xlsx"
    book = xlsxwriter.Workbook(str(sheet_ok))
    sheet = book.add_worksheet("Transactions")
    sheet.write_row(0, 0, ["Invoice #", "Date", "Account", "Amount"])
    sheet.write_row(1, 0, ["INV-1", datetime.date(2024, 1, 31), "Sales", 1234.56])
    sheet.write_row(2, 0, ["INV-2", "01/02/2024", "Sales", "-7.5"])
    book.close()
    source = read_source("ui", [sheet_ok], mapping.source("ui"))
    assert source.transactions is not None
    assert source.transactions["date"].to_list() == [datetime.date(2024, 1, 31),
                                                     datetime.date(2024, 2, 1)]
    assert source.transactions["amount"].to_list() == [1_234_560_000, -7_500_000]


def test_a_repeated_id_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ui.csv", [txn("A", "1"), txn("B", "1"), txn("A", "2")])
    with pytest.raises(ExportError) as caught:
        read_source("ui", [path], MappingFile().source("ui"))
    assert [row.where for row in caught.value.rows] == [f"{path}:2", f"{path}:4"]


def test_a_file_with_no_known_columns_names_what_it_wanted(tmp_path: Path) -> None:
    path = tmp_path / "ui.csv"
    path.write_text("Number,When,Total\n1,2024-01-01,3\n", encoding="utf-8")
    with pytest.raises(ExportError) as caught:
        read_source("ui", [path], MappingFile().source("ui"))
    message = str(caught.value)
    assert "'Number', 'When', 'Total'" in message and "--mapping" in message


@pytest.mark.parametrize("name", ["ui.xml", "missing.csv"])
def test_an_unknown_suffix_or_a_missing_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".xml"):
        path.write_text("<x/>", encoding="utf-8")
    with pytest.raises(ExportError):
        read_source("ui", [path], MappingFile().source("ui"))


def test_a_broken_json_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "api.json"
    path.write_text('[{"id": "A", "amount": ', encoding="utf-8")
    with pytest.raises(ExportError, match="cannot read it as json"):
        read_source("api", [path], MappingFile().source("api"))


def test_mapping_mistakes_are_located_with_suggestions(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("sources:\n  ui:\n    numbers: {decimal: ',', thousands: ','}\n"
                    "    transactions:\n      columns: {amont: Amount}\n  hubb: {}\n"
                    "tolerance: {amount: -1}\n", encoding="utf-8")
    with pytest.raises(ExportError) as caught:
        load_mapping(path)
    headlines = [problem.headline() for problem in caught.value.problems]
    assert any(h.startswith(f"{path}:3:") and "both ','" in h for h in headlines), headlines
    assert any(h.startswith(f"{path}:5:") and "did you mean 'amount'" in h for h in headlines)
    assert any(h.startswith(f"{path}:6:") for h in headlines), headlines
    assert any(h.startswith(f"{path}:7:") for h in headlines), headlines


def test_several_files_of_one_source_are_one_table(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", [txn("A", "1")])
    second = write_ndjson(tmp_path / "b.ndjson", [txn("B", "2")])
    source = read_source("ui", [first, second], MappingFile().source("ui"))
    assert source.transactions is not None
    assert sorted(source.transactions["id"].to_list()) == ["A", "B"]
    again = write_csv(tmp_path / "c.csv", [txn("A", "1")])
    with pytest.raises(ExportError, match="more than one file"):
        read_source("ui", [first, again], MappingFile().source("ui"))


@pytest.mark.parametrize(("name", "text"), [
    ("ui.csv", "id,date,account,amount\nA,2024-01-01,Sales,1\nB,2024-01-01,Sales,1,x,y\n"),
    ("api.ndjson", '{"id": "A", "date": "2024-01-01", "account": "S", "amount": "1"}\n'
                   "{not json\n"),
])
def test_a_malformed_row_of_a_scanned_file_names_the_file(tmp_path: Path, name: str,
                                                          text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExportError, match="cannot read it") as caught:
        read_source("ui", [path], MappingFile().source("ui"))
    assert caught.value.file == str(path)


def test_xlsx_monthly_balances_from_date_cells_and_text(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "hub.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Accounts Summary")
    sheet.write_row(0, 0, ["Account", "Month", "Balance"])
    sheet.write_row(1, 0, ["Sales", datetime.date(2024, 1, 31), "1.234,50"])
    sheet.write_row(2, 0, ["Sales", "2024-02", "-10"])
    book.close()
    mapping = _mapping(tmp_path, """\
sources:
  hub:
    numbers: {decimal: ",", thousands: "."}
    balances:
      columns: {account: Account, month: Month, balance: Balance}
""")
    source = read_source("hub", [path], mapping.source("hub"))
    assert source.balances is not None
    assert source.balances.select("month", "balance").rows() == [
        (datetime.date(2024, 1, 1), 1_234_500_000), (datetime.date(2024, 2, 1), -10_000_000)]


@pytest.mark.parametrize(("name", "data", "said"), [
    ("api.ndjson", b'{"id": "A", "date": "2024-01-01", "account": "S", "amount": "1"}\n'
                   b'{"id": "B", "date": "2024-01-01"\n',
     "line 2, column 33: Expecting ',' delimiter: the text ends before the record does"),
    ("api.ndjson", b'{"id": "A", "date": "2024-01-01", "account": "S", "amount": "1"}\n[1]\n',
     "line 2 holds an array, not a JSON object"),
    ("hub.json", b'[{"id": "A", "date": "2024-01-01", "account": "S", "amount": "1"},\n]',
     "line 2, column 1: a comma before ']' with nothing after it"),
    ("ui.csv", b"id,date,account,amount\nA,2024-01-01,Caf\xe9,1\n",
     "line 2, column 17: byte 0xe9 is not UTF-8"),
    ("ui.csv", b'id,date,account,amount\nA,2024-01-01,"Sales,1\nB,2024-01-01,Sales,2\n',
     "line 2: a quoted field opened there is never closed"),
    ("ui.csv", b"id,date,account,amount\nA,2024-01-01,Sales,1\nB,2024-01-01,Sales,1,x,y\n",
     "line 3 has 6 fields where the header has 4"),
    ("ui.csv", b"\xef\xbb\xbfid,d\xe9te,account,amount\n", "line 1, column 5: byte 0xe9"),
    ("ui.csv", "id,date,account,amount\n".encode("utf-16"), "the export is UTF-16"),
    ("api.ndjson", b'{"id": "A", "date": "2024-01-01", "account": "S", "amount": NaN}\n',
     "line 1: NaN is not JSON"),
    ("hub.json", b"[" * 100_000 + b"]" * 100_000, "cannot read it as json"),
    ("ui.xlsx", b"id,date,account,amount\n", "it is not an Excel workbook"),
])
def test_an_unreadable_export_is_explained_at_its_line_and_column(
        tmp_path: Path, name: str, data: bytes, said: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ExportError) as caught:
        read_source("ui", [path], MappingFile().source("ui"))
    assert said in str(caught.value), str(caught.value)
    assert caught.value.file == str(path)


def test_a_mapping_key_in_the_wrong_place_is_not_told_to_be_itself(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text("columns:\n  amount: total\nsources:\n  uii: {}\n", encoding="utf-8")
    with pytest.raises(ExportError) as caught:
        load_mapping(path)
    headlines = [problem.headline() for problem in caught.value.problems]
    assert any(h.startswith(f"{path}:1:1") and "unknown key 'columns'" in h for h in headlines)
    assert not any("did you mean 'columns'" in h for h in headlines), headlines
    assert any(h.startswith(f"{path}:4:3") and "did you mean 'ui'" in h for h in headlines)
