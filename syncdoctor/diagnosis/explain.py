"""Explanation: evidence, combined certainties, causes (ranked: diagnosis/ranking.py), ruled out.

Each template is rendered for the case, or leaves a warning when it fails.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from syncdoctor.diagnosis.case import Case
from syncdoctor.diagnosis.ranking import rank_causes
from syncdoctor.engine.session import Firing, Firings
from syncdoctor.errors import REDACTED, bounded
from syncdoctor.kb.template_failure import render_failure
from syncdoctor.kb.templates import Renderer
from syncdoctor.kb.values import jsonable, redact_secrets
from syncdoctor.types import JsonValue, Record

__all__ = ["NOT_FIXED_RULE", "RENDER_FAILED", "Explanation", "combine", "explain"]

RENDER_FAILED = " could not render: "
"""In a warning: a template failed on this case (``kb test`` counts it as a failure)."""

NOT_FIXED_RULE = "agent.not_fixed"
"""The ``rule`` of the evidence that rules a cause out because its remediation did not fix it."""

WARNING_LIMIT = 500
"""Longest warning a failed template leaves (its error may quote what it was given)."""
Data = dict[str, JsonValue]
"""A result object as plain data, validated once as a whole into the Diagnosis."""


@dataclass
class Explanation:
    """Causes, ruled-out causes and warnings, as plain data for the Diagnosis."""

    causes: list[Data] = field(default_factory=list)
    ruled_out: list[Data] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    against: set[str] = field(default_factory=set)
    """The ids of ruled-out causes."""
    confirmed: dict[str, float] = field(default_factory=dict)
    """Cause id -> its combined certainty."""


def combine(certainties: list[float]) -> float:
    """MYCIN's combination of positive certainty factors: cf = a + b(1 - a)."""
    total = 0.0
    for value in sorted(certainties, reverse=True):
        total = total + value * (1 - total)
    return round(total, 4)


class _CaseRenderer:
    """Renders a pack's templates for one case; a failure becomes a warning, never a crash."""

    def __init__(self, case: Case, warnings: list[str]) -> None:
        self.case = case
        self.warnings = warnings
        # A secret fact renders as *** like everywhere else (the author cannot leak it). Without
        # one, the case's facts are read as they are: the sandbox is immutable, and so is a
        # direct render.
        self.facts: Mapping[str, object] = (
            case.facts if case.pack.prepared.secrets.isdisjoint(case.facts)
            else redact_secrets(case.facts, case.pack.facts)
        )

    def render(
        self, template: Renderer, what: str, record: Mapping[str, object] | None = None
    ) -> str | None:
        """The rendered text, or None after a warning naming ``what``."""
        context = {"facts": self.facts, "now": self.case.now, "record": record or {}}
        try:
            return template.render(context)
        except Exception as error:  # a template is KB data: its failure must not crash
            why = render_failure(error, self.case.pack.facts)
            line = template.failed_line(error)
            where = f"line {line} of the template: " if line is not None else ""
            self.warnings.append(bounded(f"{what}{RENDER_FAILED}{where}{why}", WARNING_LIMIT))
            return None


def _record_view(case: Case, fact: str, position: int | None) -> Record | None:
    """The typed record a firing bound, found by its position: O(1) per firing.

    (Scanning every record for every firing made 10,000 records take most of a minute.)
    """
    records = case.facts.get(fact)
    if position is None or not isinstance(records, list) or not 0 <= position < len(records):
        return None
    return dict(records[position])


def _evidence(case: Case, firings: Firings, renderer: _CaseRenderer,
              ) -> tuple[dict[str, list[Data]], dict[str, list[Data]]]:
    pack = case.pack
    source = pack.source  # the Pack's properties each cost a call: read them once
    facts_of, specs, rules = source.index.facts_of, source.facts, source.rules
    because_of = source.templates.because
    known = case.facts
    support: dict[str, list[Data]] = defaultdict(list)
    against: dict[str, list[Data]] = defaultdict(list)
    for index in sorted(firings.rules):
        rule = rules[index]
        if rule.cause is None:
            continue
        used: Data = {}
        records_fact: str | None = None  # the first records fact the rule reads
        for f in facts_of[rule.id]:
            spec = specs[f]
            if spec.type == "records":
                records_fact = records_fact or f
            elif f in known:
                used[f] = REDACTED if spec.secret else jsonable(known[f])
        shown = _records_shown(case, firings.rules[index], records_fact)
        for _, (record, plain) in shown:
            because = renderer.render(because_of[rule.id], f"rule {rule.id}: 'because'", record)
            evidence: Data = {
                "rule": rule.id,
                "because": because if because is not None else rule.id,
                "certainty": rule.certainty,
                "effect": rule.effect,
                "facts": used,
                "record": plain,
            }
            (support if rule.effect == "supports" else against)[rule.cause].append(evidence)
    return support, against


