"""Where the rules' shorthands were written, so that a problem in one points at the author's text.

The models read ``rules_out: X`` as ``cause: X`` + ``effect: rules_out``, a list under ``when`` as
``when: {all: [...]}`` (an item that is itself an ``all`` joining the list) and a test with
``or_unknown: true`` as ``any: [<test>, {known: false}]`` (kb/spec.py, kb/condition.py). A
problem found in the long form names its key path (``rules[3].when.all[1].fact``); these marks
give that path the position of what was written (``rules[3].when[1].fact``).
"""

from __future__ import annotations

from typing import Any

from syncdoctor.kb.yamlfile import Located, Path_

__all__ = ["mark_shorthands"]

_CONDITION_LISTS = ("all", "any")


def mark_shorthands(located: Located) -> None:
    """Add to ``located.marks`` the long-form paths of every shorthand of a rules file."""
    data = located.data
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        return
    # One pass over the marks, by rule: a large file must not be scanned once per rule.
    by_rule: dict[int, list[tuple[Path_, tuple[int, int]]]] = {}
    for path, found in located.marks.items():
        if len(path) > 2 and path[0] == "rules" and isinstance(path[1], int):
            by_rule.setdefault(path[1], []).append((path, found))
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        marks = _RuleMarks(located, by_rule.get(index, []))
        at: Path_ = ("rules", index)
        if "rules_out" in rule:
            for key in ("cause", "effect"):
                marks.alias((*at, "rules_out"), (*at, key))
        when = rule.get("when")
        if isinstance(when, list):
            marks.alias((*at, "when"), (*at, "when", "all"))
            flat = 0  # the model joins an item that is an 'all' into the list (kb/spec.py)
            for position, item in enumerate(when):
                nested = item.get("all") if isinstance(item, dict) and len(item) == 1 else None
                parts = [((*at, "when", position, "all", k), sub) for k, sub in enumerate(nested)] \
                    if isinstance(nested, list) else [((*at, "when", position), item)]
                for written, part in parts:
                    read = (*at, "when", "all", flat)
                    marks.alias_below(written, read)
                    marks.condition(part, written, read)
                    flat += 1
        else:
            marks.condition(when, (*at, "when"), (*at, "when"))


class _RuleMarks:
    """The marks of one rule, and the aliases its shorthands need."""

    def __init__(self, located: Located, marks: list[tuple[Path_, tuple[int, int]]]) -> None:
        self.located = located
        self.marks = marks

    def condition(self, cond: Any, written: Path_, read: Path_) -> None:  # noqa: ANN401
        """Marks for one raw condition written at ``written`` and read at ``read``."""
        if not isinstance(cond, dict):
            return
        if cond.get("or_unknown") is True:
            # The test becomes any[0]; its known: false twin (any[1]) reads the same fact
            # (one unknown fact is one problem, at the test) and is where the flag is.
            self.alias_below(written, (*read, "any", 0))
            self.alias((*written, "or_unknown"), (*read, "any", 1))
            self.alias((*written, "fact"), (*read, "any", 1, "fact"))
            self.alias((*written, "or_unknown"), (*read, "any", 1, "known"))
            return
        for key in _CONDITION_LISTS:
            items = cond.get(key)
            if isinstance(items, list):
                for position, item in enumerate(items):
                    self.condition(item, (*written, key, position), (*read, key, position))
        for key in ("not", "any_record"):
            if key in cond:
                self.condition(cond[key], (*written, key), (*read, key))

    def alias(self, written: Path_, read: Path_) -> None:
        """``read`` is where ``written`` is."""
        found = self.located.marks.get(written)
        if found is not None and read not in self.located.marks:
            self.located.marks[read] = found

    def alias_below(self, written: Path_, read: Path_) -> None:
        """Every mark at or below ``written``, also under ``read``."""
        size = len(written)
        self.alias(written, read)
        for path, found in self.marks:
            if path[:size] == written:
                self.located.marks.setdefault((*read, *path[size:]), found)
