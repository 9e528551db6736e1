"""``syncdoctor kb lint``: findings about a knowledge base that loads but is probably wrong.

Hard errors (the loader's KB1xx codes) stop a load; lint findings (L2xx) have a severity and can
be suppressed per id and check in a committed ``lint-suppressions.yaml`` at a KB layer's root:

    suppress:
      - {check: L206, id: impac.sync-failed, reason: the fact is set by an extractor}
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from syncdoctor.engine.compiler import Expr
from syncdoctor.engine.kb import KnowledgeBase, Origin, Pack
from syncdoctor.engine.render import ENVIRONMENT, facts_named, guarded_facts
from syncdoctor.engine.schema import Condition, RuleSpec
from syncdoctor.engine.yamlsource import load_yaml_file
from syncdoctor.errors import KnowledgeBaseError, Problem

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
SUPPRESSIONS_FILE = "lint-suppressions.yaml"
NEAR_LIMIT = 0.8
"""Share of a durable_rules limit past which a pack gets a warning."""

CHECKS: dict[str, tuple[Severity, str]] = {
    "L201": ("error", "rule can never fire"),
    "L202": ("warning", "rule duplicated or shadowed by another"),
    "L203": ("warning", "cause with no rule supporting it"),
    "L204": ("warning", "fact never used"),
    "L205": ("warning", "fact with no question text"),
    "L206": ("warning", "template names a fact the conditions do not guarantee"),
    "L207": ("warning", "step with no rule"),
    "L208": ("warning", "pattern that would backtrack catastrophically outside RE2"),
    "L209": ("warning", "pack nearing a durable_rules limit"),
    "L210": ("info", "deprecated rule still in use"),
    "L211": ("warning", "rule replaces an id that is not a rule"),
}


class Suppression(BaseModel):
    """One suppressed finding: a check for one id (rule, cause, fact or pack)."""

    model_config = ConfigDict(extra="forbid")

    check: str = Field(description="The check's code, e.g. L206.")
    id: str = Field(description="The rule, cause, fact, step or pack id the finding is about.")
    reason: str = Field(description="Why the finding is not a problem here.")


class SuppressionsFile(BaseModel):
    """A layer's committed list of suppressed findings."""

    model_config = ConfigDict(extra="forbid")

    suppress: list[Suppression] = Field(default_factory=list, description="The suppressions.")


@dataclass(frozen=True)
class Finding:
    """A lint finding: a located problem, with the id it is about."""

    problem: Problem
    id: str
    pack: str

    @property
    def check(self) -> str:
        """The check's code."""
        return self.problem.code


def _finding(origin: Origin | None, check: str, message: str, about: str, pack: str,
             *path: str | int) -> Finding:
    severity = CHECKS[check][0]
    if origin is None:
        problem = Problem(check, message, file=pack, severity=severity)
    else:
        problem = origin.problem(check, message, *path, severity=severity)
    return Finding(problem, about, pack)


# ---------------------------------------------------------------------------------------------
# L201: contradictions, read off the compiled alternatives


