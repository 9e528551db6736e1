"""Writing a reconciliation's facts into a case file that ``diagnose`` and the interview read.

An existing case keeps its other facts, title, clock and expectations: the facts a
reconciliation owns (``txn`` and every ``mismatch.*`` it computes) are replaced whole, so a
second run never leaves a stale record behind. The file is written whole, then renamed into
place, so a reader never sees half of it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import yaml

from syncdoctor.casefile import CASE_FILE_LIMIT, read_case
from syncdoctor.errors import CaseFileError

__all__ = ["write_case"]

HEADER: Final = "# Written by `syncdoctor reconcile`; run `syncdoctor diagnose` on this file.\n"


def _owned(fact: str) -> bool:
    """A fact a reconciliation writes: an older run's value is dropped."""
    return fact == "txn" or fact.startswith("mismatch.")


def write_case(path: Path, facts: Mapping[str, object], title: str) -> None:
    """Write (or update) the case file at ``path`` with the reconciliation's facts.

    Raises:
        CaseFileError: the existing file cannot be read, or the result would be larger than
            a case file may be.
    """
    case: dict[str, object] = {"title": title, "pack": "impac", "facts": {}}
    if path.exists():
        existing = read_case(path)
        case = existing.model_dump(exclude_none=True, exclude_defaults=True, mode="json")
        case.setdefault("title", title)
        case["pack"] = existing.pack or "impac"
        kept = {k: v for k, v in existing.facts.items() if not _owned(k)}
        case["facts"] = {**kept, **facts}
    else:
        case["facts"] = dict(facts)
    if path.suffix.lower() == ".json":
        import json

        text = json.dumps(case, indent=2, ensure_ascii=False) + "\n"
    else:
        text = HEADER + yaml.safe_dump(case, sort_keys=False, allow_unicode=True, width=100)
    if len(text.encode("utf-8")) > CASE_FILE_LIMIT:
        raise CaseFileError(str(path), f"the facts take more than {CASE_FILE_LIMIT} bytes; "
                            "list fewer transactions (--limit)")
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
