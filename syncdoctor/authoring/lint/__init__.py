"""``syncdoctor kb lint``: findings about a knowledge base that loads but is probably wrong.

Each family of checks has its module (as pySigma's validators do); this one runs them all and
applies the suppressions of every layer (see :mod:`syncdoctor.authoring.lint.core`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from syncdoctor.authoring.lint.bounds import _template_bounds, _values_in_backticks
from syncdoctor.authoring.lint.capacity import _capacity, _versions
from syncdoctor.authoring.lint.contradictions import _duplicates, _never_fires
from syncdoctor.authoring.lint.core import (
    CHECKS,
    SEVERITY_RANK,
    SUPPRESSIONS_FILE,
    Finding,
    Suppression,
    SuppressionsFile,
    finding,
)
from syncdoctor.authoring.lint.coverage import _coverage, _template_guarantees
from syncdoctor.authoring.lint.patterns import _patterns, pattern_risk
from syncdoctor.authoring.lint.terseness import Terseness, measure
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.errors import KnowledgeBaseError, Problem
from syncdoctor.kb.problems import Origin, field_names, nearest, validation_problems
from syncdoctor.kb.yamlfile import load_yaml_file
from syncdoctor.types import JsonValue

__all__ = [
    "CHECKS",
    "Finding",
    "LintReport",
    "finding_json",
    "lint",
    "pattern_risk",
    "problem_json",
    "render_finding",
]

CHECKERS = (_never_fires, _duplicates, _coverage, _template_guarantees, _patterns, _capacity,
            _versions, _template_bounds, _values_in_backticks)


def load_suppressions(kb: KnowledgeBase) -> list[tuple[Suppression, Origin]]:
    """Suppressions from every layer's ``lint-suppressions.yaml``, each with where it is.

    Raises:
        KnowledgeBaseError: a suppressions file that cannot be read.
    """
    out: list[tuple[Suppression, Origin]] = []
    for layer in kb.layers:
        path = layer / SUPPRESSIONS_FILE
        if not path.is_file():
            continue
        located = load_yaml_file(path, str(path))
        try:
            entries = SuppressionsFile.model_validate(located.data or {}).suppress
        except ValidationError as error:
            keys = field_names(SuppressionsFile, Suppression)
            raise KnowledgeBaseError(
                validation_problems(located, error, keys, model=SuppressionsFile)) from None
        out.extend((entry, Origin(located, ("suppress", i))) for i, entry in enumerate(entries))
    return out


def _unused(
    entries: list[tuple[Suppression, Origin]], found: list[Finding], kb: KnowledgeBase
) -> list[Finding]:
    """L214 for each suppression no finding matches: the finding went away, or a typo."""
    matched = {(f.check, f.id) for f in found}
    out: list[Finding] = []
    for entry, origin in entries:
        if (entry.check, entry.id) in matched:
            continue
        pack = next((p for p in sorted(kb.packs) if entry.id == p or entry.id.startswith(
            (p + ".", p + "/"))), "")
        if entry.check not in CHECKS:
            out.append(finding(origin, "L214", f"unknown check {entry.check!r}", entry.id, pack,
                               "check", suggestion=nearest(entry.check, CHECKS)))
            continue
        ids = {f.id for f in found if f.check == entry.check}
        out.append(finding(
            origin, "L214", f"no {entry.check} finding about {entry.id!r} to suppress: the "
            "finding is gone (remove the suppression) or the id is misspelt", entry.id, pack,
            "id", suggestion=nearest(entry.id, ids)))
    return out


@dataclass(frozen=True)
class LintReport:
    """Findings, and those suppressed."""

    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    terseness: Terseness | None = None
    """Lines per rule and the repeated patterns (figures, not findings)."""

    def at_least(self, severity: str) -> list[Finding]:
        """Findings at or above a severity."""
        floor = SEVERITY_RANK[severity]
        return [f for f in self.findings if SEVERITY_RANK[f.problem.severity] >= floor]


def lint(kb: KnowledgeBase) -> LintReport:
    """Run every check on every pack."""
    entries = load_suppressions(kb)
    suppressions = {(s.check, s.id) for s, _ in entries}
    found: list[Finding] = []
    for pack_id in sorted(kb.packs):
        pack = kb.packs[pack_id]
        for checker in CHECKERS:
            found.extend(checker(pack))
    found.extend(_unused(entries, found, kb))
    found.sort(key=lambda f: (f.problem.file, f.problem.line, f.problem.code, f.id))
    kept = tuple(f for f in found if (f.check, f.id) not in suppressions)
    gone = tuple(f for f in found if (f.check, f.id) in suppressions)
    return LintReport(kept, gone, measure(kb))


def finding_json(finding: Finding) -> dict[str, JsonValue]:
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
        "suggestion": problem.suggestion,
    }


def problem_json(problem: Problem) -> dict[str, JsonValue]:
    """A hard error as plain JSON data."""
    return {**problem.to_dict(), "severity": "error"}


def render_finding(finding: Finding) -> str:
    """Text with the source line and a caret, the severity before the code."""
    problem = finding.problem
    text = problem.render()
    head, _, rest = text.partition("\n")
    where, _, message = head.partition(": ")
    head = f"{where}: {problem.severity}: {message}"
    return head + ("\n" + rest if rest else "")