def _contradictory(conjunction: list[Expr]) -> str | None:
    """Why a conjunction of plain durable tests can never hold, or None."""
    equal: dict[str, Any] = {}
    unequal: dict[str, set[str]] = {}
    present: set[str] = set()
    absent_markers: set[str] = set()
    lower: dict[str, tuple[float, bool]] = {}
    upper: dict[str, tuple[float, bool]] = {}
    for test in conjunction:
        ((key, value),) = test.items()
        if key == "$ex":
            present.update(value)
        elif key == "$neq":
            ((name, operand),) = value.items()
            unequal.setdefault(name, set()).add(json.dumps(operand))
        elif key in ("$lt", "$lte", "$gt", "$gte"):
            ((name, operand),) = value.items()
            if isinstance(operand, dict):
                continue
            strict = key in ("$lt", "$gt")
            bounds = upper if key in ("$lt", "$lte") else lower
            old = bounds.get(name)
            tighter = (
                old is None
                or (bounds is upper and (operand < old[0] or (operand == old[0] and strict)))
                or (bounds is lower and (operand > old[0] or (operand == old[0] and strict)))
            )
            if tighter:
                bounds[name] = (operand, strict)
        elif not key.startswith("$") and not isinstance(value, dict):
            if key.endswith("_u"):
                absent_markers.add(key[:-2])
            if key in equal and equal[key] != value:
                return f"{key} cannot equal both {equal[key]!r} and {value!r}"
            equal[key] = value
            present.add(key)
    for name in present & absent_markers:
        return f"a fact cannot be both known and unknown ({name})"
    for name, value in equal.items():
        if json.dumps(value) in unequal.get(name, set()):
            return f"{name} cannot both equal and differ from {value!r}"
    for name in set(lower) | set(upper):
        low, high = lower.get(name), upper.get(name)
        value = equal.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if low is not None and (value < low[0] or (value == low[0] and low[1])):
                return f"{name} = {value} is below its lower bound"
            if high is not None and (value > high[0] or (value == high[0] and high[1])):
                return f"{name} = {value} is above its upper bound"
        if low is not None and high is not None and (
            low[0] > high[0] or (low[0] == high[0] and (low[1] or high[1]))
        ):
            return f"{name} has no value between its bounds"
    return None


def _never_fires(pack: Pack) -> Iterable[Finding]:
    compiled = pack.compiled
    assert compiled is not None
    alternatives: dict[int, list[str | None]] = {}
    for definition in compiled.rulesets:
        for name, expr in definition.items():
            entry = compiled.entries.get(name)
            if entry is None or entry.kind != "rule":
                continue
            reasons = []
            for pattern in expr["all"]:
                (inner,) = pattern.values()
                reasons.append(_contradictory(inner.get("$and", [inner])))
            reason = next((r for r in reasons if r is not None), None)
            alternatives.setdefault(entry.rule, []).append(reason)
    for index, reasons in sorted(alternatives.items()):
        if reasons and all(r is not None for r in reasons):
            rule = pack.rules[index]
            yield _finding(pack.origins[f"rule:{rule.id}"], "L201",
                           f"rule {rule.id} can never fire: {reasons[0]}", rule.id, pack.id,
                           "when")


# ---------------------------------------------------------------------------------------------
# L202: duplicates and shadowing


def _conclusion(rule: RuleSpec) -> tuple[str, str]:
    if rule.cause is not None:
        return (f"cause:{rule.cause}", rule.effect)
    assert rule.derive is not None
    return (f"derive:{rule.derive.fact}={rule.derive.value}", rule.effect)


def _alternative_sets(pack: Pack) -> dict[int, list[frozenset[str]]]:
    """Per rule, each alternative as the set of its tests (single-pattern rules only)."""
    compiled = pack.compiled
    assert compiled is not None
    out: dict[int, list[frozenset[str]]] = {}
    multi: set[int] = set()
    for definition in compiled.rulesets:
        for name, expr in definition.items():
            entry = compiled.entries.get(name)
            if entry is None or entry.kind != "rule":
                continue
            if len(expr["all"]) != 1:
                multi.add(entry.rule)
                continue
            (inner,) = expr["all"][0].values()
            tests = frozenset(json.dumps(t, sort_keys=True) for t in inner.get("$and", [inner]))
            out.setdefault(entry.rule, []).append(tests)
    return {k: v for k, v in out.items() if k not in multi}


