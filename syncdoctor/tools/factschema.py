"""The ``facts`` argument as a typed JSON Schema object, one property per fact of the catalogue.

Each property carries the fact's question and help as its description, written for a language
model, its enum values and formats. Across several packs a fact id keeps one property: enum
values are merged, and the description says which pack has which.
"""

from __future__ import annotations

from collections.abc import Iterable

from syncdoctor.engine.knowledge import Pack
from syncdoctor.kb.spec import FactSpec, RecordFieldSpec
from syncdoctor.types import JsonValue

__all__ = ["Schema", "facts_object", "nullable"]

Schema = dict[str, JsonValue]
"""A JSON Schema, as JSON data."""


def nullable(schema: Schema) -> Schema:
    """The schema, also admitting null ("unknown")."""
    out = dict(schema)
    if "anyOf" in out:
        branches = out["anyOf"]
        assert isinstance(branches, list)
        if {"type": "null"} not in branches:
            out["anyOf"] = [*branches, {"type": "null"}]
        return out
    kind = out.get("type")
    if isinstance(kind, str) and kind != "null":
        out["type"] = [kind, "null"]
    values = out.get("enum")
    if isinstance(values, list) and None not in values:
        out["enum"] = [*values, None]
    return out


def _scalar(kind: str, values: Iterable[str] | None, minimum: float | None,
            maximum: float | None) -> Schema:
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "enum":
        return {"type": "string", "enum": list(values or ())}
    if kind == "datetime":
        return {"type": "string", "format": "date-time"}
    if kind == "duration":
        return {"anyOf": [
            {"type": "integer", "description": "Seconds."},
            {"type": "string", "description": "A duration: 90s, 15m, 2h, 1d 12h or PT2H."},
        ]}
    if kind in ("integer", "decimal"):
        out: Schema = {"type": "integer" if kind == "integer" else "number"}
        if minimum is not None:
            out["minimum"] = minimum
        if maximum is not None:
            out["maximum"] = maximum
        return out
    return {"type": "string"}


def _field(name: str, spec: RecordFieldSpec, strict: bool) -> Schema:
    out = _scalar(spec.type, spec.values, None, None)
    out["description"] = (spec.help or f"The record's {name}.") + (
        "" if spec.required else " null if unknown.")
    return nullable(out) if strict or not spec.required else out


def _records(spec: FactSpec, strict: bool) -> Schema:
    fields = spec.fields or {}
    properties: dict[str, JsonValue] = {
        name: _field(name, field, strict) for name, field in fields.items()
    }
    required: list[JsonValue] = list(fields) if strict else [
        n for n, f in fields.items() if f.required]
    item: Schema = {"type": "object", "properties": properties, "required": required,
                    "additionalProperties": False}
    return {"type": "array", "items": item}


def _description(spec: FactSpec, fact: str, packs: list[str], every_pack: bool,
                 strict: bool) -> str:
    parts = [spec.ask or f"What is {fact}?"]
    if spec.help:
        parts.append(spec.help)
    if spec.value_help:
        parts.append("Values: " + "; ".join(f"{v}: {h}" for v, h in spec.value_help.items()))
    if spec.unit:
        parts.append(f"Unit: {spec.unit}.")
    if spec.derived:
        parts.append("Usually worked out by the rules; give it only if known for sure.")
    if every_pack:
        parts.append(f"Pack{'s' if len(packs) > 1 else ''}: {', '.join(packs)}.")
    parts.append("null if unknown." if strict else "null (or leave it out) if unknown.")
    return " ".join(parts)


def _property(fact: str, owners: list[tuple[Pack, FactSpec]], strict: bool,
              every_pack: bool) -> Schema:
    first = owners[0][1]
    if first.type == "records":
        schema = _records(first, strict)
    else:
        values: list[str] = []
        for _, spec in owners:
            values.extend(v for v in spec.values or () if v not in values)
        schema = _scalar(first.type, values, first.minimum, first.maximum)
    packs = [p.id for p, _ in owners]
    schema["description"] = _description(first, fact, packs, every_pack, strict)
    return nullable(schema)


def facts_object(packs: Iterable[Pack], *, strict: bool) -> Schema:
    """The ``facts`` object for these packs; ``strict``: every property required (nullable)."""
    chosen = list(packs)
    owners: dict[str, list[tuple[Pack, FactSpec]]] = {}
    for pack in chosen:
        for fact, spec in pack.facts.items():
            owners.setdefault(fact, []).append((pack, spec))
    properties: dict[str, JsonValue] = {}
    for fact in sorted(owners):
        found = owners[fact]
        kinds = {spec.type for _, spec in found}
        if len(kinds) > 1:  # one id, two types in two packs: the first pack's type is described
            found = [item for item in found if item[1].type == found[0][1].type]
        properties[fact] = _property(fact, found, strict, len(chosen) > 1)
    title = " or ".join(p.id for p in chosen)
    return {
        "type": "object",
        "description": f"What is known about the case, one property per fact of {title}."
        + (" Give what you know; unknown facts are null." if strict else
           " Give what you know; unknown facts are null or left out."),
        "properties": properties,
        "required": list(properties) if strict else [],
        "additionalProperties": False,
    }
