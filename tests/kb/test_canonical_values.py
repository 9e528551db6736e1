"""type_value gives a value already in canonical form back as its full checks would."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from syncdoctor.engine.knowledge import default_kb
from syncdoctor.errors import FactError
from syncdoctor.kb.values import TEXT_LIMIT, _type_value, type_value


class _Text(str):
    """Text of a subclass: the checks' own business."""


def _outcome(check: Callable[..., object], *args: object) -> tuple[str, object]:
    try:
        return "value", check(*args)
    except FactError as error:
        return "error", str(error)


@pytest.mark.parametrize("pack_id", sorted(default_kb().packs))
def test_canonical_values_come_back_as_the_checks_give_them(pack_id: str) -> None:
    pack = default_kb().pack(pack_id)
    checked = 0
    for fact, spec in sorted(pack.facts.items()):
        if spec.type not in ("bool", "enum", "text"):
            continue
        members = list(spec.values or ())
        values: list[object] = [
            True, False, 1, "true", "no", "", "plain text", "é", "x" * TEXT_LIMIT,
            "x" * (TEXT_LIMIT + 1), "\ud800", _Text("plain"), None,
            *members, *(m.upper() for m in members), *(f" {m} " for m in members),
        ]
        for value in values:
            fast = _outcome(type_value, fact, spec, value)
            full = _outcome(_type_value, fact, spec, value, spec.secret)
            assert fast == full and type(fast[1]) is type(full[1]), (fact, value)
            checked += fast[0] == "value"
    assert checked