def _duplicates(pack: Pack) -> Iterable[Finding]:
    by_alternatives = _alternative_sets(pack)
    for index, rule in enumerate(pack.rules):
        mine = by_alternatives.get(index)
        if not mine:
            continue
        for other_index, other in enumerate(pack.rules):
            theirs = by_alternatives.get(other_index)
            if other_index == index or not theirs or _conclusion(rule) != _conclusion(other):
                continue
            same = set(mine) == set(theirs)
            if same and other_index < index:
                yield _finding(pack.origins[f"rule:{rule.id}"], "L202",
                               f"rule {rule.id} duplicates {other.id}: same conditions, same "
                               "conclusion", rule.id, pack.id)
            elif not same and all(any(t <= m for t in theirs) for m in mine) and (
                other.effect == "rules_out" or other.certainty >= 1.0
            ):
                # Otherwise the narrower rule still raises the combined certainty.
                yield _finding(pack.origins[f"rule:{rule.id}"], "L202",
                               f"rule {rule.id} is shadowed by {other.id}: {other.id} fires "
                               "whenever it does, for the same conclusion, with full effect",
                               rule.id, pack.id)
                break


# ---------------------------------------------------------------------------------------------
# L203-L207: coverage of the catalogue and the playbook


def _coverage(pack: Pack) -> Iterable[Finding]:
    supported = {r.cause for r in pack.rules if r.cause is not None and r.effect == "supports"}
    for cause in sorted(pack.playbook.causes):
        if cause not in supported:
            yield _finding(pack.origins[f"cause:{cause}"], "L203",
                           f"cause {cause} has no rule that supports it", cause, pack.id)
    # Read by a rule, extractor or template (pack.used_facts), or written by one.
    used = set(pack.used_facts).union(*pack.extractor_targets)
    used.update(rule.derive.fact for rule in pack.rules if rule.derive is not None)
    for fact, spec in sorted(pack.facts.items()):
        origin = pack.origins[f"fact:{fact}"]
        if fact not in used:
            yield _finding(origin, "L204", f"fact {fact} is not used by any rule, extractor "
                           "or template", fact, pack.id)
        if not spec.derived and not spec.ask:
            yield _finding(origin, "L205", f"fact {fact} has no 'ask': agents and chatbots "
                           "cannot be asked for it", fact, pack.id)
    stepped = {r.step for r in pack.rules}
    for position, step in enumerate(pack.playbook.steps):
        if step.id not in stepped:
            yield _finding(pack.origins["playbook"], "L207", f"step {step.id} has no rule",
                           step.id, pack.id, "steps", position)


def _known_when_true(cond: Condition, negate: bool = False) -> set[str]:
    """Facts that are surely known whenever the condition (or its negation) is true.

    A test, or its negation, is only ever true on known facts; ``known`` tests say so directly.
    """
    if cond.all is not None or cond.any is not None:
        children = [_known_when_true(c, negate) for c in (cond.all or cond.any or ())]
        conjunction = (cond.all is not None) != negate
        return set().union(*children) if conjunction else set.intersection(*children)
    if cond.not_ is not None:
        return _known_when_true(cond.not_, not negate)
    if cond.fact is None:
        return set()
    if cond.known is not None:
        return {cond.fact} if cond.known != negate else set()
    known = {cond.fact}
    if cond.operator.endswith("_fact"):
        known.add(str(cond.operand))
    return known


def _guaranteed(rule: RuleSpec) -> set[str]:
    """Facts known whenever the rule fires."""
    return _known_when_true(rule.when)


