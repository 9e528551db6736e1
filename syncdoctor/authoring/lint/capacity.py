"""L209-L211: packs near durable_rules' limits, deprecated rules, replaced ids."""

from __future__ import annotations

from collections.abc import Iterable

from syncdoctor.authoring.lint.core import NEAR_LIMIT, Finding, finding
from syncdoctor.engine.knowledge import Pack


def _capacity(pack: Pack) -> Iterable[Finding]:
    compiled = pack.compiled
    crowded = {k: v for k, v in compiled.usage.items() if v >= NEAR_LIMIT}
    if crowded:
        detail = ", ".join(f"{k} {v:.0%}" for k, v in sorted(crowded.items()))
        yield finding(pack.origins.playbook, "L209",
                       f"pack {pack.id} uses {detail} of durable_rules' limits in one ruleset "
                       f"(split over {len(compiled.rulesets)} ruleset(s)); each further ruleset "
                       "costs an assertion per diagnosis", pack.id, pack.id)


def _versions(pack: Pack) -> Iterable[Finding]:
    ids = {r.id for r in pack.rules}
    for rule in pack.rules:
        origin = pack.origins.rules[rule.id]
        if rule.status == "deprecated":
            yield finding(origin, "L210", f"rule {rule.id} is deprecated but still fires",
                           rule.id, pack.id, "status")
        for old in rule.replaces:
            if old not in ids:
                yield finding(origin, "L211", f"rule {rule.id} replaces {old!r}, which is not "
                               "a rule of the pack", rule.id, pack.id, "replaces")
