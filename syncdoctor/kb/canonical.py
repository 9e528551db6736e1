"""The canonical JSON text of a KB's meaning: what its content version hashes.

The text is ``json.dumps(value, sort_keys=True, ensure_ascii=False)`` of every pack's playbook,
facts, rules and extractors as ``model_dump(mode="json", by_alias=True)`` gives them; the version
is in every Diagnosis, so this text must never change for an unchanged KB. A rule's condition
dumps every one of its 41 fields, most of them null, so conditions were most of that text (12 MB
for 5,000 rules) and of its cost (0.6 s of a 6 s load). They are written out here directly, the
same text from each condition's fields, with json.dumps only for the few that are set; a
condition holding anything but the plain values a validated one holds is dumped as before.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from syncdoctor.kb.condition import Condition
from syncdoctor.kb.spec import RuleSpec

__all__ = ["condition_text", "json_text", "rule_text"]


def json_text(value: Any) -> str:  # noqa: ANN401  (a dumped model: any JSON value)
    """``value`` as the canonical text writes it."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _fields() -> tuple[dict[str, tuple[int, str]], list[str]]:
    named = sorted((info.alias or name, name) for name, info in Condition.model_fields.items())
    places = {name: (index, f"{json_text(key)}: ") for index, (key, name) in enumerate(named)}
    return places, [f"{json_text(key)}: null" for key, _ in named]


_PLACES, _NULLS = _fields()
"""Per field of Condition: its place in the text (keys sorted) and ``"key": ``; every field null."""
_CHILDREN = frozenset({"all", "any"})
_CHILD = frozenset({"not_", "any_record"})
_SCALARS = (str, bool, int)


def condition_text(condition: Condition) -> str:
    """``json_text(condition.model_dump(mode="json", by_alias=True))``, written directly."""
    parts = _NULLS.copy()
    for name, value in condition.__dict__.items():
        if value is None:
            continue
        index, key = _PLACES[name]
        if name in _CHILDREN:
            parts[index] = f"{key}[{', '.join(condition_text(child) for child in value)}]"
        elif name in _CHILD:
            parts[index] = key + condition_text(value)
        elif _plain(value):
            parts[index] = key + json_text(value)
        else:  # anything a validated condition does not hold: pydantic decides its dump
            return json_text(condition.model_dump(mode="json", by_alias=True))
    return "{" + ", ".join(parts) + "}"


def _plain(value: object) -> bool:
    """A value whose mode="json" dump is itself: text, a boolean, a number, a tuple of them."""
    if type(value) is tuple:
        return all(_plain(item) for item in value)
    if type(value) is float:
        return math.isfinite(value)
    return type(value) in _SCALARS


def rule_text(rule: RuleSpec) -> str:
    """``json_text(rule.model_dump(mode="json", by_alias=True))``, its condition written out."""
    return _spliced(rule.model_dump(mode="json", by_alias=True, exclude={"when"}),
                    "when", condition_text(rule.when))


def model_text(model: BaseModel, **dump: Any) -> str:  # noqa: ANN401  (model_dump's options)
    """``json_text(model.model_dump(mode="json", **dump))``."""
    return json_text(model.model_dump(mode="json", **dump))


def _spliced(dumped: Mapping[str, Any], key: str, text: str) -> str:
    """The text of ``dumped`` with ``key`` added, whose value's text is ``text``."""
    before = json_text({k: v for k, v in dumped.items() if k < key})[1:-1]
    after = json_text({k: v for k, v in dumped.items() if k > key})[1:-1]
    parts = [before, f"{json_text(key)}: {text}", after]
    return "{" + ", ".join(part for part in parts if part) + "}"


def object_text(items: Mapping[str, str]) -> str:
    """The text of a JSON object whose values' texts are given, keys sorted."""
    return "{" + ", ".join(f"{json_text(k)}: {items[k]}" for k in sorted(items)) + "}"


def array_text(items: list[str]) -> str:
    """The text of a JSON array whose items' texts are given."""
    return "[" + ", ".join(items) + "]"
