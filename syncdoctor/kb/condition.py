"""Conditions of rules: a combinator (all / any / not) or one test, and the walk over them.

Shared by the file models of :mod:`syncdoctor.kb.spec`; ids and scalars are defined here
because conditions are made of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*(?:[.\-][a-z0-9_]+)*$"
"""Ids are lower case words joined by dots, dashes or underscores: ``sync.status``."""

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=80)]
Scalar = bool | int | float | str


class _Strict(BaseModel):
    # Built on first validation, not at import: a KB read from the compiled-KB cache makes its
    # objects with model_construct and never validates one (about 40 ms of a warm CLI run).
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, defer_build=True
    )


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
    # Operators computed before assertion from two facts (see kb/compare.py).
    same_text_as: Identifier | None = Field(
        default=None,
        description="Two text facts are equal once case, accents' forms and spacing are "
        "ignored ('Current Asset' is 'current  asset').",
    )
    close_to: Identifier | None = Field(
        default=None,
        description="Two numbers differ by at most 'tolerance' (exact when none is given).",
    )
    ratio_to: Identifier | None = Field(
        default=None,
        description="This number divided by that one is at least 'at_least' "
        "(30 failed of 250 payments is 0.12). Unknown when that one is 0.",
    )
    time_passed_since: Identifier | None = Field(
        default=None,
        description="One of the times of day this text fact lists ('21:00', '09:00, 13:00, "
        "21:00', 'midnight') has come, in 'zone', between that datetime fact and the clock.",
    )
    same_period_as: Identifier | None = Field(
        default=None,
        description="Two period texts ('last month', 'Q1 2024', '1 Jan 2024 to 31 Mar 2024', "
        "'as at 31 March 2024') name the same dates, resolved against the clock (in 'zone') "
        "and the financial year's start ('year_start').",
    )
    tolerance: float | int | Identifier | None = Field(
        default=None,
        description="With close_to: the largest difference still counted as equal, a number "
        "or a number fact (its value, else its default; else 0).",
    )
    at_least: float | int | None = Field(
        default=None, description="With ratio_to: the smallest ratio that makes it true."
    )
    zone: Identifier | None = Field(
        default=None,
        description="With time_passed_since or same_period_as: a text fact naming the time "
        "zone ('Asia/Jakarta', 'UTC+7'); its value, else its default, else UTC.",
    )
    year_start: Identifier | None = Field(
        default=None,
        description="With same_period_as: a text fact giving the first day of the financial "
        "year ('1 July', '07-01'); its value, else its default, else 1 January.",
    )
    end_of_day: bool | None = Field(
        default=None,
        description="With time_passed_since: read that datetime fact as a calendar day (its "
        "date as written) and test whether the end-of-day time for that day has come, in "
        "'zone': a listed time from noon of that day on (a 22:00 run closes the same day, a "
        "midnight or 02:00 run the night after).",
    )

    or_unknown: bool | None = Field(
        default=None,
        description="true: the test also holds while the fact is not known yet; short for "
        "any: [<the test>, {fact: <it>, known: false}] (that 'any' keeps the flag).",
    )

    @model_validator(mode="before")
    @classmethod
    def _or_unknown(cls, data: Any) -> Any:  # noqa: ANN401  (raw YAML: any shape)
        """A test with ``or_unknown: true`` is that test, or its fact not known yet."""
        if not isinstance(data, dict) or "or_unknown" not in data:
            return data
        rest = {k: v for k, v in data.items() if k != "or_unknown"}
        if data["or_unknown"] is not True:
            if data["or_unknown"] is False:
                return rest
            return data  # not a boolean: the field's own check says so
        fact = rest.get("fact")
        if not isinstance(fact, str) or "known" in rest or any(
            key in rest for key in ("all", "any", "not", "field")
        ):
            raise ValueError("'or_unknown' goes on a test of a fact (not on known, all, any, "
                             "not or a record field)")
        # The flag stays on the 'any' it stands for: readers (lint, the pack pages) can tell
        # what was written from the hand-made idiom.
        return {"any": [rest, {"fact": fact, "known": False}], "or_unknown": True}

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
        op = operators[0]
        for modifier, owners in MODIFIERS.items():
            if getattr(self, modifier) is not None and op not in owners:
                raise ValueError(f"'{modifier}' goes with {' or '.join(owners)} only")
        if op == "ratio_to" and self.at_least is None:
            raise ValueError("ratio_to needs 'at_least' (e.g. at_least: 0.1)")
        if op in COMPUTED and self.field is not None:
            raise ValueError(f"{op} compares facts; it cannot be used inside any_record")
        return self

    def walk(self, path: tuple[str | int, ...] = ()) -> Iterator[Visit]:
        """This condition and every condition inside it, parents before children.

        The one walk over condition trees: each visit says where the condition is (``path``,
        below the walked one) and which records fact's ``any_record`` encloses it, if any.
        """
        pending: list[Visit] = [Visit(self, path, None)]
        while pending:
            visit = pending.pop()
            yield visit
            cond, at, record = visit.condition, visit.path, visit.record
            children: list[Visit] = []
            for key in ("all", "any"):
                items: tuple[Condition, ...] | None = getattr(cond, key)
                for index, child in enumerate(items or ()):
                    children.append(Visit(child, (*at, key, index), record))
            if cond.not_ is not None:
                children.append(Visit(cond.not_, (*at, "not"), record))
            if cond.any_record is not None:
                children.append(Visit(cond.any_record, (*at, "any_record"), cond.fact))
            pending.extend(reversed(children))

    def facts(self) -> list[str]:
        """The facts the condition reads (not record fields), in first-use order."""
        out: list[str] = []
        for visit in self.walk():
            cond = visit.condition
            if visit.record is not None or cond.fact is None:
                continue
            named = [cond.fact]
            if cond.operator.endswith("_fact") or cond.operator in COMPUTED:
                named.append(str(cond.operand))
            out.extend(f for f in named if f not in out)
        return out

    def parameters(self) -> list[str]:
        """The facts read as parameters of computed tests (zone, year_start, tolerance).

        They have defaults, so a test does not wait for them: they are read, not asked.
        """
        out: list[str] = []
        for visit in self.walk():
            for name in PARAMETER_FACTS:
                value = getattr(visit.condition, name)
                if isinstance(value, str) and value not in out:
                    out.append(value)
        return out

    def conjuncts(self) -> tuple[Condition, ...]:
        """The items of this condition read as a top-level conjunction (a rule's ``when``)."""
        return self.all if self.all is not None else (self,)

    @property
    def is_test(self) -> bool:
        """Whether this is one test (not all / any / not)."""
        return self.all is None and self.any is None and self.not_ is None

    @property
    def operator(self) -> str:
        """The operator's name as written in YAML (``in``, ``eq_fact``…)."""
        for name in OPERATORS:
            if getattr(self, name) is not None:
                return name.rstrip("_")
        raise ValueError("not a test")

    @property
    def constants(self) -> tuple[Scalar, ...]:
        """The constants a comparison or membership test names (``in``: each of them)."""
        value = self.operand
        if isinstance(value, tuple):
            return value
        if isinstance(value, Condition):
            raise ValueError("any_record has no constants")
        return (value,)

    @property
    def duration(self) -> str | int:
        """The duration of an ``older_than`` / ``newer_than`` test."""
        value = self.older_than if self.older_than is not None else self.newer_than
        if value is None:
            raise ValueError("not an age test")
        return value

    @property
    def operand(self) -> Operand:
        """The operator's value."""
        for name in OPERATORS:
            value: Operand | None = getattr(self, name)
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


Operand = Scalar | tuple[Scalar, ...] | Condition
"""What an operator is given: a constant, constants (in / not_in), or a condition."""


@dataclass(frozen=True)
class Visit:
    """One condition met by :meth:`Condition.walk`."""

    condition: Condition
    path: tuple[str | int, ...]
    """Key path from the walked condition (``()`` for itself)."""
    record: str | None
    """The records fact whose ``any_record`` encloses the condition; None outside records."""


OPERATORS: tuple[str, ...] = (
    "eq", "ne", "in_", "not_in", "lt", "le", "gt", "ge", "known", "matches",
    "older_than", "newer_than",
    "eq_fact", "ne_fact", "lt_fact", "le_fact", "gt_fact", "ge_fact",
    "eq_field", "ne_field", "lt_field", "le_field", "gt_field", "ge_field",
    "any_record",
    "same_text_as", "close_to", "ratio_to", "time_passed_since", "same_period_as",
)

COMPUTED: frozenset[str] = frozenset(
    {"same_text_as", "close_to", "ratio_to", "time_passed_since", "same_period_as"}
)
"""Operators comparing two facts whose result is computed before assertion (kb/compare.py)."""

MODIFIERS: dict[str, tuple[str, ...]] = {
    "tolerance": ("close_to",),
    "at_least": ("ratio_to",),
    "zone": ("time_passed_since", "same_period_as"),
    "year_start": ("same_period_as",),
    "end_of_day": ("time_passed_since",),
}
"""Keys that qualify a computed operator, and the operators they go with."""

PARAMETER_FACTS: tuple[str, ...] = ("tolerance", "zone", "year_start")
"""Modifiers that may name a fact (tolerance may also be a number)."""

