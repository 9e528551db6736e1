"""The worked example of docs/agents.md (docs/examples/reconcile/) runs as the page says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syncdoctor.cli.app import app

from support import NOW, REPO

pytest.importorskip("polars")

EXAMPLE = REPO / "docs" / "examples" / "reconcile"


def test_the_documented_example_finds_the_two_sync_bugs(tmp_path: Path) -> None:
    page = (REPO / "docs" / "agents.md").read_text(encoding="utf-8")
    assert "docs/examples/reconcile/" in page
    case = tmp_path / "ticket.yaml"
    done = CliRunner().invoke(app, [
        "reconcile", "--ui", str(EXAMPLE / "ui.csv"), "--api", str(EXAMPLE / "api.json"),
        "--hub", str(EXAMPLE / "hub.ndjson"), "--mapping", str(EXAMPLE / "mapping.yaml"),
        "--case", str(case), "--format", "json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert body["counts"]["sync_bug"] == 2 and body["found"] == 2
    diagnosed = CliRunner().invoke(app, ["diagnose", str(case), "--format", "json",
                                         "--now", NOW])
    cause = json.loads(diagnosed.output)["causes"][0]
    assert cause["id"] == "sync_bug"
    for invoice in ("INV-0042", "INV-0044"):
        assert f'"Invoice" and "{invoice}"' in cause["remediation"]
