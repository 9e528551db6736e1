"""Writing small exports for the reconciliation tests."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

Row = dict[str, object]
FIELDS = ("id", "date", "account", "amount", "currency", "kind")


def write_csv(path: Path, rows: Sequence[Row], fields: Sequence[str] = FIELDS,
              separator: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields, delimiter=separator, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_ndjson(path: Path, rows: Sequence[Row]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def txn(id_: str, amount: str, account: str = "Sales", date: str = "2024-01-15",
        currency: str = "EUR", kind: str = "invoice") -> Row:
    return {"id": id_, "date": date, "account": account, "amount": amount,
            "currency": currency, "kind": kind}
