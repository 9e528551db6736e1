"""Measure: how many error-corpus texts get their cause from the text itself, per pack.

Usage: python bench/corpus.py [--rules DIR] [--json]

Reads the ``corpus:`` entries of the test files in DIR (default: the bundled ``rules/``) and
diagnoses each text as a pasted message is, without naming the pack, on the knowledge base of
the Python that runs this script. Only the public ``diagnose`` is used, so an older checkout's
interpreter can run the same corpus for a before/after figure:

    /path/to/old/.venv/bin/python bench/corpus.py --rules rules

Per pack it prints: texts; routed (the text went to its pack, or, for a text that names no
integration, the pack was offered); cause_from_text (routed, and a cause at certainty 0.5 or more
holds in that pack on the text: the catch-all rules stay below).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from syncdoctor import diagnose

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
THRESHOLD = 0.5


def _texts(rules: Path) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(rules.glob("*.test.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.extend((data["pack"], entry) for entry in data.get("corpus") or [])
    return out


def _measure(pack: str, entry: dict[str, Any]) -> tuple[bool, bool]:
    facts = {**(entry.get("facts") or {}), entry.get("fact") or "error.message": entry["text"]}
    result = diagnose(facts, now=entry.get("now") or NOW)
    if result.pack is not None:
        if result.pack != pack or entry.get("routes") == "ask":
            return False, False
        return True, any(c.certainty >= THRESHOLD for c in result.causes)
    mine = next((c for c in result.pack_choices if c.id == pack), None)
    if entry.get("routes") != "ask" or mine is None or not getattr(mine, "likely", True):
        return False, False
    return True, any(c.certainty >= THRESHOLD for c in getattr(mine, "causes", []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=Path(__file__).parent.parent / "rules")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures: dict[str, dict[str, int]] = {}
    for pack, entry in _texts(args.rules):
        routed, strong = _measure(pack, entry)
        row = figures.setdefault(pack, {"texts": 0, "routed": 0, "cause_from_text": 0})
        row["texts"] += 1
        row["routed"] += routed
        row["cause_from_text"] += strong
    total = {k: sum(r[k] for r in figures.values()) for k in ("texts", "routed", "cause_from_text")}
    if args.json:
        print(json.dumps({"packs": figures, "total": total}, indent=2, sort_keys=True))
    else:
        for pack, row in sorted(figures.items()):
            print(f"{pack:18} {row['texts']:3} texts  {row['routed']:3} routed  "
                  f"{row['cause_from_text']:3} cause from the text")
        print(f"{'total':18} {total['texts']:3} texts  {total['routed']:3} routed  "
              f"{total['cause_from_text']:3} cause from the text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
