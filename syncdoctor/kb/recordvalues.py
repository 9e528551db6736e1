"""Typing a records fact: every record checked, every wrong one named.

:func:`type_records` lives apart from the scalar typing in :mod:`syncdoctor.kb.values`, which
it uses for each field.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.errors import REDACTED, FactError, FieldProblem, bounded, describe, quoted_id
from syncdoctor.kb.credentials import shown_value
from syncdoctor.kb.problems import nearest
from syncdoctor.kb.spec import FactSpec, RecordFieldSpec
from syncdoctor.kb.values import RECORD_LIMIT, type_value
from syncdoctor.types import FactValue, Record, ScalarValue

__all__ = ["WRONG_RECORDS_LISTED", "refusal", "type_fact", "type_records"]


def type_records(fact: str, spec: FactSpec, value: object) -> list[Record]:
    """Type every record of a records fact, naming the record and field in errors."""
    secret = spec.secret

    def shown(raw: object) -> str:
        return REDACTED if secret else shown_value(raw)

    if not isinstance(value, list | tuple):
        raise FactError(fact, "expected a list of records", expected="records", value=shown(value))
    if len(value) > RECORD_LIMIT:
        raise FactError(fact, f"more than {RECORD_LIMIT} records", expected="records")
    fields = spec.fields or {}
    records: list[Record] = []
    # Many records repeat a field's value ("invoice", "10"): each distinct (field, type, value)
    # is typed once. Only what typed well is kept, so an error still names its own record.
    typed_before: dict[tuple[str, type, object], ScalarValue] = {}
    wrong: list[FactError] = []  # every wrong record is reported, not the first alone
    for index, record in enumerate(value):
        try:
            records.append(_type_record(fact, index, record, fields, typed_before, secret))
        except FactError as error:
            wrong.append(error)
    if wrong:
        raise _all_wrong(wrong)
    # The order records arrive in must not change a byte of the output: sort by the key, then
    # by the whole record.
    key = spec.key

    def order(record: Record) -> tuple[str, str]:
        whole = repr(sorted((k, repr(v)) for k, v in record.items()))
        return (repr(record.get(key)) if key else "", whole)

    if key:
        by_key = [repr(record.get(key)) for record in records]
        if len(set(by_key)) == len(by_key):  # distinct keys decide alone: the same order, cheaper
            return [r for _, r in sorted(zip(by_key, records, strict=True), key=_first)]
    return sorted(records, key=order)


def refusal(fact: str, spec: FactSpec, value: object) -> str | None:
    """Why the catalogue refuses ``value`` for ``fact``, or None when it takes it.

    The error's text without its "fact 'x': ": a file's or a prompt's message puts the fact
    (or the place) first itself.
    """
    try:
        type_fact(fact, spec, value)
    except FactError as error:
        return str(error).removeprefix(f"fact {quoted_id(fact)}: ")
    return None


def _type_record(fact: str, index: int, record: object, fields: Mapping[str, RecordFieldSpec],
                 typed_before: dict[tuple[str, type, object], ScalarValue], secret: bool
                 ) -> Record:
    """One record of a records fact, typed; a FactError names the record and its field."""
    where = f"{fact}[{index}]"
    if not isinstance(record, Mapping):
        raise FactError(where, "expected a mapping of fields", expected="record",
                        value=REDACTED if secret else shown_value(record))
    typed: Record = {}
    for name, field_value in record.items():
        if not isinstance(name, str) or name not in fields:
            raise FactError(
                f"{where}.{describe(name, 200) if not isinstance(name, str) else name}",
                f"unknown field; {fact} records have {', '.join(fields)}",
                suggestion=nearest(name, fields) if isinstance(name, str) else None,
            )
        if field_value is None:
            continue
        seen = (name, type(field_value), field_value)
        try:
            known = typed_before.get(seen)
            hashable = True
        except TypeError:  # an unhashable value (a list, a mapping): typed, and refused
            known, hashable = None, False
        if known is None:
            known = type_value(f"{where}.{name}", fields[name], field_value, secret=secret)
            if hashable:
                typed_before[seen] = known
        typed[name] = known
    missing = [n for n, f in fields.items() if f.required and n not in typed]
    if missing:
        raise FactError(where, f"missing required field(s): {', '.join(missing)}")
    return typed


WRONG_RECORDS_LISTED = 20
"""How many wrong records one error lists after its first (the rest are counted)."""


def _all_wrong(wrong: list[FactError]) -> FactError:
    """The first wrong record's error, telling of the others.

    In its text, and in ``also`` for the tools' problems (each at its own
    ``facts.<fact>[i].<field>``).
    """
    first, others = wrong[0], wrong[1:]
    if not others:
        return first
    listed = others[:WRONG_RECORDS_LISTED]
    more = len(others) - len(listed)
    text = "; ".join(str(error) for error in listed) + (f"; {more} more" if more else "")
    # The first error stays the one raised (its fact, expected, suggestion); only its text grows.
    first.args = (f"{first} (and {len(others)} more: {bounded(text)})",)
    first.also = tuple(FieldProblem(f"facts.{error.fact}", str(error), expected=error.expected,
                                    suggestion=error.suggestion) for error in listed)
    return first


def _first(pair: tuple[str, Record]) -> str:
    return pair[0]


def type_fact(fact: str, spec: FactSpec, value: object) -> FactValue:
    """A fact's value typed by its catalogue entry, records or scalar.

    Raises:
        FactError: a value of the wrong type, naming the fact (and the record and field).
    """
    if spec.type == "records":
        return type_records(fact, spec, value)
    return type_value(fact, spec, value)
