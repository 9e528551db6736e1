"""Cross-file checks of one pack: every name a rule, cause or extractor uses must exist and fit.

Every problem is located (file:line:col, key path) and comes with a "did you mean" when a close
name exists; all of them are collected before the load fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from syncdoctor.errors import FactError, Problem
from syncdoctor.kb.clocktimes import parse_zone
from syncdoctor.kb.condition import COMPUTED, ID_PATTERN, Condition, Visit
from syncdoctor.kb.patterns import PatternError, compile_pattern, pattern_error_text
from syncdoctor.kb.periods import parse_year_start
from syncdoctor.kb.problems import Origin, nearest
from syncdoctor.kb.spec import FactSpec, RecordFieldSpec, RuleSpec
from syncdoctor.kb.templates import Renderer, prepare
from syncdoctor.kb.values import parse_duration, type_value

__all__ = ["Checker"]

_NUMBERS = ("integer", "decimal")
_COMPUTED_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "same_text_as": (("text",), ("text",)),
    "close_to": (_NUMBERS, _NUMBERS),
    "ratio_to": (_NUMBERS, _NUMBERS),
    "time_passed_since": (("text",), ("datetime",)),
    "same_period_as": (("text",), ("text",)),
}
"""Per computed operator: the types its subject and its other fact may have."""
_PARAMETERS: tuple[tuple[str, tuple[str, ...], Callable[[str], object] | None], ...] = (
    ("tolerance", _NUMBERS, None),
    ("zone", ("text",), parse_zone),
    ("year_start", ("text",), parse_year_start),
)
"""Modifiers that may name a fact: its allowed types, and how its default is read."""

_FACT_OUTPUT = re.compile(r"""\{\{ ?facts\[(['"])(""" + ID_PATTERN.strip("^$") + r""")\1\] ?\}\}""")
"""``{{ facts['id'] }}``: a fact's value written out, and nothing else."""

Spec = FactSpec | RecordFieldSpec
Path_ = tuple[str | int, ...]


class Checker:
    """Checks one pack's items against its catalogue, appending to a shared problem list."""

    def __init__(self, facts: Mapping[str, FactSpec], problems: list[Problem]) -> None:
        self.facts = facts
        self.problems = problems
        self._unknown: set[tuple[str, int, int, str]] = set()

    def fact(self, origin: Origin, path: Path_, fact: str) -> FactSpec | None:
        """The fact's spec, or None after reporting an unknown fact.

        Once per place written: the two tests ``or_unknown`` stands for are one in the file.
        """
        spec = self.facts.get(fact)
        if spec is None:
            line, column = origin.located.locate((*origin.path, *path))
            if (origin.file, line, column, fact) in self._unknown:
                return None
            self._unknown.add((origin.file, line, column, fact))
            self.problems.append(origin.problem(
                "KB104", f"unknown fact {fact!r}", *path, suggestion=nearest(fact, self.facts)))
        return spec

    def condition(self, rule: RuleSpec, origin: Origin) -> None:
        """Every test of a rule's ``when``: names, operators, operand types, shapes."""
        items = rule.when.conjuncts()
        base: Path_ = ("when", "all") if rule.when.all is not None else ("when",)
        joined: dict[str, int] = {}
        for index, item in enumerate(items):
            where = (*base, index) if rule.when.all is not None else base
            blocked: list[Path_] = []
            for visit in item.walk(where):
                if any(visit.path[: len(b)] == b for b in blocked):
                    continue
                if not self._test(visit, origin, top=visit.path == where):
                    blocked.append((*visit.path, "any_record"))
            spec = self.facts.get(item.fact) if item.fact is not None else None
            if spec is not None and item.fact is not None and (
                spec.derived or item.any_record is not None
            ):
                if item.fact in joined:
                    # Each such test binds its own message: two cannot both see one record.
                    self.problems.append(origin.problem(
                        "KB113", f"{item.fact!r} is tested twice at the top level; put both "
                        "conditions in one test (one any_record with an 'all')", *where))
                joined[item.fact] = index

    def _test(self, visit: Visit, origin: Origin, *, top: bool) -> bool:
        """Check one test; True when its ``any_record`` (if any) is worth checking inside."""
        cond, path, record = visit.condition, visit.path, visit.record
        if not cond.is_test:
            return True
        op = cond.operator
        if record is not None:
            return self._field_test(cond, origin, path, record)
        if cond.field is not None:
            self.problems.append(origin.problem(
                "KB113", "'field' is only used inside any_record; name a 'fact'", *path))
            return False
        spec = self.fact(origin, (*path, "fact"), cond.subject)
        if spec is None:
            return False
        if spec.derived and not top:
            self.problems.append(origin.problem(
                "KB113", f"derived fact {cond.subject!r} may only be tested at the top "
                "level of 'when' (or in its top-level 'all')", *path))
        if spec.derived and op not in ("eq", "in") and not (op == "known" and cond.known):
            self.problems.append(origin.problem(
                "KB113", f"derived fact {cond.subject!r} is tested with eq, in or "
                "known: true only", *path))
        self._operator(cond, spec, origin, path, self.facts, "_fact")
        if op != "any_record":
            return False
        if not top:
            self.problems.append(origin.problem(
                "KB113", "any_record may only be used at the top level of 'when' "
                "(or in its top-level 'all')", *path))
        if spec.type != "records":
            self.problems.append(origin.problem(
                "KB109", f"any_record needs a records fact; {cond.subject!r} is "
                f"{spec.type}", *path))
            return False
        return True

    def _field_test(self, cond: Condition, origin: Origin, path: Path_, record: str) -> bool:
        fields = self.facts[record].fields or {}
        if cond.fact is not None:
            self.problems.append(origin.problem(
                "KB113", "inside any_record, tests name a record 'field', not a 'fact'", *path))
            return False
        name = cond.subject
        field_spec = fields.get(name)
        if field_spec is None:
            self.problems.append(origin.problem(
                "KB104", f"unknown field {name!r} of {record!r} records", *path, "field",
                suggestion=nearest(name, fields)))
            return False
        self._operator(cond, field_spec, origin, path, fields, "_field")
        return False

    def _operator(self, cond: Condition, spec: Spec, origin: Origin, path: Path_,
                  peers: Mapping[str, Spec], suffix: str) -> None:
        op = cond.operator
        kind = spec.type
        name = cond.subject
        at = (*path, op)

        def bad(message: str, suggestion: str | None = None) -> None:
            self.problems.append(origin.problem("KB109", message, *at, suggestion=suggestion))

        if op == "known" or op == "any_record":
            return
        if op in COMPUTED:
            self._computed(cond, spec, origin, at)
            return
        if op.endswith(("_fact", "_field")):
            if not op.endswith(suffix):
                bad(f"{op} is for {'records' if suffix == '_fact' else 'facts'}; use "
                    f"{op.rsplit('_', 1)[0]}{suffix}")
                return
            other = str(cond.operand)
            other_spec = peers.get(other)
            if other_spec is None:
                what = "fact" if suffix == "_fact" else "field"
                self.problems.append(origin.problem(
                    "KB104", f"unknown {what} {other!r}", *at, suggestion=nearest(other, peers)))
                return
            if getattr(other_spec, "derived", False) or getattr(spec, "derived", False):
                self.problems.append(origin.problem(
                    "KB113", f"{op} cannot compare with a derived fact ({other!r}); test the "
                    "derived fact with eq or in", *at))
                return
            if other_spec.type != kind and {kind, other_spec.type} != {"integer", "decimal"}:
                bad(f"cannot compare {name!r} ({kind}) with {other!r} ({other_spec.type})")
            if kind in ("records",) or (op[:2] in ("lt", "le", "gt", "ge")
                                        and kind in ("bool", "enum", "text")):
                bad(f"{op} cannot compare {kind} values")
            return
        if suffix == "_field" and op in ("matches", "older_than", "newer_than"):
            self.problems.append(origin.problem(
                "KB113", f"{op} is not available inside any_record; test record fields with "
                "comparisons", *at))
            return
        if op == "matches":
            if kind != "text":
                bad(f"matches needs a text fact; {name!r} is {kind}")
                return
            try:
                compile_pattern(str(cond.operand))
            except PatternError as error:
                self.problems.append(origin.problem(
                    "KB112", f"invalid RE2 pattern: {pattern_error_text(error)}", *at))
            return
        if op in ("older_than", "newer_than"):
            if kind != "datetime":
                bad(f"{op} needs a datetime fact; {name!r} is {kind}")
                return
            try:
                parse_duration(cond.duration)
            except ValueError as error:
                bad(str(error))
            return
        if op in ("lt", "le", "gt", "ge") and kind in ("bool", "enum", "text", "records"):
            bad(f"{op} cannot compare {kind} values")
            return
        if kind == "records":
            bad(f"a records fact is tested with any_record or known, not {op}")
            return
        for value in cond.constants:
            try:
                typed = type_value(name, spec, value)
            except FactError as error:
                allowed = spec.values or ()
                # The error's "fact 'x': " and "; got 'v'": this message says both first.
                message = str(error).split(": ", 1)[-1]
                why = message.rpartition("; got ")[0] or message
                bad(f"{value!r} is not a valid {kind} value for {name!r}: {why}",
                    nearest(str(value), allowed) if allowed else None)
                continue
            if kind == "enum" and typed != value:
                bad(f"write enum values exactly as declared: {typed!r}, not {value!r}")
            elif kind == "bool" and not isinstance(value, bool):
                # A case may say "yes" for true; a rule says what it means, in YAML's words.
                bad(f"a true/false fact is tested with true or false, not {value!r}")

    def _computed(self, cond: Condition, spec: Spec, origin: Origin, at: Path_) -> None:
        """A test comparing two facts: the other fact, both types, and the modifiers."""
        op, name, other = cond.operator, cond.subject, str(cond.operand)

        def bad(message: str, *where: str | int) -> None:
            self.problems.append(origin.problem("KB109", message, *(where or at)))

        other_spec = self.fact(origin, at, other)
        if other_spec is None:
            return
        if other_spec.derived:
            self.problems.append(origin.problem(
                "KB113", f"{op} cannot compare with a derived fact ({other!r})", *at))
            return
        want_left, want_right = _COMPUTED_TYPES[op]
        if spec.type not in want_left:
            bad(f"{op} needs {' or '.join(want_left)} facts; {name!r} is {spec.type}")
        if other_spec.type not in want_right:
            bad(f"{op} compares with {' or '.join(want_right)} facts; {other!r} is "
                f"{other_spec.type}")
        base = at[:-1]
        for modifier, kinds, reader in _PARAMETERS:
            value = getattr(cond, modifier)
            if value is None:
                continue
            where = (*base, modifier)
            if not isinstance(value, str):
                if value < 0:
                    bad(f"{modifier} cannot be negative", *where)
                continue
            param = self.fact(origin, where, value)
            if param is None:
                continue
            if param.type not in kinds:
                bad(f"{modifier} names a {' or '.join(kinds)} fact; {value!r} is "
                    f"{param.type}", *where)
            elif reader is not None and param.default is not None and reader(
                    str(param.default)) is None:
                bad(f"the default of {value!r} ({param.default!r}) is not a valid {modifier}",
                    *where)
        if cond.at_least is not None and cond.at_least < 0:
            bad("at_least cannot be negative", *base, "at_least")

    def template(self, origin: Origin, path: Path_, source: str, *,
                 no_record: str | None = None, markdown: bool = False) -> Renderer | None:
        """The checked template, or None after reporting each of its problems.

        ``no_record``: why ``record`` is empty where it renders; ``markdown``: its values are
        escaped as Markdown (see ``templates.prepare``).
        """
        quoted = _quoted_facts(source)
        if quoted is not None and all(fact in self.facts for fact in quoted):
            # Nothing in it but text and known facts written out: no check can fail. Parsing
            # it is most of a large KB's load, so that waits for its first render, where the
            # checks run again, as for a template read from the compiled-KB cache.
            return Renderer.checked(source, quoted, markdown=markdown)
        issues, renderer = prepare(source, self.facts, no_record=no_record, markdown=markdown)
        if renderer is not None:
            return renderer
        for issue in issues:
            problem = origin.problem(
                "KB108", issue.message, *path,
                suggestion=nearest(issue.name, self.facts) if issue.name else None)
            if "\n" in source.strip("\n"):
                # A block scalar's text starts on the line after its key.
                problem = origin.at_template_line(problem, issue.line)
            self.problems.append(_at_name(problem, issue.name))
        return None


def _at_name(problem: Problem, name: str | None) -> Problem:
    """The problem's caret under the name it is about, when the line it shows holds it."""
    if not name or problem.source_line is None:
        return problem
    line = problem.source_line
    for quoted in (f'"{name}"', f"'{name}'"):  # as written in facts['x'], not inside another id
        found = line.find(quoted)
        if found >= 0:
            return replace(problem, column=found + 2)
    found = line.find(name)
    return replace(problem, column=found + 1) if found >= 0 else problem


def _quoted_facts(source: str) -> frozenset[str] | None:
    """The facts of a template made only of text and ``{{ facts['id'] }}``; else None.

    The text may hold no brace at all, so no other Jinja construct can hide in it.
    """
    if "{" not in source:
        return None  # plain text: prepare() already knows it needs no parse
    rest = _FACT_OUTPUT.sub("", source)
    if "{" in rest or "}" in rest:
        return None
    return frozenset(match.group(2) for match in _FACT_OUTPUT.finditer(source))
