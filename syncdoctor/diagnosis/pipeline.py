"""One case, start to end: prepare, extract, run, explain, questions, the Diagnosis.

:func:`diagnose` is the public door; :func:`run_case` runs the same stages on a chosen pack and,
with ``trace=True``, keeps what each stage produced (the benchmark and the interview read it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from syncdoctor.diagnosis.case import Case, clock, extract, prepare
from syncdoctor.diagnosis.explain import explain
from syncdoctor.diagnosis.questions import select_questions
from syncdoctor.diagnosis.result import Diagnosis, PackChoice, PackVersion
from syncdoctor.diagnosis.routing import candidates, choose_pack
from syncdoctor.engine.knowledge import KnowledgeBase, Pack, default_kb, ensure_open
from syncdoctor.engine.runtime import Message
from syncdoctor.engine.session import Firings, build_messages, run_session
from syncdoctor.errors import FactError
from syncdoctor.kb.values import iso_moment, jsonable

__all__ = ["CaseRun", "diagnose", "run_case"]


@dataclass(frozen=True)
class CaseRun:
    """A diagnosis, and with ``trace`` what led to it."""

    diagnosis: Diagnosis
    case: Case | None = None
    """The typed case after the run (derived facts included); with trace only."""
    firings: Firings | None = None
    """What the rules did; with trace only."""
    messages: tuple[Message, ...] = ()
    """Every message the case asserts once its facts are all known; with trace only."""


def run_case(
    pack: Pack,
    facts: Mapping[str, object],
    *,
    kb: KnowledgeBase,
    now: datetime,
    trace: bool = False,
) -> CaseRun:
    """Run one case on one pack, stage by stage.

    Raises:
        FactError: an unknown fact or a value of the wrong type.
        EngineError: the knowledge base was closed, or the engine failed.
    """
    ensure_open(pack)
    case = prepare(pack, facts, now)
    extract(case)
    firings = run_session(pack, case.facts, case.inferred, case.supplied, case.now)
    explanation = explain(case, firings)
    questions = select_questions(case, firings, explanation.against, explanation.confirmed)
    warnings = [*explanation.warnings, *sorted(firings.conflicts)]
    warnings.extend(
        f"fact {fact!r} is not used by any rule of pack {pack.id!r}; it changes nothing"
        for fact in sorted(case.supplied - pack.index.used_facts)
    )
    diagnosis = Diagnosis.model_validate(
        {
            "pack": pack.id,
            "pack_title": pack.playbook.title,
            "pack_choices": [],
            "causes": explanation.causes,
            "ruled_out": explanation.ruled_out,
            "questions": questions,
            "inferred": {k: jsonable(v) for k, v in sorted(case.inferred.items())},
            "rules_fired": sorted(pack.rules[i].id for i in firings.rules),
            "warnings": warnings,
            "kb_version": kb.version,
            "packs": [{"id": pack.id, "version": pack.version}],
            "now": jsonable(case.now),
        }
    )
    if not trace:
        return CaseRun(diagnosis)
    messages = tuple(build_messages(pack, case.facts, case.now))
    return CaseRun(diagnosis, case=case, firings=firings, messages=messages)


def _which_pack(kb: KnowledgeBase, facts: Mapping[str, object], now: datetime) -> Diagnosis:
    """The Diagnosis before a pack is chosen: no causes, the candidate packs to choose from."""
    return Diagnosis(
        pack=None,
        pack_title=None,
        pack_choices=[
            PackChoice(id=p, title=kb.packs[p].playbook.title) for p in candidates(kb, facts)
        ],
        causes=[],
        ruled_out=[],
        questions=[],
        inferred={},
        rules_fired=[],
        warnings=[],
        kb_version=kb.version,
        packs=[PackVersion(id=p, version=kb.packs[p].version) for p in sorted(kb.packs)],
        now=iso_moment(now),
    )


def diagnose(
    facts: Mapping[str, object],
    *,
    pack: str | None = None,
    kb: KnowledgeBase | None = None,
    now: datetime | str | None = None,
) -> Diagnosis:
    """Diagnose one case.

    Args:
        facts: fact id -> value (records facts: a list of mappings). None means unknown.
        pack: the pack to use; None lets the engine pick it from the facts.
        kb: the knowledge base; None uses the bundled one.
        now: the clock for ages of datetimes (aware, or naive UTC); None uses the system clock.

    Raises:
        FactError: an unknown fact or a value of the wrong type.
        PackError: an unknown pack id.
    """
    if not isinstance(facts, Mapping):
        raise FactError("facts", "expected a mapping of fact id to value", expected="mapping")
    knowledge = kb if kb is not None else default_kb()
    when = clock(now)
    chosen = knowledge.pack(pack) if pack is not None else choose_pack(knowledge, facts)
    if chosen is None:
        return _which_pack(knowledge, facts, when)
    return run_case(chosen, facts, kb=knowledge, now=when).diagnosis
