"""The findings of ``kb lint``, their severities, and suppressions.

Hard errors (the loader's KB1xx codes) stop a load; lint findings (L2xx) have a severity and can
be suppressed per id and check in a committed ``lint-suppressions.yaml`` at a KB layer's root:

    suppress:
      - {check: L206, id: impac.sync-failed, reason: the fact is set by an extractor}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from syncdoctor.errors import Problem
from syncdoctor.kb.problems import Origin

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
SUPPRESSIONS_FILE = "lint-suppressions.yaml"
NEAR_LIMIT = 0.8
"""Share of a durable_rules limit past which a pack gets a warning."""

CHECKS: dict[str, tuple[Severity, str]] = {
    "L201": ("error", "rule can never fire"),
    "L202": ("warning", "rule duplicated or shadowed by another"),
    "L203": ("warning", "cause with no rule supporting it"),
    "L204": ("warning", "fact never used (an error in the bundled knowledge base)"),
    "L205": ("warning", "fact with no question text"),
    "L206": ("error", "template names a fact the conditions do not guarantee, unguarded"),
    "L207": ("warning", "step with no rule"),
    "L208": ("warning", "pattern that would backtrack catastrophically outside RE2"),
    "L209": ("warning", "pack nearing a durable_rules limit"),
    "L210": ("info", "deprecated rule still in use"),
    "L211": ("warning", "rule replaces an id that is not a rule"),
    "L212": ("error", "template fails a render bound at every render"),
    "L213": ("warning", "template may run out of its render budget"),
    "L214": ("warning", "suppression that matches no finding (gone, or a misspelt check or id)"),
    "L215": ("warning", "a remediation's value inside backticks (write {{ value | code }})"),
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


def finding(origin: Origin | None, check: str, message: str, about: str, pack: str,
             *path: str | int, severity: Severity | None = None,
             suggestion: str | None = None) -> Finding:
    """A finding of ``check`` about ``about``, located at ``origin`` (or the pack alone).

    ``severity`` overrides the check's own (an unused fact is an error in the bundled KB).
    """
    severity = severity or CHECKS[check][0]
    if origin is None:
        problem = Problem(check, message, file=pack, severity=severity, suggestion=suggestion)
    else:
        problem = origin.problem(check, message, *path, severity=severity,
                                 suggestion=suggestion)
    return Finding(problem, about, pack)
