"""HOW and WHY NOT for one cause: the rules that conclude about it, and what stopped each.

A cause the user expected is either among the causes (HOW: its evidence), ruled out (the rules
against it), or not shown: then each of its rules either has a condition the facts contradict
(read from the refutation programs, engine/refute.py) or still waits on unknown facts,
which become the questions worth asking.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Literal

from syncdoctor.diagnosis.pipeline import run_case
from syncdoctor.diagnosis.result import (
    CauseAccount,
    ConditionAccount,
    Evidence,
    RuleAccount,
)
from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.engine.session import Firings
from syncdoctor.errors import FieldProblem, RequestError
from syncdoctor.kb.describe import describe_condition
from syncdoctor.kb.problems import nearest

__all__ = ["account_for"]


def account_for(
    pack: Pack,
    facts: Mapping[str, object],
    cause: str,
    *,
    kb: KnowledgeBase,
    now: datetime,
    unknown: Iterable[str] = (),
    not_fixed: Collection[str] = (),
) -> CauseAccount:
    """Why ``cause`` holds, is ruled out, or is not shown for these facts.

    ``unknown`` and ``not_fixed`` are as for :func:`syncdoctor.diagnose` (an interview's state).

    Raises:
        RequestError: the pack has no such cause (``cause`` is named, with the nearest id).
        FactError: an unknown fact or a value of the wrong type.
    """
    spec = pack.playbook.causes.get(cause)
    if spec is None:
        raise RequestError([FieldProblem(
            "cause", f"pack {pack.id!r} has no cause {cause!r}",
            expected=f"a cause id of pack {pack.id!r}",
            suggestion=nearest(cause, pack.playbook.causes),
        )])
    run = run_case(pack, facts, kb=kb, now=now, trace=True, unknown=unknown,
                   not_fixed=not_fixed)
    assert run.case is not None and run.firings is not None  # trace=True keeps them
    known = run.case.facts
    rules = [
        _rule_account(pack, index, run.firings, known)
        for index, rule in enumerate(pack.rules)
        if rule.cause == cause
    ]
    rules.sort(key=lambda r: (r.effect != "supports", r.rule))
    diagnosis = run.diagnosis
    held = next((c for c in diagnosis.causes if c.id == cause), None)
    against = next((r.reasons for r in diagnosis.ruled_out if r.id == cause), [])
    status = _status(held is not None, bool(against), rules)
    return CauseAccount(
        pack=pack.id,
        cause=cause,
        title=spec.title,
        step=spec.step,
        status=status,
        certainty=held.certainty if held is not None else None,
        summary=_summary(pack, status, spec.title, held.evidence if held else [], against,
                         rules),
        evidence=list(held.evidence) if held is not None else [],
        against=list(against),
        rules=rules,
        questions=[q for q in diagnosis.questions if cause in q.causes],
    )


def _rule_account(
    pack: Pack, index: int, firings: Firings, known: Mapping[str, object]
) -> RuleAccount:
    rule = pack.rules[index]
    fired = index in firings.rules
    refuted = {position for rule_index, position in firings.refuted if rule_index == index}
    # A condition some refutation program tests, on known facts, and did not refute is true.
    tested = pack.compiled.refutations.refutable
    conditions = []
    state: Literal["true", "false", "undecided"]
    for position, item in enumerate(rule.when.conjuncts()):
        unknown = [f for f in item.facts() if f not in known]
        if fired or (not unknown and (index, position) in tested and position not in refuted):
            state = "true"
        else:
            state = "false" if position in refuted else "undecided"
        conditions.append(ConditionAccount(
            condition=describe_condition(item, pack.facts), state=state, unknown_facts=unknown,
        ))
    rule_state: Literal["fired", "refuted", "open"] = (
        "fired" if fired else "refuted" if index in firings.blocked else "open")
    return RuleAccount(rule=rule.id, effect=rule.effect, certainty=rule.certainty,
                       state=rule_state,
                       conditions=conditions)


Status = Literal["holds", "ruled_out", "possible", "unsupported"]


def _status(holds: bool, ruled_out: bool, rules: list[RuleAccount]) -> Status:
    if ruled_out:
        return "ruled_out"
    if holds:
        return "holds"
    if any(r.effect == "supports" and r.state == "open" for r in rules):
        return "possible"
    return "unsupported"


def _summary(
    pack: Pack,
    status: str,
    title: str,
    evidence: list[Evidence],
    against: list[Evidence],
    rules: list[RuleAccount],
) -> str:
    if status == "holds":
        return f"{title!r} holds: " + " ".join(e.because for e in evidence)
    if status == "ruled_out":
        return f"{title!r} is ruled out: " + " ".join(e.because for e in against)
    supporting = [r for r in rules if r.effect == "supports"]
    if status == "possible":
        waiting = sorted({f for r in supporting if r.state == "open"
                          for c in r.conditions for f in c.unknown_facts
                          if not pack.facts[f].derived})
        shown = ", ".join(waiting) if waiting else "a record or a worked-out fact"
        return f"{title!r} is not shown yet: it could still be confirmed once these are known: " \
            f"{shown}."
    false = [c.condition for r in supporting for c in r.conditions if c.state == "false"]
    if not supporting:
        return f"No rule of pack {pack.id!r} confirms {title!r}."
    if not false:
        return f"{title!r} does not fit these facts: every rule that confirms it is refuted."
    return f"{title!r} does not fit these facts: " + "; ".join(dict.fromkeys(false)) + \
        (" is false." if len(false) == 1 else " are false.")