Shown = tuple[Record | Mapping[str, JsonValue] | None, JsonValue]


def _records_shown(case: Case, fired: list[Firing], fact: str | None) -> list[tuple[str, Shown]]:
    """The distinct records a rule's firings bound (for its texts, and as shown), in order.

    One firing per true alternative of the rule: one evidence per distinct record. A rule over
    facts alone has no record: one evidence.
    """
    if all(firing.record is None for firing in fired):
        return [("None", (None, None))]
    records: list[Record | Mapping[str, JsonValue] | None] = []
    for firing in fired:
        bound = firing.record
        if bound is None or fact is None:
            records.append(None)
            continue
        view = _record_view(case, fact, firing.position) or bound
        records.append({k: REDACTED for k in view} if case.pack.facts[fact].secret else view)
    distinct = {repr(plain): (r, plain) for r in records for plain in (_plain(r),)}
    return sorted(distinct.items())


def _plain(record: Record | Mapping[str, JsonValue] | None) -> JsonValue:
    if record is None:
        return None
    return jsonable(dict(record))  # type: ignore[arg-type]  # typed or encoded: both plain here


def _not_fixed_reason(cause_id: str) -> Data:
    """The evidence against a cause whose remediation was applied and did not fix the problem."""
    return {
        "rule": NOT_FIXED_RULE,
        "because": "Its remediation was applied and did not fix the problem.",
        "certainty": 1.0,
        "effect": "rules_out",
        "facts": {},
        "record": None,
    }


def explain(case: Case, firings: Firings, not_fixed: Collection[str] = ()) -> Explanation:
    """The causes that hold and those ruled out, with their evidence and rendered texts.

    ``not_fixed``: causes whose remediation the agent applied without fixing the problem; each
    is ruled out with that reason, whatever the rules say (the playbooks' "go to the next step
    if this has not solved your issue").
    """
    pack = case.pack
    playbook = pack.playbook
    templates = pack.templates
    step_order = pack.index.step_order
    out = Explanation()
    renderer = _CaseRenderer(case, out.warnings)
    support, against = _evidence(case, firings, renderer)
    for cause_id in sorted(set(not_fixed)):
        against[cause_id].append(_not_fixed_reason(cause_id))
    for cause_id in sorted(set(support) | set(against)):
        spec = playbook.causes[cause_id]
        if cause_id in against:
            out.ruled_out.append(
                {"id": cause_id, "title": spec.title, "reasons": list(against[cause_id])}
            )
            continue
        found = support[cause_id]
        distinct_rules = sorted({str(e["rule"]) for e in found})
        certainty = combine(
            [pack.rules[pack.index.rule_index[r]].certainty for r in distinct_rules]
        )
        remediation = renderer.render(
            templates.remediation[cause_id], f"cause {cause_id}: remediation"
        )
        escalation: Data | None = None
        if spec.escalation is not None:
            what = f"cause {cause_id}: escalation"
            contact = renderer.render(templates.contact[cause_id], what)
            sends: list[JsonValue] = []
            for template in templates.send.get(cause_id, ()):
                if contact is None:
                    break
                sent = renderer.render(template, what)
                if sent is None:
                    contact = None
                    break
                sends.append(sent)
            escalation = {"contact": contact, "send": sends} if contact is not None else None
        out.causes.append({
            "id": cause_id,
            "title": spec.title,
            "step": spec.step,
            "step_title": playbook.steps[step_order[spec.step]].title,
            "certainty": certainty,
            "evidence": list(found),
            "remediation": remediation,
            "escalation": escalation,
        })
    out.causes = rank_causes(out.causes, playbook.causes, step_order)
    out.ruled_out.sort(
        key=lambda r: (step_order[playbook.causes[str(r["id"])].step], str(r["id"]))
    )
    out.against = set(against)
    out.confirmed = {str(c["id"]): _number(c["certainty"]) for c in out.causes}
    return out


def _number(value: JsonValue) -> float:
    return float(value) if isinstance(value, int | float) else 0.0

