"""The shapes of the knowledge-base files: facts/, rules/ and playbooks/.

These pydantic models are the single source of truth for validation and for the JSON Schema that
editors use. They check the shape of one file; references across files (a rule naming a fact, a
cause, a step) are checked by :mod:`syncdoctor.kb.checks`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from syncdoctor.kb.condition import ID_PATTERN, Condition, Identifier, Scalar, _Strict
from syncdoctor.kb.otherwise import Otherwise, rule_schema

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
    "Otherwise",
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

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, json_schema_extra=rule_schema
    )

    id: Identifier = Field(description="Unique rule id, e.g. 'impac.sync-running'.")
    step: Identifier = Field(
        description="The playbook step this rule belongs to. In a rules file it may be left "
        "out: the rule then takes the step of the rule before it."
    )
    cause: Identifier | None = Field(
        default=None, description="The cause this rule supports or rules out."
    )
    rules_out: Identifier | None = Field(
        default=None,
        description="Shorthand for 'cause: <cause>' with 'effect: rules_out'.",
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
    when: Condition = Field(
        description="The conditions under which the rule fires; a list means all of them."
    )
    because: str = Field(
        description="Why, in one sentence: a Jinja2 template over facts['<fact id>']. The "
        "report lists the facts the conditions read, with their values, beside it."
    )
    otherwise: Literal["rules_out", "supports"] | Otherwise | None = Field(
        default=None,
        description="Also conclude the opposite when the condition is definitely false: "
        "'rules_out' (or 'supports') the same cause, or {value: ...} for a derived fact; a "
        "mirror rule with the id '<rule id>.otherwise'.",
    )
    status: RuleStatus = Field(default="stable", description="Maturity of the rule.")
    replaces: tuple[Identifier, ...] = Field(
        default=(), description="Ids of rules this one replaces."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:  # noqa: ANN401  (raw YAML: any shape)
        """``rules_out: X`` is cause X ruled out; a list under ``when`` is all of it."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        if out.get("rules_out") is not None:
            if "cause" in out or "effect" in out:
                raise ValueError("'rules_out: <cause>' stands for 'cause' with 'effect: "
                                 "rules_out': write one or the other")
            out["cause"] = out.pop("rules_out")
            out["effect"] = "rules_out"
        when = out.get("when")
        if isinstance(when, list):
            # An item that is itself an 'all' (often a shared condition, by YAML alias) joins
            # the list: the top level is where derived facts and records may be tested.
            flat: list[Any] = []
            for item in when:
                nested = item.get("all") if isinstance(item, dict) and len(item) == 1 else None
                flat.extend(nested if isinstance(nested, list) else [item])
            out["when"] = {"all": flat}
        return out

    @model_validator(mode="after")
    def _one_conclusion(self) -> RuleSpec:
        if (self.cause is None) == (self.derive is None):
            raise ValueError("a rule concludes exactly one of 'cause' or 'derive'")
        if self.derive is not None and self.effect != "supports":
            raise ValueError("a rule that derives a fact cannot rule anything out")
        mirror = self.otherwise
        if mirror is None:
            return self
        if self.derive is not None:
            if not isinstance(mirror, Otherwise) or mirror.effect or mirror.certainty:
                raise ValueError("the 'otherwise' of a derive rule is {value: ...}: the value "
                                 "concluded when the condition is false")
            if mirror.value is None and not isinstance(self.derive.value, bool):
                raise ValueError("'otherwise' needs a 'value' for an enum fact")
            if mirror.value == self.derive.value:
                raise ValueError("'otherwise' concludes the value the rule concludes")
        else:
            if isinstance(mirror, Otherwise) and mirror.value is not None:
                raise ValueError("'value' goes with a derive rule; a cause rule's 'otherwise' "
                                 "is rules_out or supports")
            if self.otherwise_effect == self.effect:
                raise ValueError(f"'otherwise' must conclude the opposite of {self.effect}")
        return self

    @property
    def otherwise_effect(self) -> Literal["supports", "rules_out"]:
        """What the mirror does to the cause: the opposite of the rule, unless told."""
        mirror = self.otherwise
        if isinstance(mirror, str):
            return mirror
        if mirror is not None and mirror.effect is not None:
            return mirror.effect
        return "rules_out" if self.effect == "supports" else "supports"


class RulesFile(_Strict):
    """A file under rules/: the rules of one pack."""

    pack: Identifier = Field(description="The pack these rules belong to.")
    rules: tuple[RuleSpec, ...] = Field(
        description="The rules, in any order; a rule without 'step' takes the step of the "
        "rule before it."
    )

    @model_validator(mode="before")
    @classmethod
    def _inherit_steps(cls, data: Any) -> Any:  # noqa: ANN401  (raw YAML: any shape)
        """A rule without a step is in the step of the rule before it (a run of rules)."""
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            return data
        rules: list[Any] = []
        step = None
        for item in data["rules"]:
            if isinstance(item, dict):
                if "step" in item:
                    step = item["step"]
                elif step is not None:
                    item = {**item, "step": step}
            rules.append(item)
        return {**data, "rules": rules}


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