def _template_guarantees(pack: Pack) -> Iterable[Finding]:
    def unguarded(source: str) -> set[str]:
        ast = ENVIRONMENT.parse(source)
        named = {fact for fact, _ in facts_named(ast)}
        return named - guarded_facts(ast)

    for rule in pack.rules:
        missing = unguarded(rule.because) - _guaranteed(rule)
        if missing:
            yield _finding(pack.origins[f"rule:{rule.id}"], "L206",
                           f"'because' of {rule.id} uses {sorted(missing)} without an "
                           "'in facts' guard, but its conditions do not make them known",
                           rule.id, pack.id, "because")
    for cause_id, cause in sorted(pack.playbook.causes.items()):
        supporting = [r for r in pack.rules if r.cause == cause_id and r.effect == "supports"]
        if not supporting:
            continue
        guaranteed = set.intersection(*(_guaranteed(r) for r in supporting))
        sources = [("remediation", cause.remediation)]
        if cause.escalation is not None:
            sources.append(("escalation", cause.escalation.contact))
            sources.extend(("escalation", s) for s in cause.escalation.send)
        missing = set().union(*(unguarded(s) for _, s in sources)) - guaranteed
        if missing:
            yield _finding(pack.origins[f"cause:{cause_id}"], "L206",
                           f"templates of cause {cause_id} use {sorted(missing)} without an "
                           "'in facts' guard, but not every rule for the cause makes them known",
                           cause_id, pack.id, "remediation")


# ---------------------------------------------------------------------------------------------
# L208: patterns


def _repeat_at(pattern: str, index: int) -> bool:
    """Whether an unbounded repetition (``+``, ``*``, ``{n,}``) starts at ``index``."""
    if index >= len(pattern):
        return False
    if pattern[index] in "+*":
        return True
    if pattern[index] == "{":
        close = pattern.find("}", index)
        body = pattern[index + 1 : close] if close > 0 else ""
        return body.endswith(",")
    return False


def pattern_risk(pattern: str) -> str | None:
    r"""Why a pattern would backtrack catastrophically in a backtracking engine, or None.

    Looks for a repeated group that itself contains a repetition, like ``(a+)+`` or
    ``(\\w*\\s?)*``: linear in RE2, exponential in Python's re or PCRE.
    """
    groups: list[bool] = []  # per open group: does it contain a repetition?
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            if groups and _repeat_at(pattern, index):
                groups[-1] = True
            continue
        if in_class:
            in_class = char != "]"
            index += 1
            if not in_class and groups and _repeat_at(pattern, index):
                groups[-1] = True
            continue
        if char == "[":
            in_class = True
            index += 2 if pattern[index + 1 : index + 2] == "]" else 1
            continue
        if char == "(":
            groups.append(False)
        elif char == ")" and groups:
            inner_repeats = groups.pop()
            if inner_repeats and _repeat_at(pattern, index + 1):
                return "a repeated group that itself repeats, like (a+)+"
            if groups and (inner_repeats or _repeat_at(pattern, index + 1)):
                groups[-1] = True
        elif groups and _repeat_at(pattern, index + 1) and char not in "|":
            groups[-1] = True
        index += 1
    return None


def _patterns(pack: Pack) -> Iterable[Finding]:
    for extractor in pack.extractors:
        risk = pattern_risk(extractor.pattern)
        if risk:
            yield _finding(pack.origins[f"extractor:{extractor.id}"], "L208",
                           f"pattern of {extractor.id}: {risk}; RE2 runs it in linear time, "
                           "but it would hang Python's re or PCRE if ever moved there",
                           extractor.id, pack.id, "pattern")
    for rule in pack.rules:
        for cond in _walk(rule.when):
            if cond.matches is not None:
                risk = pattern_risk(cond.matches)
                if risk:
                    yield _finding(pack.origins[f"rule:{rule.id}"], "L208",
                                   f"pattern in {rule.id}: {risk}", rule.id, pack.id, "when")


def _walk(cond: Condition) -> Iterable[Condition]:
    yield cond
    for child in (*(cond.all or ()), *(cond.any or ())):
        yield from _walk(child)
    if cond.not_ is not None:
        yield from _walk(cond.not_)
    if cond.any_record is not None:
        yield from _walk(cond.any_record)


# ---------------------------------------------------------------------------------------------
# L209-L211: capacity and versions


