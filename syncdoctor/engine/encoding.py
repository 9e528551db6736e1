"""How typed facts reach durable_rules: field names, encoded values, unknown markers.

durable_rules has no decimal, date or duration type, takes floats in exponent form badly, and
compares floats exactly; so every value is turned into something it compares correctly:
numbers become integers scaled by 10**6, datetimes epoch seconds, durations seconds. Fact ids
contain dots, which durable_rules would read as nested paths, so each fact gets a short field
name of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from syncdoctor.kb.spec import FactSpec
from syncdoctor.kb.values import SCALE
from syncdoctor.types import FactValue

__all__ = ["LONG_TEXT", "Encoded", "FieldMap", "encode", "unknown_marker"]

LONG_TEXT = 256
"""Text longer than this reaches durable_rules as a digest."""
MARKER_SUFFIX = "_u"

Encoded = bool | str | int
"""A value as durable_rules sees it."""


def encode(kind: str, value: FactValue) -> Encoded:
    """The value durable_rules sees: a bool, a string or a 64-bit integer."""
    if kind == "text" and isinstance(value, str) and (
        len(value) > LONG_TEXT or value.startswith("sha256:")
    ):
        # Every firing copies its message: a long text travels as its digest, which keeps
        # equality exact on both sides (literals in rules are encoded the same way).
        return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()
    if kind in ("bool", "enum", "text") and isinstance(value, bool | str):
        return value
    if kind in ("integer", "decimal") and isinstance(value, int | Decimal):
        return int((Decimal(value) * SCALE).to_integral_value(rounding=ROUND_HALF_EVEN))
    if kind == "datetime" and isinstance(value, datetime):
        # Whole seconds (see docs/design-notes.md: epoch milliseconds slow assertions down).
        return int(value.timestamp())
    if kind == "duration" and isinstance(value, int):
        return value
    raise ValueError(f"cannot encode a {kind} value")


def unknown_marker(field_name: str) -> str:
    """The field set to 1 in a message when ``field_name`` is unknown.

    durable_rules has ``$nex`` for this, but it never shares ``$nex`` nodes and allows 128 of
    them under one node (error 107); an equality test on a marker is shared like any other.
    """
    return f"{field_name}{MARKER_SUFFIX}"


def marked_field(name: str) -> str | None:
    """The field whose unknown marker ``name`` is, or None when it is no marker."""
    return name.removesuffix(MARKER_SUFFIX) if name.endswith(MARKER_SUFFIX) else None


@dataclass
class FieldMap:
    """The names under which facts reach durable_rules."""

    facts: dict[str, str] = field(default_factory=dict)
    ages: dict[str, str] = field(default_factory=dict)
    counts: dict[str, str] = field(default_factory=dict)
    record_types: dict[str, str] = field(default_factory=dict)
    record_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)
    """Fields whose 'unknown' marker some rule tests; only these markers are asserted."""
    compared_text: set[str] = field(default_factory=set)
    """Text facts some rule compares by value (eq, ne, in, *_fact); others reach durable_rules
    as a bare presence flag."""
    aged: set[str] = field(default_factory=set)
    """Datetime facts whose age some rule tests; only these ages are asserted."""

    @classmethod
    def build(cls, catalogue: Mapping[str, FactSpec]) -> FieldMap:
        """Deterministic names: facts sorted by id."""
        fields = cls()
        for index, (fact, spec) in enumerate(sorted(catalogue.items())):
            name = f"f{index}"
            fields.facts[fact] = name
            if spec.type == "datetime":
                fields.ages[fact] = f"{name}_age"
            if spec.type == "records":
                fields.counts[fact] = f"{name}_n"
                fields.record_types[fact] = f"r:{name}"
                fields.record_fields[fact] = {
                    rf: f"k{j}" for j, rf in enumerate(sorted(spec.fields or {}))
                }
        return fields
