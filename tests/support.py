"""Paths and constants shared by the tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
NOW = "2024-05-01T12:00:00Z"


def reply(question: dict) -> dict:
    """A scripted user: a plausible answer of the question's type; records are skipped.

    An integer is 100: within the range of every integer fact of the bundled KB (an HTTP status
    is at least 100, Sage 300's attempts at most 100).
    """
    if question["type"] == "records":
        return {"fact": question["fact"], "unknown": True}
    if question["type"] == "bool":
        value: object = True
    elif question["values"]:
        value = question["values"][0]
    else:
        value = {"datetime": "2024-05-01T08:00:00Z", "integer": 100, "decimal": 1,
                 "duration": "1h"}.get(question["type"], "text")
    return {"fact": question["fact"], "value": value}


def synthetic_pack(root: Path, facts: str, whens: Sequence[str]) -> Path:
    """A one-step pack ``synthetic`` written under ``root``; returns ``root``.

    ``facts``: the lines of its facts map (YAML, indented two spaces); ``whens``: one condition
    per rule (YAML flow), rule ``r0000`` concluding cause ``c0`` and so on.
    """
    for folder in ("facts", "rules", "playbooks"):
        (root / folder).mkdir()
    (root / "facts" / "synthetic.yaml").write_text("pack: synthetic\nfacts:\n" + facts)
    rules = "".join(f"  - {{id: r{j:04d}, step: s, cause: c{j}, when: {when}, because: x}}\n"
                    for j, when in enumerate(whens))
    (root / "rules" / "synthetic.yaml").write_text("pack: synthetic\nrules:\n" + rules)
    causes = "".join(f"  c{j}: {{title: C{j}, step: s, remediation: r}}\n"
                     for j in range(len(whens)))
    (root / "playbooks" / "synthetic.yaml").write_text(
        "id: synthetic\ntitle: S\nsteps: [{id: s, title: S}]\ncauses:\n" + causes)
    return root


CANARY_TOKEN = "canary-7f3a9c21d4e8b6"
"""The token the collectors' tests send: it must never come back out of syncdoctor."""
