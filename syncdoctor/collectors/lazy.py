"""Diagnosing with collectors: facts fetched on demand, only when a live question needs them.

The way json-rules-engine's almanac computes a fact only when a rule asks for it: the case is
diagnosed with what is known; of the questions still worth asking, those a collector can answer
are fetched (a collectable fact costs nothing to ask, so it is "asked" of the collector before
any person); the case is diagnosed again, and so on until no collector can help. A collector
that fails leaves its facts unknown, with the reason in ``Diagnosis.not_collected``, and they
stay among the questions for a person. A collector whose URL needs a fact still unknown (the
group id ``cld-…``) makes that fact a question of its own, placed first: one answer then
fetches several.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from syncdoctor.diagnosis.case import clock, type_facts
from syncdoctor.diagnosis.pipeline import diagnose as run_diagnosis
from syncdoctor.diagnosis.result import CollectedFact, CollectionFailure, Diagnosis, Question
from syncdoctor.engine.knowledge import KnowledgeBase, Pack, default_kb
from syncdoctor.errors import FactError
from syncdoctor.kb.collector_spec import CollectorSpec
from syncdoctor.kb.values import jsonable
from syncdoctor.types import JsonValue

if TYPE_CHECKING:
    from syncdoctor.collectors.runner import Collectors

__all__ = ["diagnose", "finish"]


def diagnose(
    facts: Mapping[str, object],
    *,
    pack: str | None = None,
    kb: KnowledgeBase | None = None,
    now: datetime | str | None = None,
    unknown: Iterable[str] = (),
    not_fixed: Collection[str] = (),
    collect: bool | Collectors = False,
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
        collect: fetch the facts the pack's collectors (collectors/<pack>.yaml) can give, when
            a question needs them: True with a runner for this call (tokens and base URLs from
            the environment), or a :class:`~syncdoctor.collectors.runner.Collectors` kept by
            the caller. False (the default) makes no request at all. ``Diagnosis.collected``
            says where each fetched fact came from and when; ``Diagnosis.not_collected`` why a
            collector could not help.

    Raises:
        FactError: an unknown fact, a value of the wrong type, an ``unknown`` fact the pack does
            not have or that is also given a value, or a ``not_fixed`` cause the pack does not
            have. A collector that fails never raises.
        PackError: an unknown pack id.
    """
    if collect is False:
        return run_diagnosis(facts, pack=pack, kb=kb, now=now, unknown=unknown,
                             not_fixed=not_fixed)
    from syncdoctor.collectors.runner import Collectors  # httpx only once collecting

    if isinstance(collect, Collectors):
        return _collecting(collect, facts, pack, kb, now, unknown, not_fixed)
    if collect is not True:
        raise FactError("collect", "expected true, false or a Collectors runner",
                        expected="bool")
    with Collectors() as runner:
        return _collecting(runner, facts, pack, kb, now, unknown, not_fixed)


def _collecting(
    runner: Collectors,
    facts: Mapping[str, object],
    pack: str | None,
    kb: KnowledgeBase | None,
    now: datetime | str | None,
    unknown: Iterable[str],
    not_fixed: Collection[str],
) -> Diagnosis:
    knowledge = kb if kb is not None else default_kb()
    when = clock(now)  # one clock for every round, so that rounds agree on ages
    result = run_diagnosis(facts, pack=pack, kb=knowledge, now=when, unknown=unknown,
                           not_fixed=not_fixed)  # checks everything before any request
    unknown_ids = list(unknown)
    if result.pack is None:
        return result  # no pack yet: nothing says which collectors apply
    chosen = knowledge.pack(result.pack)
    if not chosen.source.collectors:
        return result
    given: dict[str, object] = dict(facts)
    collected: dict[str, CollectedFact] = {}
    failures: dict[str, CollectionFailure] = {}
    tried: set[str] = set()
    for _ in range(len(chosen.source.collectors)):
        plan = runner.plan(chosen.source, _wanted(result), _known(chosen, given, result), tried)
        if not plan.due:
            break
        outcome = runner.run(chosen.source, plan)
        tried.update(collector.id for collector, _ in plan.due)
        failures.update(outcome.failures)
        for fact, value in sorted(outcome.values.items()):
            if given.get(fact) is None and fact in chosen.index.used_facts:
                given[fact] = value  # the caller's facts always win over a collector's
                collected[fact] = outcome.collected[fact]
        # A fact the user could not answer and the hub could: the hub's value is the evidence.
        unknown_ids = [fact for fact in unknown_ids if fact not in collected]
        result = run_diagnosis(given, pack=chosen.id, kb=knowledge, now=when,
                               unknown=unknown_ids, not_fixed=not_fixed)
    return finish(runner, chosen, result, collected, failures,
                  _known(chosen, given, result), tried)


