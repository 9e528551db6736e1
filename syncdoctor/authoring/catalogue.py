"""A pack's facts as an agent reads them: grouped by playbook step, and as a case-file template.

``syncdoctor facts`` lists them; ``syncdoctor new-case`` writes the template, in which every fact
is a commented line with its type, question and help, so that nobody hunts for fact ids. Each
commented line holds an example value of the right type: uncommented as it is, the file loads
and diagnoses (a test does exactly that for every bundled pack).
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from datetime import datetime

from syncdoctor.kb.pack import PackSource
from syncdoctor.kb.spec import FactSpec
from syncdoctor.kb.values import iso_moment
from syncdoctor.types import JsonValue

__all__ = ["FactGroup", "case_template", "example_value", "fact_groups", "fact_summary"]

WIDTH = 96
DERIVED = "worked out by rules (you may also give them directly)"
UNUSED = "not read by any rule (kept for reports and remediation texts)"


@dataclass(frozen=True)
class FactGroup:
    """The facts an agent is first asked at one playbook step (or one of the two extra groups)."""

    step: str | None
    """The step id; None for the derived and the unused groups."""
    title: str
    facts: tuple[str, ...]


def fact_groups(pack: PackSource) -> list[FactGroup]:
    """Every fact of the pack, once, under the earliest step whose rules ask it.

    Facts only rules conclude come in a group of their own, and so do facts no rule reads.
    """
    first_step: dict[str, int] = {}
    for rule_index, asked in enumerate(pack.index.asked_facts):
        position = pack.index.rule_steps[rule_index]
        for fact in asked:
            first_step[fact] = min(position, first_step.get(fact, position))
    for source, targets in pack.index.extracted_from.items():
        # An error message is asked at the step of the first fact it can fill in.
        steps = [first_step[t] for t in targets if t in first_step]
        if steps:
            first_step[source] = min([*steps, first_step.get(source, min(steps))])
    groups: list[FactGroup] = []
    for position, step in enumerate(pack.playbook.steps):
        facts = tuple(f for f in pack.facts if first_step.get(f) == position)
        if facts:
            groups.append(FactGroup(step.id, f"step {position + 1}: {step.title}", facts))
    rest = [f for f in pack.facts if f not in first_step]
    derived = tuple(f for f in rest if pack.facts[f].derived)
    unused = tuple(f for f in rest if not pack.facts[f].derived)
    if derived:
        groups.append(FactGroup(None, DERIVED, derived))
    if unused:
        groups.append(FactGroup(None, UNUSED, unused))
    return groups


def fact_summary(fact: str, spec: FactSpec) -> str:
    """The fact's type in a few words: ``enum: success | failed``, ``decimal (%), 0 to 100``."""
    text: str = spec.type
    if spec.values:
        text += ": " + " | ".join(spec.values)
    if spec.unit:
        text += f" ({spec.unit})"
    if spec.minimum is not None or spec.maximum is not None:
        low = "" if spec.minimum is None else _number(spec.minimum)
        high = "" if spec.maximum is None else _number(spec.maximum)
        text += f", {low or 'any'} to {high or 'any'}"
    if spec.fields:
        parts = [f"{name}{'*' if field.required else ''}: {field.type}"
                 for name, field in spec.fields.items()]
        text += " of {" + ", ".join(parts) + "}"
    return text


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def example_value(spec: FactSpec, now: datetime) -> JsonValue:
    """A valid value of the fact's type: what the template's commented line holds."""
    match spec.type:
        case "bool":
            return True
        case "enum":
            return (spec.values or ("?",))[0]
        case "integer":
            return int(spec.minimum) if spec.minimum is not None else 1
        case "decimal":
            return str(_number(spec.minimum)) if spec.minimum is not None else "0.00"
        case "datetime":
            return iso_moment(now)
        case "duration":
            return "2h"
        case "records":
            record: dict[str, JsonValue] = {}
            for name, field in (spec.fields or {}).items():
                record[name] = example_value(FactSpec(type=field.type, values=field.values), now)
            return [record]
        case _:
            return "..."


def _comment(text: str, indent: str) -> list[str]:
    lines: list[str] = []
    for paragraph in text.strip().splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, WIDTH - len(indent) - 4) or [""])
    return [f"{indent}#   {line}".rstrip() for line in lines]


def case_template(pack: PackSource, now: datetime) -> str:
    """A case file for ``pack`` with every fact commented out, grouped by playbook step."""
    out = [
        f"# A case for pack {pack.id}: {pack.playbook.title}",
        "#",
        "# Fill in what you know: uncomment a fact's last line and replace the example value.",
        "# Leave out what you do not know; list facts the customer cannot answer under 'unknown'.",
        "# Then run: syncdoctor diagnose THIS-FILE   (or: syncdoctor interview THIS-FILE)",
        "title: " + json.dumps(f"New {pack.id} case"),
        f"pack: {pack.id}",
        f"now: '{iso_moment(now)}'  # the clock for ages of datetimes; remove it to use the "
        "real clock",
        "# unknown: [fact.id, other.fact]",
        "facts:",
    ]
    for group in fact_groups(pack):
        out.append("")
        out.append(f"  # --- {group.title} " + "-" * max(3, WIDTH - len(group.title) - 9))
        for fact in group.facts:
            spec = pack.facts[fact]
            out.append("  #")
            out.append(f"  # {fact} ({fact_summary(fact, spec)})")
            if spec.ask:
                out.extend(_comment(spec.ask, "  "))
            if spec.help:
                out.extend(_comment("help: " + spec.help, "  "))
            for value, meaning in spec.value_help.items():
                out.extend(_comment(f"{value}: {meaning}", "  "))
            sources = [s for s, targets in pack.index.extracted_from.items() if fact in targets]
            if sources:
                out.extend(_comment(f"(usually worked out from {', '.join(sources)})", "  "))
            example = json.dumps(example_value(spec, now), ensure_ascii=False)
            out.append(f"  # {fact}: {example}")
    return "\n".join(out) + "\n"
