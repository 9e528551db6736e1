"""The error corpus beside the rules: real-world error texts and how each must be read.

A test file's ``corpus:`` lists texts in the formats the real systems produce. Each is diagnosed
the way an agent's pasted message is: without naming the pack. It must go to the file's pack
(or, with ``routes: ask``, leave the choice open with that pack among the likely ones), and the
pack must read the facts and causes the entry states.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.errors import SyncdoctorError
from syncdoctor.kb.values import jsonable
from syncdoctor.types import JsonValue

__all__ = ["CORPUS_NOW", "TEXT_CAUSE_CERTAINTY", "CorpusOutcome", "CorpusText", "check_text"]

CORPUS_NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
"""The clock of a corpus text that states no ``now``."""

TEXT_CAUSE_CERTAINTY = 0.5
"""A text "gives its cause" when its pack holds a cause at least this sure from it: the
catch-all rules for a failure the text does not explain stay below (0.30-0.45)."""


class CorpusText(BaseModel):
    """One error text, and how its pack must read it."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The error text, as the system writes it (data, not a template).")
    source: str | None = Field(
        default=None,
        description="Where such a text comes from, e.g. 'Xero API validation error'.",
    )
    fact: str | None = Field(
        default=None,
        description="The text fact the text goes into; by default the pack's message fact "
        "(error.message).",
    )
    facts: dict[str, Any] = Field(
        default_factory=dict, description="Other facts given with the text, as in a case file."
    )
    now: datetime | None = Field(
        default=None, description="The clock; 2024-05-01T12:00:00Z when not given."
    )
    routes: Literal["pack", "ask"] = Field(
        default="pack",
        description="'pack': the text alone picks this file's pack. 'ask': the text names no "
        "integration; the pack must still be asked which, with this pack among the likely "
        "ones (listed first) and its reading below.",
    )
    extracted: dict[str, Any] = Field(
        default_factory=dict,
        description="Fact id -> the value the pack must work out from the text (inferred).",
    )
    causes: list[str] = Field(default_factory=list, description="Causes that must hold.")
    absent: list[str] = Field(default_factory=list, description="Causes that must not hold.")


class CorpusOutcome(BaseModel):
    """What one corpus text gave."""

    pack: str
    text: str
    passed: bool
    failures: list[str] = Field(default_factory=list)
    routed: bool = Field(description="The text went to its pack (or, for 'ask', was offered it).")
    cause_from_text: bool = Field(
        description="Its pack holds a cause at least TEXT_CAUSE_CERTAINTY sure on the text."
    )


def check_text(kb: KnowledgeBase, pack_id: str, entry: CorpusText) -> CorpusOutcome:
    """Diagnose the text without naming a pack and compare with what the entry states."""
    # Imported here: `kb lint` reads corpus entries (their model is above) but never diagnoses,
    # and the pipeline brings durable_rules in.
    from syncdoctor.diagnosis.pipeline import diagnose

    pack = kb.packs[pack_id]
    fact = entry.fact or _message_fact(kb, pack_id)
    facts = {**entry.facts, fact: entry.text}
    failures: list[str] = []
    try:
        result = diagnose(facts, kb=kb, now=entry.now or CORPUS_NOW)
    except SyncdoctorError as error:
        return CorpusOutcome(pack=pack_id, text=entry.text, passed=False, routed=False,
                             cause_from_text=False, failures=[f"diagnose failed: {error}"])
    reads: Mapping[str, JsonValue]
    held: dict[str, float]
    if result.pack is not None:
        routed = result.pack == pack_id and entry.routes == "pack"
        if result.pack != pack_id:
            failures.append(f"went to pack {result.pack!r}, not {pack_id!r}")
        elif entry.routes == "ask":
            failures.append("chose the pack, but the text names no integration (routes: ask)")
        reads, held = result.inferred, {c.id: c.certainty for c in result.causes}
    else:
        likely = [c.id for c in result.pack_choices if c.likely]
        mine = next((c for c in result.pack_choices if c.id == pack_id), None)
        routed = entry.routes == "ask" and pack_id in likely
        if entry.routes == "pack":
            failures.append(f"asked which pack (likely: {likely}) instead of choosing {pack_id!r}")
        elif pack_id not in likely:
            failures.append(f"{pack_id!r} is not among the likely packs {likely}")
        reads = mine.reads if mine is not None else {}
        held = {c.id: c.certainty for c in mine.causes} if mine is not None else {}
    if routed or result.pack == pack_id:
        failures.extend(_reading_failures(entry, reads, held))
    unknown_causes = [c for c in (*entry.causes, *entry.absent) if c not in pack.playbook.causes]
    if unknown_causes:
        failures.append(f"pack {pack_id!r} has no causes {unknown_causes}")
    strong = routed and any(c >= TEXT_CAUSE_CERTAINTY for c in held.values())
    return CorpusOutcome(pack=pack_id, text=entry.text, passed=not failures, failures=failures,
                         routed=routed, cause_from_text=strong)


def _reading_failures(
    entry: CorpusText, reads: Mapping[str, JsonValue], held: Mapping[str, float]
) -> list[str]:
    failures: list[str] = []
    for fact, value in sorted(entry.extracted.items()):
        if fact not in reads:
            failures.append(f"{fact}: expected {jsonable(value)!r}, not worked out")
        elif jsonable(value) != reads[fact]:
            failures.append(f"{fact}: expected {jsonable(value)!r}, got {reads[fact]!r}")
    missing = [c for c in entry.causes if c not in held]
    if missing:
        failures.append(f"expected causes {missing}; holds {sorted(held)}")
    present = [c for c in entry.absent if c in held]
    if present:
        failures.append(f"causes {present} must not hold, but do")
    return failures


def _message_fact(kb: KnowledgeBase, pack_id: str) -> str:
    """The text fact the pack's extractors read: error.message when it reads that one."""
    sources = sorted(kb.packs[pack_id].index.extracted_from)
    return "error.message" if "error.message" in sources or not sources else sources[0]
