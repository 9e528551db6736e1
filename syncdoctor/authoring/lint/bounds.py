"""L212, L213: templates against the render bounds (see :mod:`syncdoctor.kb.template_checks`).

The sandbox stops every template that passes a bound when it renders, and the diagnosis then
carries a warning; lint reports beforehand what it can see without rendering.
"""

from __future__ import annotations

from collections.abc import Iterable

from syncdoctor.authoring.lint.core import Finding, finding
from syncdoctor.engine.knowledge import Pack
from syncdoctor.kb.problems import Origin
from syncdoctor.kb.template_checks import bound_risks
from syncdoctor.kb.templates import ENVIRONMENT


def _templates(pack: Pack) -> Iterable[tuple[Origin, str, str, str]]:
    """Every template of the pack: (origin, the id it belongs to, its key, its source)."""
    for rule in pack.rules:
        yield pack.origins.rules[rule.id], rule.id, "because", rule.because
    for cause_id, cause in sorted(pack.playbook.causes.items()):
        origin = pack.origins.causes[cause_id]
        yield origin, cause_id, "remediation", cause.remediation
        if cause.escalation is not None:
            for source in (cause.escalation.contact, *cause.escalation.send):
                yield origin, cause_id, "escalation", source


def _template_bounds(pack: Pack) -> Iterable[Finding]:
    for origin, about, key, source in _templates(pack):
        if "{" not in source:
            continue  # plain text: nothing to render
        for check, message, line in bound_risks(ENVIRONMENT.parse(source)):
            yield finding(origin, check, f"{key} of {about}, template line {line}: {message}",
                          about, pack.id, key)
