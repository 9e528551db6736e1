"""The ``otherwise:`` of a rule (its mirror, see kb/mirror.py) and the schema of a rule as written.

Kept apart from kb/spec.py, which imports both, to keep that module readable.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from syncdoctor.kb.condition import Identifier, _Strict

__all__ = ["Otherwise", "rule_schema"]


class Otherwise(_Strict):
    """The mirror of a rule: what to conclude when its condition is definitely false.

    Definitely false means false whatever the unknown facts turn out to be (Kleene's logic):
    a test is false on a known fact only, ``any`` when every branch is false, ``all`` when one
    item is. An unknown fact fires neither the rule nor its mirror. The mirror is a rule of
    its own, compiled into the network like any other, with the id ``<rule id>.otherwise``
    unless ``id`` names it.
    """

    id: Identifier | None = Field(
        default=None, description="The mirror rule's id; default '<rule id>.otherwise'."
    )
    effect: Literal["supports", "rules_out"] | None = Field(
        default=None,
        description="For a cause rule: what the mirror does to the same cause; default the "
        "opposite of the rule's effect.",
    )
    certainty: float | None = Field(
        default=None, gt=0.0, le=1.0,
        description="The mirror's certainty when it supports the cause; default 1.0.",
    )
    value: bool | str | None = Field(
        default=None,
        description="For a derive rule: the value the mirror concludes for the same fact; "
        "default the opposite of a true/false value.",
    )
    because: str | None = Field(
        default=None,
        description="The mirror's 'because' (a template); default the negated condition in "
        "plain words.",
    )


def rule_schema(schema: dict[str, Any]) -> None:
    """The schema of a rule as written: 'step' may be inherited, 'when' may be a list."""
    required = schema.get("required")
    if isinstance(required, list) and "step" in required:
        required.remove("step")
    when = schema["properties"]["when"]
    ref = {"$ref": when.pop("$ref")} if "$ref" in when else dict(when.pop("allOf", [{}])[0])
    when["anyOf"] = [ref, {"type": "array", "items": ref, "minItems": 1}]
