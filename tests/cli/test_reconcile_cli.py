"""`syncdoctor reconcile` end to end: three exports -> a case -> diagnose and the interview."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from terminal_support import AgentAtPrompts, Screen
from typer.testing import CliRunner

from syncdoctor.casefile import read_case
from syncdoctor.cli.app import app
from syncdoctor.engine.knowledge import default_kb
from syncdoctor.interview import MemoryStore

from support import NOW

pytest.importorskip("polars")

UI = """\
Invoice #;Date;Account;Amount;Currency
INV-0041;31/01/2024;Sales;1.234,56;EUR
INV-0042;15/01/2024;Sales;250,00;EUR
INV-0043;20/01/2024;Sales;99,90;EUR
"""
API = [
    {"id": "INV-0041", "date": "2024-01-31", "account": "Sales", "amount": "1234.56",
     "currency": "EUR"},
    {"id": "INV-0042", "date": "2024-01-15", "account": "Sales", "amount": "250.00",
     "currency": "EUR"},
    {"id": "INV-0043", "date": "2024-01-20", "account": "Sales", "amount": "99.90",
     "currency": "EUR"},
]
MAPPING = """\
sources:
  ui:
    separator: ";"
    numbers: {decimal: ",", thousands: "."}
    dates: "%d/%m/%Y"
    transactions:
      columns: {id: "Invoice #", date: Date, account: Account, amount: Amount,
                currency: Currency}
tolerance: {amount: "0.01"}
"""


def exports(folder: Path) -> list[str]:
    """A sync bug on INV-0042 (the hub holds 205.00) in three exports, and the options."""
    (folder / "ui.csv").write_text(UI, encoding="utf-8")
    (folder / "api.json").write_text(json.dumps({"transactions": API}), encoding="utf-8")
    hub = [dict(row) for row in API]
    hub[1]["amount"] = "205.00"
    (folder / "hub.ndjson").write_text("".join(json.dumps(r) + "\n" for r in hub),
                                       encoding="utf-8")
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return ["reconcile", "--ui", str(folder / "ui.csv"), "--api", str(folder / "api.json"),
            "--hub", str(folder / "hub.ndjson"), "--mapping", str(folder / "mapping.yaml")]


def test_reconcile_then_diagnose_quotes_the_transaction(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    report = tmp_path / "report.md"
    done = CliRunner().invoke(app, [*exports(tmp_path), "--case", str(case), "--out",
                                    str(report)])
    assert done.exit_code == 0, done.output
    assert "INV-0042" in done.output and "sync_bug" in done.output
    facts = read_case(case).facts
    assert facts["txn"] == [{"id": "INV-0042", "app_ui": "250.00", "app_api": "250.00",
                             "hub": "205.00"}]
    assert facts["mismatch.account_name"] == "Sales"
    markdown = report.read_text(encoding="utf-8")
    assert "| INV-0042 |" in markdown
    assert "| Sales | 1 | 45.00 | the sources differ |" in markdown  # the impacted account
    assert "| Sales | 2024-01 | 1584.46 | 1584.46 | 1539.46 | the sources differ |" in markdown
    diagnosed = CliRunner().invoke(app, ["diagnose", str(case), "--format", "json",
                                         "--now", NOW])
    assert diagnosed.exit_code == 0, diagnosed.output
    causes = json.loads(diagnosed.output)["causes"]
    assert causes[0]["id"] == "sync_bug"
    assert '"Invoice" and "INV-0042"' in causes[0]["remediation"]


def test_the_interview_reads_the_case_and_quotes_the_transaction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = tmp_path / "case.yaml"
    assert CliRunner().invoke(app, [*exports(tmp_path), "--case", str(case)]).exit_code == 0
    screen = Screen()
    title = default_kb().pack("impac").playbook.causes["sync_bug"].title
    agent = AgentAtPrompts(screen, "impac", {}, frozenset({title}))
    monkeypatch.setattr("sys.stdin", agent)
    monkeypatch.setattr("sys.stdout", screen)
    store = MemoryStore()
    monkeypatch.setattr("syncdoctor.interview.open_store", lambda url=None: store)
    try:
        app(["interview", "--case", str(case), "--store", "memory:", "--now", NOW],
            standalone_mode=False)
    except SystemExit as done:
        assert done.code in (0, None)
    out = screen.getvalue()
    assert "Traceback" not in out
    assert '"Invoice" and "INV-0042"' in out
    assert "Fixed:" in out


def test_a_second_run_replaces_its_facts_and_keeps_the_others(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("title: Ticket 81\npack: impac\nfacts:\n  org.group_id: cld-4f2a\n"
                    "  txn: [{id: OLD, app_ui: 1, app_api: 1, hub: 2}]\n", encoding="utf-8")
    assert CliRunner().invoke(app, [*exports(tmp_path), "--case", str(case)]).exit_code == 0
    again = read_case(case)
    assert again.title == "Ticket 81"
    assert again.facts["org.group_id"] == "cld-4f2a"
    assert [r["id"] for r in again.facts["txn"]] == ["INV-0042"]


def test_json_output_gives_counts_and_facts(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, [*exports(tmp_path), "--format", "json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert body["found"] == 1 and body["counts"]["sync_bug"] == 1
    assert body["facts"]["mismatch.txn_differing"] == 1


def test_a_bad_row_is_one_message_at_file_and_line(tmp_path: Path) -> None:
    args = exports(tmp_path)
    (tmp_path / "ui.csv").write_text(UI.replace("250,00", "250.00.0"), encoding="utf-8")
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 2
    assert f"{tmp_path / 'ui.csv'}:3: Amount: not a number" in done.output
    assert "Traceback" not in done.output


@pytest.mark.parametrize("broken", ["mapping", "missing", "garbage"])
def test_bad_files_are_clear_errors(tmp_path: Path, broken: str) -> None:
    args = exports(tmp_path)
    if broken == "mapping":
        (tmp_path / "mapping.yaml").write_text("sources: {ui: {separator: ';;'}}\n",
                                               encoding="utf-8")
        expected = "mapping.yaml:1:"
    elif broken == "missing":
        (tmp_path / "hub.ndjson").unlink()
        expected = "hub.ndjson"
    else:
        (tmp_path / "api.json").write_bytes(b"\x00\x01 not json")
        expected = "api.json"
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 2, done.output
    assert expected in done.output
    assert "Traceback" not in done.output


def test_without_polars_the_command_names_the_extra(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['polars'] = None; "
            "from syncdoctor.cli.app import app; app(sys.argv[1:])")
    done = subprocess.run([sys.executable, "-c", code, *exports(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "pip install 'syncdoctor[reconcile]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_progress_bar_shows_only_past_its_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import time

    from rich.console import Console

    from syncdoctor.cli import reconcile as command

    quick = io.StringIO()
    with command._progress(Console(file=quick, force_terminal=True), 2) as step:
        step("reading ui")
    assert quick.getvalue().strip() == ""  # done within the second: nothing shown
    monkeypatch.setattr(command, "PROGRESS_AFTER", 0.01)
    slow = io.StringIO()
    with command._progress(Console(file=slow, force_terminal=True), 2) as step:
        step("reading ui")
        time.sleep(0.3)
        step("comparing transactions and balances")
        time.sleep(0.3)
    assert "comparing transactions" in slow.getvalue()
