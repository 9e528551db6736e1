"""Each discrepancy's class, tolerances and currencies, and the facts the impac rules read."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from reconcile_support import Row, txn, write_csv

from syncdoctor import diagnose
from syncdoctor.importers.mapping import MappingFile
from syncdoctor.reconcile import SUMMARY_FACT, Reconciliation, reconcile_files

from support import NOW

pytest.importorskip("polars")


def run(tmp_path: Path, ui: list[Row], api: list[Row], hub: list[Row],
        report: list[Row] | None = None, mapping: MappingFile | None = None,
        limit: int = 10_000) -> Reconciliation:
    files = {name: [write_csv(tmp_path / f"{name}.csv", rows)]
             for name, rows in (("ui", ui), ("api", api), ("hub", hub))}
    if report is not None:
        files["report"] = [write_csv(tmp_path / "report.csv", report,
                                     ("account", "month", "balance"))]
    return reconcile_files(files, mapping or MappingFile(), limit)


def classes(result: Reconciliation) -> dict[str, str]:
    return dict(result.discrepancies.select("id", "class").iter_rows())


BASE = [txn("A", "10.00"), txn("B", "20.00"), txn("C", "30.00", kind="journal")]


def test_agreeing_sources_have_no_discrepancy(tmp_path: Path) -> None:
    result = run(tmp_path, BASE, BASE, BASE)
    assert result.found == 0 and result.periods.height == 0
    assert result.facts == {"mismatch.amount_tolerance": "0", SUMMARY_FACT: 0}


def test_each_branch_of_the_article(tmp_path: Path) -> None:
    ui = [*BASE, txn("D", "5"), txn("E", "7"), txn("F", "1")]
    api = [txn("A", "11.00"), BASE[1], BASE[2], txn("D", "5"), txn("E", "7"), txn("F", "2")]
    hub = [txn("A", "11.00"), txn("B", "21.00"), BASE[2], txn("D", "5"), txn("G", "4"),
           txn("F", "3")]
    result = run(tmp_path, ui, api, hub)
    assert classes(result) == {"A": "app_bug", "B": "sync_bug", "E": "sync_bug",
                               "F": "app_and_sync", "G": "one_source"}
    details = dict(result.discrepancies.select("id", "detail").iter_rows())
    assert details["E"] == "absent from the hub"
    assert details["G"] == "absent from the UI; absent from the API"
    assert result.counts == {"app_bug": 1, "sync_bug": 2, "app_and_sync": 1, "one_source": 1,
                             "report_generation": 0}


def test_a_transaction_filed_elsewhere_counts_nothing_where_the_ui_files_it(
        tmp_path: Path) -> None:
    moved = [txn("A", "10.00"), txn("B", "20.00", account="Other income"),
             txn("C", "30.00", kind="journal", date="2024-02-01")]
    result = run(tmp_path, BASE, BASE, moved)
    assert classes(result) == {"B": "sync_bug", "C": "sync_bug"}
    details = dict(result.discrepancies.select("id", "detail").iter_rows())
    assert details == {"B": "the hub files it under Other income",
                       "C": "the hub dates it 2024-02-01"}
    records = {r["id"]: r for r in result.facts["txn"]}  # type: ignore[attr-defined]
    assert records["B"] == {"id": "B", "kind": "invoice", "app_ui": "20.00",
                            "app_api": "20.00", "hub": "0.00"}


def test_rounding_within_the_tolerance_agrees_and_is_written_as_one_figure(
        tmp_path: Path) -> None:
    mapping = MappingFile.model_validate({"tolerance": {"amount": "0.01"}})
    ui = [txn("A", "10.004"), txn("B", "20.00")]
    api = [txn("A", "10.00"), txn("B", "20.00")]
    hub = [txn("A", "10.01"), txn("B", "20.02")]
    result = run(tmp_path, ui, api, hub, mapping=mapping)
    assert classes(result) == {"B": "sync_bug"}
    assert result.facts["txn"] == [{"id": "B", "kind": "invoice", "app_ui": "20.00",
                                    "app_api": "20.00", "hub": "20.02"}]
    assert result.facts["mismatch.amount_tolerance"] == "0.01"


def test_currencies_convert_with_rates_and_an_fx_tolerance(tmp_path: Path) -> None:
    mapping = MappingFile.model_validate({
        "tolerance": {"amount": "0.01", "fx_relative": "0.005"},
        "currency": {"base": "EUR", "rates": {"USD": "0.5"}},
    })
    ui = [txn("A", "100.00", currency="USD"), txn("B", "100.00", currency="USD")]
    api = [txn("A", "100.00", currency="USD"), txn("B", "100.00", currency="USD")]
    hub = [txn("A", "50.20", currency="EUR"), txn("B", "52.00", currency="EUR")]
    result = run(tmp_path, ui, api, hub, mapping=mapping)
    assert classes(result) == {"B": "sync_bug"}
    assert result.facts["txn"] == [{"id": "B", "kind": "invoice", "app_ui": "50.00",
                                    "app_api": "50.00", "hub": "52.00"}]


def test_a_currency_without_a_rate_differs(tmp_path: Path) -> None:
    hub = [txn("A", "10.00", currency="USD"), BASE[1], BASE[2]]
    result = run(tmp_path, BASE, BASE, hub)
    assert classes(result) == {"A": "sync_bug"}
    assert result.discrepancies["detail"].to_list() == ["the hub holds it in USD"]


def test_the_report_alone_differing_is_report_generation(tmp_path: Path) -> None:
    report = [{"account": "Sales", "month": "2024-01", "balance": "65.00"}]
    result = run(tmp_path, BASE, BASE, BASE, report=report)
    assert result.found == 0
    assert result.counts["report_generation"] == 1
    facts = result.facts
    assert facts["mismatch.account_name"] == "Sales"
    assert facts["mismatch.period"] == "2024-01"
    assert facts["mismatch.period_app_amount"] == facts["mismatch.period_hub_amount"] == "60.00"
    assert facts["mismatch.widget_amount"] == "65.00"
    diagnosis = diagnose(facts, pack="impac", now=NOW)
    assert diagnosis.cause_ids[0] == "report_generation_bug"


def test_the_impacted_account_and_month_are_the_largest_difference(tmp_path: Path) -> None:
    ui = [txn("A", "10"), txn("B", "20", account="Bank", date="2024-03-03"),
          txn("C", "30", account="Bank", date="2024-04-04")]
    hub = [txn("A", "11"), txn("B", "25", account="Bank", date="2024-03-03"),
           txn("C", "31", account="Bank", date="2024-04-04")]
    result = run(tmp_path, ui, ui, hub)
    assert result.facts["mismatch.account_name"] == "Bank"
    assert result.facts["mismatch.period"] == "2024-03"
    assert result.facts["mismatch.period_app_amount"] == "20.00"
    assert result.facts["mismatch.period_hub_amount"] == "25.00"


def test_classifications_that_differ_become_facts(tmp_path: Path) -> None:
    files = {}
    for name, label in (("ui", "Current Asset"), ("api", "current  asset"), ("hub", "Fixed")):
        files[name] = [write_csv(tmp_path / f"{name}.csv", [txn("A", "1", account="Bank")]),
                       write_csv(tmp_path / f"{name}-accounts.csv",
                                 [{"account": "Bank", "classification": label}],
                                 ("account", "classification"))]
    result = reconcile_files(files, MappingFile())
    assert result.classifications is not None and result.classifications.height == 1
    assert result.facts["mismatch.account_name"] == "Bank"
    assert result.facts["mismatch.classification_hub"] == "Fixed"
    diagnosis = diagnose(result.facts, pack="impac", now=NOW)
    assert "sync_bug" in diagnosis.cause_ids


def test_records_are_bounded_and_the_rest_counted(tmp_path: Path) -> None:
    ui = [txn(f"T{i:03}", "10") for i in range(50)]
    hub = [txn(f"T{i:03}", "9") if i % 2 else txn(f"T{i:03}", "10") for i in range(50)]
    result = run(tmp_path, ui, ui, hub, limit=5)
    assert result.found == 25 and result.listed == 5
    assert len(result.facts["txn"]) == 5  # type: ignore[arg-type]
    assert result.facts[SUMMARY_FACT] == 25
    diagnosis = diagnose(result.facts, pack="impac", now=NOW)
    sync = next(c for c in diagnosis.causes if c.id == "sync_bug")
    assert "20 more transactions that differ" in sync.remediation


def test_the_largest_differences_are_listed_first(tmp_path: Path) -> None:
    ui = [txn("A", "10"), txn("B", "10"), txn("C", "10")]
    hub = [txn("A", "9"), txn("B", "1"), txn("C", "9.5")]
    result = run(tmp_path, ui, ui, hub, limit=2)
    assert [r["id"] for r in result.facts["txn"]] == ["B", "A"]  # type: ignore[attr-defined]


def test_each_class_reaches_its_cause_in_the_impac_rules(tmp_path: Path) -> None:
    ui = [txn("A", "10"), txn("B", "20"), txn("C", "30")]
    api = [txn("A", "11"), txn("B", "20"), txn("C", "31")]
    hub = [txn("A", "11"), txn("B", "21"), txn("C", "32")]
    result = run(tmp_path, ui, api, hub)
    assert classes(result) == {"A": "app_bug", "B": "sync_bug", "C": "app_and_sync"}
    diagnosis = diagnose(result.facts, pack="impac", now=NOW)
    causes = {c.id: c for c in diagnosis.causes}
    assert "A" in causes["app_bug"].remediation
    assert '"Invoice" and "B"' in causes["sync_bug"].remediation
    assert Decimal(str(causes["app_bug"].certainty)) > Decimal("0.9")


def test_ids_sharing_a_hash_are_still_joined_exactly(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import polars as pl

    from syncdoctor.reconcile import compare

    real = compare._source_frame

    def colliding(*args: object, hashed: bool, **kwargs: object) -> pl.LazyFrame:
        frame = real(*args, hashed=hashed, **kwargs)  # type: ignore[arg-type]
        return frame.with_columns(pl.col("key") % 2) if hashed else frame  # every id collides

    monkeypatch.setattr(compare, "_source_frame", colliding)
    ui = [txn("A", "10"), txn("B", "20"), txn("C", "30")]
    hub = [txn("A", "10"), txn("B", "21"), txn("D", "1")]
    result = run(tmp_path, ui, ui, hub)
    assert classes(result) == {"B": "sync_bug", "C": "sync_bug", "D": "one_source"}
