"""Every id a test file names must exist in its pack: no typo passes as a negative expectation.

A misspelt id in ``absent:`` or ``silent:`` would otherwise pass for ever (a cause that does not
exist never holds, a rule that does not exist never fires). So each cause, rule and fact id of a
test file is checked against its pack before any case runs, and a stranger is a located error
with the nearest real id. So is a fact value its pack would refuse: the case could only fail,
with the engine's message and no place in the file.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from syncdoctor.errors import Problem, quoted_id
from syncdoctor.kb.problems import nearest
from syncdoctor.kb.recordvalues import refusal
from syncdoctor.kb.yamlfile import Located, Path_

if TYPE_CHECKING:
    from syncdoctor.authoring.testfile import TestFile
    from syncdoctor.casefile import Expectation
    from syncdoctor.engine.knowledge import Pack

__all__ = ["expectation_ids", "strangers", "unknown_ids", "wrong_values"]

_CAUSE_LISTS = ("causes", "absent", "ruled_out")
_CAUSE_KEYS = ("min_certainty", "max_certainty", "remediation_contains", "remediation_golden")
_RULE_LISTS = ("fired", "silent")
_FACT_LISTS = ("questions", "not_asked")

_KINDS = {"cause": "KB105", "rule": "KB115", "fact": "KB104"}


def unknown_ids(test_file: TestFile, located: Located, pack: Pack) -> list[Problem]:
    """A located problem for every cause, rule or fact id the pack does not have."""
    found: list[tuple[str, str, Path_]] = []  # (kind, id, where)
    found.extend(_keys("fact", test_file.defaults.facts, ("defaults", "facts")))
    for index, case in enumerate(test_file.cases):
        base: Path_ = ("cases", index)
        found.extend(_keys("fact", case.facts, (*base, "facts")))
        found.extend(expectation_ids(case.expect, (*base, "expect")))
    for index, entry in enumerate(test_file.corpus):
        base = ("corpus", index)
        for name in ("causes", "absent"):
            found.extend(_items("cause", getattr(entry, name), (*base, name)))
        found.extend(_keys("fact", entry.facts, (*base, "facts")))
        found.extend(_keys("fact", entry.extracted, (*base, "extracted")))
        if entry.fact is not None:
            found.append(("fact", entry.fact, (*base, "fact")))
    return strangers(found, located, pack)


def wrong_values(test_file: TestFile, located: Located, pack: Pack) -> list[Problem]:
    """A located KB109 for every fact value of the file that the pack's catalogue refuses.

    In the defaults, the cases and the corpus; ids it does not have are :func:`unknown_ids`'.
    """
    given: list[tuple[Path_, Mapping[str, object]]] = [
        (("defaults", "facts"), test_file.defaults.facts)]
    given.extend((("cases", index, "facts"), case.facts)
                 for index, case in enumerate(test_file.cases))
    given.extend((("corpus", index, "facts"), entry.facts)
                 for index, entry in enumerate(test_file.corpus))
    problems = []
    for where, facts in given:
        for fact, value in facts.items():
            spec = pack.facts.get(fact)
            if spec is None or value is None:  # null: the case drops a default fact
                continue
            message = refusal(fact, spec, value)
            if message is not None:
                problem = located.problem("KB109", f"{fact}: {message}", (*where, fact),
                                          at_value=True)
                # A secret's line would show the value the message hides as ***.
                problems.append(replace(problem, source_line=None) if spec.secret else problem)
    return problems


def expectation_ids(expect: Expectation, at: Path_) -> list[tuple[str, str, Path_]]:
    """(kind, id, where) of every id an ``expect`` names (a test case's, or an example's)."""
    found: list[tuple[str, str, Path_]] = []
    for name in _CAUSE_LISTS:
        found.extend(_items("cause", getattr(expect, name), (*at, name)))
    for name in _CAUSE_KEYS:
        found.extend(_keys("cause", getattr(expect, name, {}), (*at, name)))
    for name in _RULE_LISTS:
        found.extend(_items("rule", getattr(expect, name, ()), (*at, name)))
    for name in _FACT_LISTS:
        found.extend(_items("fact", getattr(expect, name), (*at, name)))
    if expect.first_question is not None:
        found.append(("fact", expect.first_question, (*at, "first_question")))
    return found


def strangers(
    found: Iterable[tuple[str, str, Path_]], located: Located, pack: Pack
) -> list[Problem]:
    """A located problem, with the nearest real id, for each id the pack does not have."""
    pools: dict[str, Collection[str]] = {
        "cause": pack.playbook.causes,
        "rule": frozenset(rule.id for rule in pack.rules),
        "fact": pack.facts,
    }
    return [
        located.problem(
            _KINDS[kind],
            f"unknown {kind} {quoted_id(name)} in pack {pack.id!r}",
            where,
            nearest(name, pools[kind]),
        )
        for kind, name, where in found
        if name not in pools[kind]
    ]


def _items(kind: str, names: Iterable[str], path: Path_) -> list[tuple[str, str, Path_]]:
    return [(kind, name, (*path, position)) for position, name in enumerate(names)]


def _keys(kind: str, mapping: Mapping[str, object], path: Path_) -> list[tuple[str, str, Path_]]:
    return [(kind, name, (*path, name)) for name in mapping]
