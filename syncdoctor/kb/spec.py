"""The shapes of the knowledge-base files: facts/, rules/ and playbooks/.

These pydantic models are the single source of truth for validation and for the JSON Schema that
editors use. They check the shape of one file; references across files (a rule naming a fact, a
cause, a step) are checked by :mod:`syncdoctor.kb.checks`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from syncdoctor.kb.condition import ID_PATTERN, Condition, Identifier, Scalar, _Strict

__all__ = [
    "ID_PATTERN",
    "CauseSpec",
    "Condition",
    "Derivation",
    "EscalationSpec",
    "ExtractorSpec",
    "FactSpec",
    "FactType",
    "FactsFile",
    "Identifier",
    "PlaybookFile",
    "RecordFieldSpec",
    "RuleSpec",
    "RulesFile",
    "Scalar",
    "Step",
]

FactType = Literal[
    "bool", "enum", "text", "integer", "decimal", "datetime", "duration", "records"
]
RecordFieldType = Literal["bool", "enum", "text", "integer", "decimal", "datetime", "duration"]
RuleStatus = Literal["experimental", "stable", "deprecated"]

# ---------------------------------------------------------------------------------------------
# facts/


class RecordFieldSpec(_Strict):
    """One typed field of a record fact (e.g. one column of a transaction)."""

    type: RecordFieldType = Field(description="The field's type.")
    values: tuple[str, ...] | None = Field(
        default=None, description="Allowed values, for an enum field."
    )
    help: str | None = Field(default=None, description="What the field holds.")
    required: bool = Field(default=False, description="Whether every record must have it.")


class FactSpec(_Strict):
    """A fact of the catalogue: its type, the question an agent asks, and its help text."""

    type: FactType = Field(description="The fact's type.")
    ask: str | None = Field(
        default=None,
        description="The question an agent or a chatbot asks to learn this fact (Jinja2-free).",
    )
    help: str | None = Field(default=None, description="Where to find the answer, how to check.")
    values: tuple[str, ...] | None = Field(
        default=None, description="Allowed values of an enum fact, in the order to offer them."
    )
    value_help: dict[str, str] = Field(
        default_factory=dict, description="One line of help per enum value."
    )
    unit: str | None = Field(default=None, description="Unit shown with a number, e.g. '%'.")
    minimum: float | None = Field(default=None, description="Smallest allowed number.")
    maximum: float | None = Field(default=None, description="Largest allowed number.")
    fields: dict[Identifier, RecordFieldSpec] | None = Field(
        default=None, description="The typed fields of each record, for a records fact."
    )
    key: str | None = Field(
        default=None, description="The record field that names a record (e.g. 'id')."
    )
    derived: bool = Field(
        default=False,
        description="True when rules conclude this fact; it may still be supplied directly.",
    )
    cost: int = Field(
        default=1,
        ge=0,
        le=10,
        description="How costly the question is to answer (0: a collector fetches it).",
    )
    secret: bool = Field(
        default=False,
        description="True when the value must never be shown (a token, a password): errors, "
        "warnings, evidence, reports and stored sessions show *** instead.",
    )
    observable: bool = Field(
        default=False,
        description="With derived: true, an agent can also observe and state it: it may be "
        "asked, and rules derive it only when it is not given.",
    )
    default: Scalar | None = Field(
        default=None,
        description="The value the tests comparing two facts (same_text_as, close_to, "
        "time_passed_since...) use while this fact is not given: a zone, a financial year's "
        "start, a tolerance, a configured time. The fact itself stays unknown.",
    )

    @model_validator(mode="after")
    def _type_specific(self) -> FactSpec:
        if self.type == "enum" and not self.values:
            raise ValueError("an enum fact needs 'values'")
        if self.type != "enum" and self.values is not None:
            raise ValueError("'values' is only for enum facts")
        if self.type == "records" and not self.fields:
            raise ValueError("a records fact needs 'fields'")
        if self.type != "records" and (self.fields is not None or self.key is not None):
            raise ValueError("'fields' and 'key' are only for records facts")
        if self.key is not None and self.fields is not None and self.key not in self.fields:
            raise ValueError(f"key {self.key!r} is not one of the fields")
        if self.derived and self.type not in ("bool", "enum"):
            raise ValueError("a derived fact must be bool or enum")
        if self.observable and not self.derived:
            raise ValueError("'observable' qualifies a derived fact (derived: true)")
        if self.default is not None and (self.derived or self.type == "records"):
            raise ValueError("'default' is for parameter facts: not derived, not records")
        for name, spec in (self.fields or {}).items():
            if spec.type == "enum" and not spec.values:
                raise ValueError(f"enum field {name!r} needs 'values'")
        unknown = set(self.value_help) - set(self.values or ())
        if unknown:
            raise ValueError(f"value_help names values not in 'values': {sorted(unknown)}")
        return self


class ExtractorSpec(_Strict):
    """Turns raw text (an error message) into facts, with an RE2 pattern kept in the KB.

    When ``pattern`` matches the text fact named in ``from``, the facts in ``set`` take those
    constant values and the facts in ``capture`` take the text of the named groups. Facts the
    user supplied are never overwritten. Extractors run in file order.
    """

    id: Identifier = Field(description="Extractor id, e.g. 'sage.terms-code-undefined'.")
    from_: Identifier = Field(alias="from", description="The text fact the pattern reads.")
    pattern: str = Field(
        max_length=2000,
        description="RE2 regular expression (linear time), searched case-insensitively.",
    )
    set: dict[Identifier, Scalar] = Field(
        default_factory=dict, description="Facts set to these constants on a match."
    )
    capture: dict[str, Identifier] = Field(
        default_factory=dict, description="Named group -> fact that takes the group's text."
    )
    case_sensitive: bool = Field(default=False, description="Match case-sensitively.")
    route_weight: int = Field(
        default=1,
        ge=0,
        le=10,
        description="How much a match says that the text belongs to this pack, when the pack "
        "is chosen from the text: 0 for words any integration writes (a credit note, an "
        "invoice number, a leading number), 3 for the pack's own system or wording; 1 by "
        "default.",
    )

    @model_validator(mode="after")
    def _does_something(self) -> ExtractorSpec:
        if not self.set and not self.capture:
            raise ValueError("an extractor needs 'set' or 'capture'")
        return self


class FactsFile(_Strict):
    """A file under facts/: the fact catalogue of one pack."""

    pack: Identifier = Field(description="The pack these facts belong to.")
    facts: dict[Identifier, FactSpec] = Field(description="The facts, by id.")
    extractors: tuple[ExtractorSpec, ...] = Field(
        default=(), description="Patterns that classify raw error text into facts."
    )


# ---------------------------------------------------------------------------------------------
# rules/


class Derivation(_Strict):
    """A derived fact concluded by a rule (forward chaining)."""

    fact: Identifier = Field(description="The derived fact (declared with derived: true).")
    value: bool | str = Field(default=True, description="The value concluded.")


class RuleSpec(_Strict):
    """A rule: when the conditions hold, conclude a cause (or a derived fact)."""

    id: Identifier = Field(description="Unique rule id, e.g. 'impac.sync-running'.")
    step: Identifier = Field(description="The playbook step this rule belongs to.")
    cause: Identifier | None = Field(
        default=None, description="The cause this rule supports or rules out."
    )
    derive: Derivation | None = Field(
        default=None, description="A derived fact this rule concludes, instead of a cause."
    )
    effect: Literal["supports", "rules_out"] = Field(
        default="supports",
        description="'supports' raises the cause's certainty; 'rules_out' rules the cause out.",
    )
    certainty: float = Field(
        default=1.0, gt=0.0, le=1.0, description="How sure the conclusion is, in (0, 1]."
    )
    when: Condition = Field(description="The conditions under which the rule fires.")
    because: str = Field(
        description="Why, in one sentence: a Jinja2 template over facts['<fact id>']."
    )
    status: RuleStatus = Field(default="stable", description="Maturity of the rule.")
    replaces: tuple[Identifier, ...] = Field(
        default=(), description="Ids of rules this one replaces."
    )

    @model_validator(mode="after")
    def _one_conclusion(self) -> RuleSpec:
        if (self.cause is None) == (self.derive is None):
            raise ValueError("a rule concludes exactly one of 'cause' or 'derive'")
        if self.derive is not None and self.effect != "supports":
            raise ValueError("a rule that derives a fact cannot rule anything out")
        return self


class RulesFile(_Strict):
    """A file under rules/: the rules of one pack."""

    pack: Identifier = Field(description="The pack these rules belong to.")
    rules: tuple[RuleSpec, ...] = Field(description="The rules, in any order.")


# ---------------------------------------------------------------------------------------------
# playbooks/


class Step(_Strict):
    """One numbered step of the source playbook."""

    id: Identifier = Field(description="Step id, used by rules and causes.")
    title: str = Field(description="What the step checks.")
    help: str | None = Field(default=None, description="How to check it, in the article's words.")


class EscalationSpec(_Strict):
    """Whom to contact when the remediation is beyond the agent, and what to send them."""

    contact: str = Field(description="Whom to contact (Jinja2 template over facts).")
    send: tuple[str, ...] = Field(
        default=(), description="What to gather and send; each item a Jinja2 template."
    )


class CauseSpec(_Strict):
    """A root cause: its title, the step it belongs to, remediation and escalation."""

    title: str = Field(description="Short title of the cause.")
    step: Identifier = Field(description="The playbook step the cause belongs to.")
    summary: str | None = Field(default=None, description="One paragraph on the cause.")
    remediation: str = Field(description="Markdown remediation: a Jinja2 template over facts.")
    escalation: EscalationSpec | None = Field(
        default=None, description="Whom to contact, if anyone."
    )
    follows: tuple[Identifier, ...] = Field(
        default=(),
        description="Causes this one is a consequence of (retries exhausted follows a missing "
        "setup): when one of them holds too, this cause is listed right after it, never "
        "before, and its remediation is folded into that root cause's as the steps to take next.",
    )


class PlaybookFile(_Strict):
    """A file under playbooks/: one pack's playbook."""

    id: Identifier = Field(description="The pack id.")
    title: str = Field(description="The problem this playbook diagnoses.")
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")] = Field(
        default="0.1.0", description="The pack version (semantic versioning)."
    )
    min_engine: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")] = Field(
        default="0.1.0", description="The oldest syncdoctor version that can run this pack."
    )
    systems: tuple[str, ...] = Field(
        default=(), description="The applications and hubs this pack is about."
    )
    source: str | None = Field(default=None, description="The article the playbook encodes.")
    steps: tuple[Step, ...] = Field(description="The ordered steps of the playbook.")
    causes: dict[Identifier, CauseSpec] = Field(description="The causes, by id.")

