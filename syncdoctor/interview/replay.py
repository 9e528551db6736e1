"""A session's state, rebuilt from its header and events: the one way an Interview gets state.

The engine stays stateless: every step replays the events still in effect into facts, unknown
facts and "not fixed" causes, and runs the whole pipeline again. A live Interview and one resumed
from the store therefore hold the same state by construction.

Replay is lenient, because a session may be resumed on a knowledge base that has changed since:
an answer that no longer fits (its fact is gone, its value no longer types) is left out with a
warning in the Diagnosis, and the interview carries on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncdoctor.diagnosis.case import clock
from syncdoctor.diagnosis.pipeline import diagnose, run_case
from syncdoctor.diagnosis.result import Diagnosis
from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.errors import REDACTED, FactError
from syncdoctor.interview.answers import Answer
from syncdoctor.interview.events import (
    SessionEvent,
    SessionHeader,
    StoredJson,
    answers_in_effect,
    latest_pack,
)
from syncdoctor.kb.recordvalues import type_records
from syncdoctor.kb.values import type_value

__all__ = ["SessionState", "replay"]


@dataclass(frozen=True)
class SessionState:
    """What the events in effect amount to."""

    pack: str | None
    facts: dict[str, StoredJson]
    """Every fact with a value: the starting facts, then the answers (the latest wins)."""
    unknown: tuple[str, ...]
    """Facts the user cannot answer, sorted."""
    not_fixed: tuple[str, ...]
    """Causes whose remediation did not fix the problem, in the order reported."""
    answers: tuple[Answer, ...]
    """Answers and skips in effect, oldest first."""
    diagnosis: Diagnosis
    fixed: str | None = None
    """The cause whose remediation fixed the problem, while that is the session's last word
    (its latest event, the cause still held); None while the session is open."""


def replay(
    kb: KnowledgeBase, header: SessionHeader, events: Sequence[SessionEvent],
    held: Mapping[str, object] | None = None,
) -> SessionState:
    """The state after these events, with the Diagnosis of the facts they give.

    A secret fact's value is stored as ``***``. ``held`` is what the live Interview keeps of
    such values in memory (never in the store): the pipeline reads them where the events say
    ``***``. A session resumed in another process has none; a secret that its type cannot read
    as ``***`` (a number, records) is then asked again.
    """
    warnings: list[str] = []
    if header.kb_version != kb.version:
        warnings.append(
            f"this session started on knowledge base {header.kb_version} and is resumed on "
            f"{kb.version}: its answers are replayed on the current rules"
        )
    pack_id = latest_pack(header, events)
    if pack_id is not None and pack_id not in kb.packs:
        warnings.append(f"pack {pack_id!r} is no longer in the knowledge base; choose a pack")
        pack_id = None
    facts: dict[str, StoredJson] = dict(header.facts)
    unknown: set[str] = set(header.unknown)
    answers: list[Answer] = []
    for event in answers_in_effect(events):
        fact = str(event.fact)
        if event.kind == "answer":
            facts[fact] = event.value
            unknown.discard(fact)
        else:
            facts.pop(fact, None)
            unknown.add(fact)
        answers.append(Answer(seq=event.seq, fact=fact, value=event.value,
                              unknown=event.kind == "skip", at=event.at, source=event.source))
    not_fixed: list[str] = []
    for event in events:
        reported = event.value if event.kind == "not_fixed" else None
        if isinstance(reported, str) and reported not in not_fixed:
            not_fixed.append(reported)
    now = clock(header.clock)
    given = {**facts, **{f: v for f, v in (held or {}).items() if facts.get(f) == REDACTED}}
    if pack_id is None:
        diagnosis = diagnose(given, kb=kb, now=now, unknown=sorted(unknown))
    else:
        pack = kb.packs[pack_id]
        given = _fitting_facts(pack, given, warnings)
        facts = {fact: facts[fact] for fact in given}
        unknown = _fitting_unknown(pack, unknown, facts, warnings)
        kept_causes = [c for c in not_fixed if c in pack.playbook.causes]
        warnings.extend(
            f"cause {c!r} (reported not fixed) is no longer in pack {pack_id!r}; left out"
            for c in not_fixed if c not in pack.playbook.causes
        )
        not_fixed = kept_causes
        diagnosis = run_case(
            pack, given, kb=kb, now=now, unknown=sorted(unknown), not_fixed=not_fixed
        ).diagnosis
    if warnings:
        diagnosis = diagnosis.model_copy(update={"warnings": [*diagnosis.warnings, *warnings]})
    last = events[-1] if events else None
    fixed = last.value if last is not None and last.kind == "fixed" else None
    return SessionState(
        pack=diagnosis.pack,
        facts=facts,
        unknown=tuple(sorted(unknown)),
        not_fixed=tuple(not_fixed),
        answers=tuple(answers),
        diagnosis=diagnosis,
        # A later step (an answer, an undo, "it did not fix it after all") reopens the session.
        fixed=fixed if isinstance(fixed, str) and fixed in diagnosis.cause_ids else None,
    )


def _fitting_facts(
    pack: Pack, facts: Mapping[str, object], warnings: list[str]
) -> dict[str, object]:
    """The facts the pack can still type; the others are left out with a warning."""
    kept: dict[str, object] = {}
    for fact, value in sorted(facts.items()):
        spec = pack.facts.get(fact)
        if spec is None:
            warnings.append(f"fact {fact!r} is no longer in pack {pack.id!r}; its answer is "
                            "left out")
            continue
        try:
            if spec.type == "records":
                type_records(fact, spec, value)
            else:
                type_value(fact, spec, value)
        except FactError as error:
            if spec.secret and value == REDACTED:
                warnings.append(f"the answer to {fact!r} is secret and not kept in the session "
                                "store; give it again")
                continue
            warnings.append(f"the answer to {fact!r} no longer fits pack {pack.id!r} "
                            f"({error.expected or 'its type changed'}); left out")
            continue
        kept[fact] = value
    return kept


def _fitting_unknown(
    pack: Pack, unknown: set[str], facts: dict[str, StoredJson], warnings: list[str]
) -> set[str]:
    askable = {f for f, spec in pack.facts.items() if not spec.derived or spec.observable}
    kept = unknown & askable
    warnings.extend(
        f"fact {f!r} (answered 'unknown') is no longer asked in pack {pack.id!r}; left out"
        for f in sorted(unknown - kept)
    )
    return kept - set(facts)
