"""The shapes of the knowledge-base files: facts/, rules/ and playbooks/.

These pydantic models are the single source of truth for validation and for the JSON Schema that
editors use. They check the shape of one file; references across files (a rule naming a fact, a
cause, a step) are checked by :mod:`syncdoctor.engine.kb`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*(?:[.\-][a-z0-9_]+)*$"
"""Ids are lower case words joined by dots, dashes or underscores: ``sync.status``."""

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
FactType = Literal[
    "bool", "enum", "text", "integer", "decimal", "datetime", "duration", "records"
]
RecordFieldType = Literal["bool", "enum", "text", "integer", "decimal", "datetime", "duration"]
Scalar = bool | int | float | str
RuleStatus = Literal["experimental", "stable", "deprecated"]

DURATION_PATTERN = re.compile(
    r"^\s*(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m)?\s*(?:(?P<s>\d+)\s*s)?\s*$"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---------------------------------------------------------------------------------------------
# facts/


class RecordField(_Strict):
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
    fields: dict[Identifier, RecordField] | None = Field(
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
        for name, spec in (self.fields or {}).items():
            if spec.type == "enum" and not spec.values:
                raise ValueError(f"enum field {name!r} needs 'values'")
        unknown = set(self.value_help) - set(self.values or ())
        if unknown:
            raise ValueError(f"value_help names values not in 'values': {sorted(unknown)}")
        return self


class Extractor(_Strict):
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

    @model_validator(mode="after")
    def _does_something(self) -> Extractor:
        if not self.set and not self.capture:
            raise ValueError("an extractor needs 'set' or 'capture'")
        return self


class FactsFile(_Strict):
    """A file under facts/: the fact catalogue of one pack."""

    pack: Identifier = Field(description="The pack these facts belong to.")
    facts: dict[Identifier, FactSpec] = Field(description="The facts, by id.")
    extractors: tuple[Extractor, ...] = Field(
        default=(), description="Patterns that classify raw error text into facts."
    )


# ---------------------------------------------------------------------------------------------
# rules/


class Condition(_Strict):
    """A condition: a combinator (all / any / not) or one test on a fact (or record field).

    A test names ``fact`` (or ``field`` inside ``any_record``) and exactly one operator.
    Operators whose name ends in ``_fact`` (``_field`` in a record) compare with another
    fact (field) instead of a constant.
    """

    all: tuple[Condition, ...] | None = Field(
        default=None, description="Every condition holds."
    )
    any: tuple[Condition, ...] | None = Field(
        default=None, description="At least one condition holds."
    )
    not_: Condition | None = Field(
        default=None, alias="not", description="The condition does not hold."
    )
    fact: Identifier | None = Field(default=None, description="The fact tested.")
    field: Identifier | None = Field(
        default=None, description="The record field tested (inside any_record only)."
    )
    eq: Scalar | None = Field(default=None, description="Equals this value.")
    ne: Scalar | None = Field(default=None, description="Differs from this value.")
    in_: tuple[Scalar, ...] | None = Field(
        default=None, alias="in", description="Is one of these values."
    )
    not_in: tuple[Scalar, ...] | None = Field(
        default=None, description="Is none of these values."
    )
    lt: Scalar | None = Field(default=None, description="Is less than this value.")
    le: Scalar | None = Field(default=None, description="Is at most this value.")
    gt: Scalar | None = Field(default=None, description="Is greater than this value.")
    ge: Scalar | None = Field(default=None, description="Is at least this value.")
    known: bool | None = Field(
        default=None, description="true: the fact is known; false: it is not known yet."
    )
    matches: str | None = Field(
        default=None,
        description="A text fact matches this RE2 regular expression: searched, not anchored, "
        "case-insensitive (write (?-i) for case-sensitive).",
    )
    older_than: str | int | None = Field(
        default=None,
        description="A datetime fact is older than this duration at diagnosis time ('2h', '1d').",
    )
    newer_than: str | int | None = Field(
        default=None,
        description="A datetime fact is newer than this duration at diagnosis time.",
    )
    eq_fact: Identifier | None = Field(default=None, description="Equals that other fact.")
    ne_fact: Identifier | None = Field(default=None, description="Differs from that other fact.")
    lt_fact: Identifier | None = Field(default=None, description="Is less than that other fact.")
    le_fact: Identifier | None = Field(default=None, description="Is at most that other fact.")
    gt_fact: Identifier | None = Field(
        default=None, description="Is greater (later) than that other fact."
    )
    ge_fact: Identifier | None = Field(default=None, description="Is at least that other fact.")
    eq_field: Identifier | None = Field(default=None, description="Equals that other field.")
    ne_field: Identifier | None = Field(default=None, description="Differs from that field.")
    lt_field: Identifier | None = Field(default=None, description="Is less than that field.")
    le_field: Identifier | None = Field(default=None, description="Is at most that field.")
    gt_field: Identifier | None = Field(default=None, description="Is greater than that field.")
    ge_field: Identifier | None = Field(default=None, description="Is at least that field.")
    any_record: Condition | None = Field(
        default=None,
        description="For a records fact: at least one record satisfies this condition.",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        combinators = [n for n in ("all", "any", "not_") if getattr(self, n) is not None]
        operators = [n for n in OPERATORS if getattr(self, n) is not None]
        subject = [n for n in ("fact", "field") if getattr(self, n) is not None]
        if combinators:
            if len(combinators) > 1 or operators or subject:
                raise ValueError("a condition is one of all / any / not, or one test")
            for name in ("all", "any"):
                items = getattr(self, name)
                if items is not None and not items:
                    raise ValueError(f"'{name}' needs at least one condition")
            return self
        if len(subject) != 1:
            raise ValueError("a test names exactly one 'fact' (or 'field' inside any_record)")
        if len(operators) != 1:
            shown = ", ".join(o.rstrip("_") for o in operators) or "none"
            raise ValueError(f"a test has exactly one operator (found: {shown})")
        return self

    @property
    def operator(self) -> str:
        """The operator's name as written in YAML (``in``, ``eq_fact``…)."""
        for name in OPERATORS:
            if getattr(self, name) is not None:
                return name.rstrip("_")
        raise ValueError("not a test")

    @property
    def operand(self) -> Any:
        """The operator's value."""
        for name in OPERATORS:
            value = getattr(self, name)
            if value is not None:
                return value
        raise ValueError("not a test")

    @property
    def subject(self) -> str:
        """The fact (or record field) tested."""
        subject = self.fact if self.fact is not None else self.field
        if subject is None:
            raise ValueError("not a test")
        return subject


OPERATORS: tuple[str, ...] = (
    "eq", "ne", "in_", "not_in", "lt", "le", "gt", "ge", "known", "matches",
    "older_than", "newer_than",
    "eq_fact", "ne_fact", "lt_fact", "le_fact", "gt_fact", "ge_fact",
    "eq_field", "ne_field", "lt_field", "le_field", "gt_field", "ge_field",
    "any_record",
)


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


class Escalation(_Strict):
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
    escalation: Escalation | None = Field(
        default=None, description="Whom to contact, if anyone."
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


Condition.model_rebuild()


def parse_duration(value: str | int) -> int:
    """Seconds in a duration written as ``90``, ``'90s'``, ``'15m'``, ``'2h'``, ``'1d 12h'``.

    Raises:
        ValueError: the text is not a duration.
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text such as '2h'")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return value
    match = DURATION_PATTERN.match(value) if len(value) <= 64 else None
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"{value!r} is not a duration such as '90s', '15m', '2h' or '1d 12h'")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