def _capacity(pack: Pack) -> Iterable[Finding]:
    compiled = pack.compiled
    assert compiled is not None
    crowded = {k: v for k, v in compiled.usage.items() if v >= NEAR_LIMIT}
    if crowded:
        detail = ", ".join(f"{k} {v:.0%}" for k, v in sorted(crowded.items()))
        yield _finding(pack.origins["playbook"], "L209",
                       f"pack {pack.id} uses {detail} of durable_rules' limits in one ruleset "
                       f"(split over {len(compiled.rulesets)} ruleset(s)); each further ruleset "
                       "costs an assertion per diagnosis", pack.id, pack.id)


def _versions(pack: Pack) -> Iterable[Finding]:
    ids = {r.id for r in pack.rules}
    for rule in pack.rules:
        origin = pack.origins[f"rule:{rule.id}"]
        if rule.status == "deprecated":
            yield _finding(origin, "L210", f"rule {rule.id} is deprecated but still fires",
                           rule.id, pack.id, "status")
        for old in rule.replaces:
            if old not in ids:
                yield _finding(origin, "L211", f"rule {rule.id} replaces {old!r}, which is not "
                               "a rule of the pack", rule.id, pack.id, "replaces")


CHECKERS = (_never_fires, _duplicates, _coverage, _template_guarantees, _patterns, _capacity,
            _versions)


def load_suppressions(kb: KnowledgeBase) -> list[Suppression]:
    """Suppressions from every layer's ``lint-suppressions.yaml``.

    Raises:
        KnowledgeBaseError: a suppressions file that cannot be read.
    """
    out: list[Suppression] = []
    for layer in kb.layers:
        path = layer / SUPPRESSIONS_FILE
        if not path.is_file():
            continue
        located = load_yaml_file(path, str(path))
        try:
            out.extend(SuppressionsFile.model_validate(located.data or {}).suppress)
        except ValidationError as error:
            item = error.errors(include_url=False)[0]
            loc = tuple(p for p in item["loc"] if isinstance(p, str | int))
            raise KnowledgeBaseError([located.problem("KB101", str(item["msg"]), loc)]) from None
    return out


@dataclass(frozen=True)
class LintReport:
    """Findings, and those suppressed."""

    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]

    def at_least(self, severity: str) -> list[Finding]:
        """Findings at or above a severity."""
        floor = SEVERITY_RANK[severity]
        return [f for f in self.findings if SEVERITY_RANK[f.problem.severity] >= floor]


def lint(kb: KnowledgeBase) -> LintReport:
    """Run every check on every pack."""
    suppressions = {(s.check, s.id) for s in load_suppressions(kb)}
    found: list[Finding] = []
    for pack_id in sorted(kb.packs):
        pack = kb.packs[pack_id]
        for checker in CHECKERS:
            found.extend(checker(pack))
    found.sort(key=lambda f: (f.problem.file, f.problem.line, f.problem.code, f.id))
    kept = tuple(f for f in found if (f.check, f.id) not in suppressions)
    gone = tuple(f for f in found if (f.check, f.id) in suppressions)
    return LintReport(kept, gone)


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding as plain JSON data."""
    problem = finding.problem
    return {
        "code": problem.code,
        "severity": problem.severity,
        "message": problem.message,
        "id": finding.id,
        "pack": finding.pack,
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "path": problem.key_path,
    }


def problem_json(problem: Problem) -> dict[str, Any]:
    """A hard error as plain JSON data."""
    return {
        "code": problem.code,
        "severity": "error",
        "message": problem.message,
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "path": problem.key_path,
        "suggestion": problem.suggestion,
        "source_line": problem.source_line,
    }


def render_finding(finding: Finding) -> str:
    """Text with the source line and a caret, the severity before the code."""
    problem = finding.problem
    text = problem.render()
    head, _, rest = text.partition("\n")
    where, _, message = head.partition(": ")
    head = f"{where}: {problem.severity}: {message}"
    return head + ("\n" + rest if rest else "")



__all__ = [
    "CHECKS",
    "Finding",
    "LintReport",
    "finding_json",
    "lint",
    "problem_json",
    "render_finding",
]
