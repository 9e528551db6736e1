"""A condition in plain words, knowing the types of the pack's facts.

Used by the generated pack pages, and ready for WHY NOT explanations and tool descriptions:
``sync.status is one of pending, in_progress, and app.realtime_sync is false``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Final, Literal

from syncdoctor.kb.spec import Condition, FactSpec, RecordFieldSpec, Scalar

__all__ = ["Describer", "Phrase", "Token", "TokenKind", "describe_condition", "value_token"]

TokenKind = Literal["text", "code", "fact"]
Token = tuple[TokenKind, str]
"""A piece of a sentence: plain words, a literal (``code``) or a fact id (``fact``)."""
Phrase = tuple[Token, ...]

_COMPARISONS: Final[dict[str, tuple[str, str]]] = {
    # operator: (numbers, datetimes)
    "lt": ("is less than", "is before"),
    "le": ("is at most", "is at or before"),
    "gt": ("is greater than", "is after"),
    "ge": ("is at least", "is at or after"),
}
_FACT_COMPARISONS: Final[dict[str, str]] = {"eq": "equals", "ne": "differs from"}


class Describer:
    """Turns a rule's ``when`` into a sentence, knowing the types of the pack's facts."""

    def __init__(self, facts: Mapping[str, FactSpec]) -> None:
        self.facts = facts

    def describe(
        self,
        cond: Condition,
        fields: Mapping[str, RecordFieldSpec] | None = None,
        nested: bool = False,
    ) -> list[Token]:
        """The condition as tokens; ``nested`` wraps a combinator in parentheses."""
        if cond.or_unknown and cond.any is not None:
            # Written {test, or_unknown: true}: the test, then its escape.
            return [*self.describe(cond.any[0], fields, nested), ("text", " (or not known yet)")]
        if cond.all is not None or cond.any is not None:
            items = cond.all if cond.all is not None else cond.any
            assert items is not None
            joiner = ", and " if cond.all is not None else ", or "
            parts = [self.describe(child, fields, nested=True) for child in items]
            if len(parts) == 1:
                return parts[0]
            out: list[Token] = [("text", "(")] if nested else []
            for index, part in enumerate(parts):
                if index:
                    out.append(("text", joiner))
                out.extend(part)
            if nested:
                out.append(("text", ")"))
            return out
        if cond.not_ is not None:
            inner = self.describe(cond.not_, fields, nested=False)
            return [("text", "not ("), *inner, ("text", ")")]
        return self._test(cond, fields)

    def _subject(self, cond: Condition) -> Token:
        if cond.fact is not None:
            return ("fact", cond.fact) if cond.fact in self.facts else ("code", cond.fact)
        return ("code", cond.subject)

    def _type(self, name: str, fields: Mapping[str, RecordFieldSpec] | None, is_field: bool) -> str:
        if is_field:
            spec = (fields or {}).get(name)
            return spec.type if spec is not None else "text"
        fact = self.facts.get(name)
        return fact.type if fact is not None else "text"

    def _unit(self, cond: Condition) -> list[Token]:
        fact = self.facts.get(cond.fact) if cond.fact is not None else None
        if fact is not None and fact.unit:
            return [("text", f" {fact.unit}")]
        return []

    def _test(self, cond: Condition, fields: Mapping[str, RecordFieldSpec] | None) -> list[Token]:
        op = cond.operator
        operand = cond.operand
        is_field = cond.fact is None
        subject = self._subject(cond)
        kind = self._type(cond.subject, fields, is_field)
        if op == "any_record":
            assert isinstance(operand, Condition) and cond.fact is not None
            spec = self.facts.get(cond.fact)
            record_fields = (spec.fields if spec is not None else None) or {}
            inner = self.describe(operand, record_fields, nested=True)
            return [subject, ("text", " has a record where "), *inner]
        if op == "known":
            return [subject, ("text", " is known" if operand else " is not known yet")]
        if op in ("eq", "ne"):
            verb = " is " if op == "eq" else " is not "
            return [subject, ("text", verb), value_token(cond.constants[0]), *self._unit(cond)]
        if op in ("in", "not_in"):
            verb = " is one of " if op == "in" else " is none of "
            out: list[Token] = [subject, ("text", verb)]
            for index, value in enumerate(cond.constants):
                if index:
                    out.append(("text", ", "))
                out.append(value_token(value))
            return out
        if op in _COMPARISONS:
            words = _COMPARISONS[op][1 if kind == "datetime" else 0]
            constant = value_token(cond.constants[0])
            return [subject, ("text", f" {words} "), constant, *self._unit(cond)]
        if op == "matches":
            return [subject, ("text", " matches the pattern "), ("code", str(operand))]
        if op in ("older_than", "newer_than"):
            age = f"{operand}s" if isinstance(operand, int) else str(operand)
            words = " is older than " if op == "older_than" else " is newer than "
            return [subject, ("text", words), ("code", age)]
        if op in _COMPUTED_WORDS:
            return [subject, *self._computed(cond)]
        base, _, against = op.rpartition("_")
        if against == "fact":
            other: Token = ("fact", str(operand)) if operand in self.facts else (
                "code", str(operand))
        else:
            other = ("code", str(operand))
        if base in _FACT_COMPARISONS:
            words = _FACT_COMPARISONS[base]
        else:
            words = _COMPARISONS[base][1 if kind == "datetime" else 0]
        return [subject, ("text", f" {words} "), other]


    def _fact_token(self, name: str) -> Token:
        return ("fact", name) if name in self.facts else ("code", name)

    def _computed(self, cond: Condition) -> list[Token]:
        op = cond.operator
        other = self._fact_token(str(cond.operand))
        out: list[Token] = [("text", f" {_COMPUTED_WORDS[op]} "), other]
        if op == "same_text_as":
            out.append(("text", " (ignoring case and spacing)"))
        elif op == "close_to":
            tolerance = cond.tolerance if cond.tolerance is not None else 0
            out.append(("text", " within "))
            out.append(self._fact_token(tolerance) if isinstance(tolerance, str)
                       else value_token(tolerance))
        elif op == "ratio_to":
            out = [("text", " divided by "), other, ("text", " is at least "),
                   value_token(cond.at_least if cond.at_least is not None else 0)]
        elif op == "time_passed_since":
            out = [("text", " lists a time of day that has come since "), other]
            if cond.end_of_day:
                out = [("text", " lists a time of day that has come at the end of the day of "),
                       other]
        if cond.zone is not None:
            out.extend([("text", " (time zone "), self._fact_token(cond.zone), ("text", ")")])
        if cond.year_start is not None:
            out.extend([("text", " (financial year from "), self._fact_token(cond.year_start),
                        ("text", ")")])
        return out


_COMPUTED_WORDS: Final[dict[str, str]] = {
    "same_text_as": "is the same text as",
    "close_to": "is close to",
    "ratio_to": "divided by",
    "time_passed_since": "lists a time of day that has come since",
    "same_period_as": "names the same period as",
}


def value_token(value: Scalar) -> Token:
    """A constant as written in YAML: true/false, numbers, text (quoted only when needed)."""
    if isinstance(value, bool):
        return ("code", "true" if value else "false")
    if isinstance(value, str):
        plain = value != "" and not re.search(r"[,\s\"]", value)
        return ("code", value if plain else json.dumps(value, ensure_ascii=False))
    return ("code", repr(value) if isinstance(value, float) else str(value))


def describe_condition(cond: Condition, facts: Mapping[str, FactSpec] | None = None) -> str:
    """A rule's condition as an English sentence, e.g.

    ``sync.status is one of pending, in_progress, and app.realtime_sync is false``.

    Args:
        cond: the condition (a rule's ``when``).
        facts: the pack's facts, to choose words by type (``is after`` for datetimes).
    """
    return _plain(tuple(Describer(facts or {}).describe(cond)))


def _plain(phrase: Phrase) -> str:
    return "".join(text for _, text in phrase)
