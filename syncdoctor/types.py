"""The value types that flow through syncdoctor, with no ``Any`` among them.

A case's facts are typed by the fact catalogue (:mod:`syncdoctor.kb.values`) into one of these
Python forms; what leaves syncdoctor as JSON is a :data:`JsonValue`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

from pydantic import JsonValue

__all__ = ["FactValue", "JsonValue", "Record", "ScalarValue"]

ScalarValue: TypeAlias = bool | str | int | Decimal | datetime
"""A typed scalar: bool, enum or text (str), integer or duration in seconds (int), decimal
(Decimal), datetime (aware, UTC)."""

Record: TypeAlias = dict[str, ScalarValue]
"""One typed record of a records fact: field name -> value (unknown fields are absent)."""

FactValue: TypeAlias = ScalarValue | list[Record]
"""A typed fact value: a scalar, or the records of a records fact."""