def finish(
    runner: Collectors,
    pack: Pack,
    result: Diagnosis,
    collected: Mapping[str, CollectedFact],
    failures: Mapping[str, CollectionFailure],
    known: Mapping[str, JsonValue],
    tried: Collection[str],
) -> Diagnosis:
    """The Diagnosis with what was collected, what could not be and why, URL facts first.

    A failure whose facts are all known by now (a person answered them) is left out.
    """
    plan = runner.plan(pack.source, _wanted(result), known, tried)
    reasons = {key: failure for key, failure in failures.items()
               if any(known.get(fact) is None for fact in failure.facts)}
    for collector, missing in plan.blocked:
        reasons[collector.id] = CollectionFailure(
            collector=collector.id, facts=sorted(collector.facts),
            reason=f"waits for {', '.join(missing)} (its URL needs "
            f"{'it' if len(missing) == 1 else 'them'})",
        )
    return result.model_copy(update={
        "collected": dict(sorted(collected.items())),
        "not_collected": [reasons[key] for key in sorted(reasons)],
        "questions": _unlocking_questions(pack, result, plan.blocked),
    })


def _wanted(result: Diagnosis) -> set[str]:
    return {question.fact for question in result.questions}


def _known(pack: Pack, given: Mapping[str, object], result: Diagnosis) -> dict[str, JsonValue]:
    """Every value known so far, as JSON: what the caller gave, what the engine worked out."""
    typed = type_facts(pack, given)  # checked already by the diagnosis that just ran
    return {**result.inferred, **{fact: jsonable(value) for fact, value in typed.items()}}


def _unlocking_questions(
    pack: Pack, result: Diagnosis, blocked: Iterable[tuple[CollectorSpec, tuple[str, ...]]]
) -> list[Question]:
    """The questions, with each fact a blocked collector's URL needs asked first."""
    questions = list(result.questions)
    asked = {question.fact for question in questions}
    serves: dict[str, set[int]] = {}  # URL fact -> where the questions it unlocks stand
    for collector, missing in blocked:
        unlocked = {i for i, q in enumerate(result.questions) if q.fact in collector.facts}
        for fact in missing:
            serves.setdefault(fact, set()).update(unlocked)
    for fact, positions in sorted(serves.items()):
        spec = pack.facts.get(fact)
        if not positions or spec is None or fact in asked or fact in result.unknown:
            continue
        served = [result.questions[i] for i in sorted(positions)]
        causes = sorted({c for q in served for c in q.causes},
                        key=pack.index.cause_rank.__getitem__)
        question = Question(
            fact=fact, ask=spec.ask or f"What is {fact}?", help=spec.help, type=spec.type,
            values=list(spec.values) if spec.values else None, fields=None,
            step=served[0].step, causes=causes,
            why="Lets the collectors fetch " + ", ".join(q.fact for q in served)
            + " instead of asking for them.",
        )
        questions.insert(questions.index(served[0]), question)
        asked.add(fact)
    return questions
