"""L212, L213: templates against the render bounds; L215: a value inside backticks.

See :mod:`syncdoctor.kb.template_checks` for the bounds.

The sandbox stops every template that passes a bound when it renders, and the diagnosis then
carries a warning; lint reports beforehand what it can see without rendering.

A remediation's values are escaped as Markdown text (kb.template_markdown); inside a code span
Markdown shows those escapes as they are, and a backtick in the value ends the span. So a value
quoted in backticks is a warning: ``{{ value | code }}`` writes the span safely.
"""

from __future__ import annotations

import re
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


_VALUE_IN_BACKTICKS = re.compile(r"`[^`\n]{0,200}?\{\{(?P<expr>[^`\n]{0,400}?)\}\}[^`\n]{0,200}?`")


def _values_in_backticks(pack: Pack) -> Iterable[Finding]:
    for origin, about, key, source in _templates(pack):
        if key != "remediation":
            continue
        for found in _VALUE_IN_BACKTICKS.finditer(source):
            if re.search(r"\|\s*code\s*$", found["expr"]):
                continue  # already a span of its own
            line = source.count("\n", 0, found.start()) + 1
            yield finding(origin, "L215", f"remediation of {about}, template line {line}: "
                          f"{{{{{found['expr']}}}}} is inside backticks, where its escapes "
                          "would show and a backtick in the value would end the span; write "
                          f"{{{{{found['expr'].rstrip()} | code }}}} without the backticks",
                          about, pack.id, key)
