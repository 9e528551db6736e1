"""One case, start to end: prepare, extract, run, explain, questions, the Diagnosis.

:func:`diagnose` is the public door; :func:`run_case` runs the same stages on a chosen pack and,
with ``trace=True``, keeps what each stage produced (the benchmark and WHY NOT read it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from syncdoctor.diagnosis.case import Case, check_ids, clock, extract, prepare
from syncdoctor.diagnosis.explain import NOT_FIXED_RULE, explain
from syncdoctor.diagnosis.questions import frozen_facts, select_questions
from syncdoctor.diagnosis.result import ChoiceCause, Diagnosis, PackChoice, PackVersion
from syncdoctor.diagnosis.routing import candidates, choose_pack
from syncdoctor.engine.forkgate import between_forks
from syncdoctor.engine.knowledge import KnowledgeBase, Pack, default_kb, ensure_open
from syncdoctor.engine.runtime import Message
from syncdoctor.engine.session import Firings, build_messages, run_session
from syncdoctor.errors import FactError, PackError, describe
from syncdoctor.kb.problems import nearest
from syncdoctor.kb.values import iso_moment, jsonable, redact_secrets

__all__ = ["NOT_FIXED_RULE", "CaseRun", "check_not_fixed", "diagnose", "run_case"]


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


@between_forks  # a fork waits for the case to end (syncdoctor.engine.forkgate)
def run_case(
    pack: Pack,
    facts: Mapping[str, object],
    *,
    kb: KnowledgeBase,
    now: datetime,
    trace: bool = False,
    unknown: Iterable[str] = (),
    not_fixed: Collection[str] = (),
) -> CaseRun:
    """Run one case on one pack, stage by stage.

    ``unknown``: facts the user cannot answer (never asked, no rule fires on their value);
    ``not_fixed``: causes whose remediation did not fix the problem (ruled out with that reason).

    Raises:
        FactError: an unknown fact, a value of the wrong type, a bad ``unknown`` list, or a
            ``not_fixed`` cause the pack does not have.
        EngineError: the knowledge base was closed, or the engine failed.
    """
    ensure_open(pack)
    case = prepare(pack, facts, now, unknown)
    check_not_fixed(pack, not_fixed)
    extract(case)
    firings = run_session(
        pack, case.facts, case.inferred, case.supplied, case.now, frozen=frozen_facts(case)
    )
    explanation = explain(case, firings, not_fixed)
    first = str(explanation.causes[0]["id"]) if explanation.causes else None
    questions = select_questions(
        case, firings, explanation.against, explanation.confirmed, first
    )
    rules = pack.rules
    warnings = [*explanation.warnings, *sorted(firings.conflicts)]
    warnings.extend(
        f"fact {fact!r} is not used by any rule of pack {pack.id!r}; it changes nothing"
        for fact in sorted(case.supplied - pack.index.used_facts)
    )
    warnings.extend(_fraction_for_percent(pack, case.facts, case.supplied))
    diagnosis = Diagnosis.model_validate(
        {
            "pack": pack.id,
            "pack_title": pack.playbook.title,
            "pack_choices": [],
            "causes": explanation.causes,
            "ruled_out": explanation.ruled_out,
            "questions": questions,
            "inferred": redact_secrets(
                {k: jsonable(v) for k, v in sorted(case.inferred.items())}, pack.facts
            ),
            "unknown": sorted(case.unknown - case.inferred.keys()),
            "rules_fired": sorted([rules[i].id for i in firings.rules]),
            "warnings": warnings,
            "kb_version": kb.version,
            "packs": [{"id": pack.id, "version": pack.version}],
            "now": iso_moment(case.now),
        }
    )
    if not trace:
        return CaseRun(diagnosis)
    messages = tuple(build_messages(pack, case.facts, case.now))
    return CaseRun(diagnosis, case=case, firings=firings, messages=messages)


def check_not_fixed(pack: Pack, not_fixed: Collection[str], *, field: str = "not_fixed") -> None:
    """Refuse a "did not fix it" (or any outcome) for a cause the pack does not have.

    Raises:
        FactError: (for ``field``) naming the cause, with the nearest cause id.
    """
    if isinstance(not_fixed, str | bytes) or not isinstance(not_fixed, Iterable):
        raise FactError(field, "expected a list of cause ids", expected="list")
    for cause in not_fixed:
        if not isinstance(cause, str) or cause not in pack.playbook.causes:
            raise FactError(
                field,
                f"pack {pack.id!r} has no cause {describe(cause)}",
                suggestion=nearest(cause, pack.playbook.causes) if isinstance(cause, str) else None,
            )


def _fraction_for_percent(
    pack: Pack, facts: Mapping[str, object], supplied: Collection[str]
) -> list[str]:
    """A warning for each percentage given between 0 and 1: often a fraction (0.4 for 40 %)."""
    said = []
    for fact in sorted(supplied):
        value = facts.get(fact)
        if pack.facts[fact].unit == "%" and isinstance(value, Decimal) and 0 < value < 1:
            meant = (value * 100).normalize()
            said.append(f"fact {fact!r} is {value:f} %, under 1 %: if {value:f} was a fraction "
                        f"({meant:f} %), give {meant:f}")
    return said


def _unknown_ids(unknown: Iterable[str]) -> list[str]:
    if isinstance(unknown, str | bytes) or not isinstance(unknown, Iterable):
        raise FactError("unknown", "expected a list of fact ids", expected="list")
    return sorted(set(check_ids(unknown)))  # each checked to be text before it is sorted


def _which_pack(
    kb: KnowledgeBase, facts: Mapping[str, object], now: datetime, unknown: list[str]
) -> Diagnosis:
    """The Diagnosis before a pack is chosen: no causes, the candidate packs to choose from.

    Each pack whose patterns recognise the text is run on the facts, so that the choice shows
    what the text says in that pack's terms (its classification and causes), likely packs first.
    """
    choices: list[PackChoice] = []
    for pack_id, likely in candidates(kb, {**dict.fromkeys(unknown), **facts}):
        pack = kb.packs[pack_id]
        if not likely:
            choices.append(PackChoice(id=pack_id, title=pack.playbook.title))
            continue
        run = run_case(pack, facts, kb=kb, now=now, unknown=unknown).diagnosis
        choices.append(
            PackChoice(
                id=pack_id,
                title=pack.playbook.title,
                likely=True,
                reads=run.inferred,
                causes=[
                    ChoiceCause(id=c.id, title=c.title, certainty=c.certainty)
                    for c in run.causes
                ],
            )
        )
    return Diagnosis(
        pack=None,
        pack_title=None,
        pack_choices=choices,
        causes=[],
        ruled_out=[],
        questions=[],
        inferred={},
        unknown=unknown,
        rules_fired=[],
        warnings=[],
        kb_version=kb.version,
        packs=[PackVersion(id=p, version=v) for p, v in kb.versions().items()],
        now=iso_moment(now),
    )


@between_forks  # so is choosing the pack, which may build packs on first use
def diagnose(
    facts: Mapping[str, object],
    *,
    pack: str | None = None,
    kb: KnowledgeBase | None = None,
    now: datetime | str | None = None,
    unknown: Iterable[str] = (),
    not_fixed: Collection[str] = (),
) -> Diagnosis:
    """Diagnose one case.

    Args:
        facts: fact id -> value (records facts: a list of mappings). None means "not given
            yet": such a fact may be asked again; put it in ``unknown`` when the user cannot
            answer it.
        pack: the pack to use; None lets the engine pick it from the facts.
        kb: the knowledge base; None uses the bundled one.
        now: the clock for ages of datetimes (aware, or naive UTC); None uses the system clock.
        unknown: facts the user cannot answer ("I don't know"): never asked again, and no rule
            fires on their value (a ``known: false`` test holds). Listed in ``Diagnosis.unknown``.
        not_fixed: causes whose remediation was applied and did not fix the problem: each is
            ruled out with that reason, and the questions move on to the other causes.

    Raises:
        FactError: an unknown fact, a value of the wrong type, an ``unknown`` fact the pack does
            not have or that is also given a value, or a ``not_fixed`` cause the pack does not
            have.
        PackError: an unknown pack id.
    """
    if not isinstance(facts, Mapping):
        raise FactError("facts", "expected a mapping of fact id to value", expected="mapping")
    knowledge = kb if kb is not None else default_kb()
    if pack is not None and not isinstance(pack, str):
        raise PackError(pack, sorted(knowledge.packs))
    when = clock(now)
    unknown_ids = _unknown_ids(unknown)
    routed = {**dict.fromkeys(unknown_ids), **facts}  # unknown ids choose a pack as facts do
    chosen = knowledge.pack(pack) if pack is not None else choose_pack(knowledge, routed)
    if chosen is None:
        if not_fixed:
            raise FactError("not_fixed", "a cause can only be ruled out once a pack is chosen")
        return _which_pack(knowledge, facts, when, unknown_ids)
    return run_case(
        chosen, facts, kb=knowledge, now=when, unknown=unknown_ids, not_fixed=not_fixed
    ).diagnosis
