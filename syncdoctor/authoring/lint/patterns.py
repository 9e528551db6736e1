"""L208: patterns that would backtrack catastrophically outside RE2."""

from __future__ import annotations

from collections.abc import Iterable

from syncdoctor.authoring.lint.core import Finding, finding
from syncdoctor.engine.knowledge import Pack


def _repeat_at(pattern: str, index: int) -> bool:
    """Whether an unbounded repetition (``+``, ``*``, ``{n,}``) starts at ``index``."""
    if index >= len(pattern):
        return False
    if pattern[index] in "+*":
        return True
    if pattern[index] == "{":
        close = pattern.find("}", index)
        body = pattern[index + 1 : close] if close > 0 else ""
        return body.endswith(",")
    return False


def pattern_risk(pattern: str) -> str | None:
    r"""Why a pattern would backtrack catastrophically in a backtracking engine, or None.

    Looks for a repeated group that itself contains a repetition, like ``(a+)+`` or
    ``(\\w*\\s?)*``: linear in RE2, exponential in Python's re or PCRE.
    """
    groups: list[bool] = []  # per open group: does it contain a repetition?
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            if groups and _repeat_at(pattern, index):
                groups[-1] = True
            continue
        if in_class:
            in_class = char != "]"
            index += 1
            if not in_class and groups and _repeat_at(pattern, index):
                groups[-1] = True
            continue
        if char == "[":
            in_class = True
            index += 2 if pattern[index + 1 : index + 2] == "]" else 1
            continue
        if char == "(":
            groups.append(False)
        elif char == ")" and groups:
            inner_repeats = groups.pop()
            if inner_repeats and _repeat_at(pattern, index + 1):
                return "a repeated group that itself repeats, like (a+)+"
            if groups and (inner_repeats or _repeat_at(pattern, index + 1)):
                groups[-1] = True
        elif groups and _repeat_at(pattern, index + 1) and char not in "|":
            groups[-1] = True
        index += 1
    return None


def _patterns(pack: Pack) -> Iterable[Finding]:
    for extractor in pack.extractors:
        risk = pattern_risk(extractor.pattern)
        if risk:
            yield finding(pack.origins.extractors[extractor.id], "L208",
                           f"pattern of {extractor.id}: {risk}; RE2 runs it in linear time, "
                           "but it would hang Python's re or PCRE if ever moved there",
                           extractor.id, pack.id, "pattern")
    for rule in pack.rules:
        for cond in (visit.condition for visit in rule.when.walk()):
            if cond.matches is not None:
                risk = pattern_risk(cond.matches)
                if risk:
                    yield finding(pack.origins.rules[rule.id], "L208",
                                   f"pattern in {rule.id}: {risk}", rule.id, pack.id, "when")
