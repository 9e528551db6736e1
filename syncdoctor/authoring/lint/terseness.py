"""How long a pack's rules are, and what repeats in them: the figures ``kb lint`` reports.

Not findings (nothing here is wrong), but the measure issue 14 sets for the bundled packs (at
most 6 lines per rule) and the repetitions a shorter form would remove:

- lines per rule: the non-blank, non-comment lines of a pack's rules files, from the first
  rule on, per rule written there (the mirrors ``otherwise:`` generates are not written, so
  not counted), as docs/authoring.md ("How long a rule is") measures them;
- a template snippet written again and again (``{% if "x" in facts %}``, ``{{ "yes" if
  facts["x"] else "no" }}``), with its fact ids blanked so that copies for different facts
  count together;
- mirror-image pairs: a rule whose condition is exactly the other's negation, with the
  opposite conclusion (``otherwise:`` writes the second);
- ``any: [{fact: x, known: false}, <a test on x>]`` (``or_unknown: true`` says it);
- lookup tables: several rules of one shape for one conclusion, differing in their constants.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.kb.condition import Condition
from syncdoctor.kb.mirror import MirrorError, negate
from syncdoctor.kb.problems import Origin
from syncdoctor.kb.spec import FactSpec, RuleSpec
from syncdoctor.types import JsonValue

__all__ = ["PackSize", "Pattern", "Terseness", "measure", "terseness_json", "terseness_text"]

SNIPPET_REPEATS = 3
"""A template snippet written this many times or more is reported."""
TABLE_ROWS = 4
"""This many rules of one shape for one conclusion are reported as a lookup table."""
SHOWN = 5
"""Places listed per pattern (the count says how many there are)."""

_KINDS = ("template", "mirror_pair", "unknown_branch", "lookup_table")
_SNIPPET = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_FACT_KEY = re.compile(r"""(facts|record)\s*\[\s*(['"])[^'"\]]*\2\s*\]""")
_FACT_GET = re.compile(r"""(facts\.get)\(\s*(['"])[^'"]*\2""")
_IN_FACTS = re.compile(r"""(['"])[^'"]*\1(\s+(?:not\s+)?in\s+facts)""")
_PLAIN = re.compile(
    r"\{\{-?\s*(facts\[…\]|record\[…\]|\w+)(\s*\|\s*\w+)?\s*-?\}\}|\{%-?\s*(end\w+|else)\s*-?%\}"
)
"""A value printed as it is (a fact, a record field, a variable), or a closing tag."""
SNIPPETS_SHOWN = 5
"""The snippets listed per pack: the most repeated."""
_HINTS = (
    ('"yes" if', "the report lists the facts each rule read; or write | yesno"),
    ("'yes' if", "the report lists the facts each rule read; or write | yesno"),
    ("in facts %}", 'facts.get("…", "…") or | default("…") guards a value in place'),
    ("in facts else", 'facts.get("…", "…") or | default("…")'),
)


@dataclass(frozen=True)
class PackSize:
    """A pack's rules files: their counted lines and the rules written in them."""

    pack: str
    lines: int
    rules: int
    files: tuple[str, ...]

    @property
    def lines_per_rule(self) -> float:
        """Lines per rule written (0 for no rule)."""
        return self.lines / self.rules if self.rules else 0.0


@dataclass(frozen=True)
class Pattern:
    """Something written again and again, that a shorter form would say once."""

    pack: str
    kind: str
    count: int
    text: str
    hint: str
    where: tuple[str, ...]


@dataclass(frozen=True)
class Terseness:
    """The figures of every pack, and the patterns found."""

    packs: tuple[PackSize, ...]
    patterns: tuple[Pattern, ...]

    @property
    def lines(self) -> int:
        """Counted lines of every pack's rules files."""
        return sum(p.lines for p in self.packs)

    @property
    def rules(self) -> int:
        """Rules written in every pack."""
        return sum(p.rules for p in self.packs)

    @property
    def lines_per_rule(self) -> float:
        """Lines per rule over every pack."""
        return self.lines / self.rules if self.rules else 0.0


def measure(kb: KnowledgeBase) -> Terseness:
    """Measure every pack of the knowledge base."""
    sizes: list[PackSize] = []
    patterns: list[Pattern] = []
    for pack_id in sorted(kb.packs):
        pack = kb.packs[pack_id]
        sizes.append(_size(pack))
        written = [r for r in pack.rules if _is_written(pack.origins.rules[r.id])]
        patterns.extend(_snippets(pack, written))
        patterns.extend(_mirror_pairs(pack, written))
        patterns.extend(_unknown_branches(pack, written))
        patterns.extend(_tables(pack, written))
    patterns.sort(key=lambda p: (p.pack, _KINDS.index(p.kind), -p.count, p.text))
    return Terseness(tuple(sizes), tuple(patterns))


def _is_written(origin: Origin) -> bool:
    """A rule as written in a file, not a mirror generated from one (``rules[i].otherwise``)."""
    return len(origin.path) == 2


def _counted(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _size(pack: Pack) -> PackSize:
    files: dict[str, int] = {}
    lines = 0
    for origin in pack.origins.rules.values():
        if origin.file in files:
            continue
        located = origin.located
        rules = located.data.get("rules") if isinstance(located.data, dict) else None
        files[origin.file] = len(rules) if isinstance(rules, list) else 0
        # From the first rule on: the header (pack:, rules:) belongs to no rule.
        first = located.locate(("rules", 0))[0] if files[origin.file] else len(located.lines) + 1
        lines += sum(1 for line in located.lines[first - 1:] if _counted(line))
    return PackSize(pack.id, lines, sum(files.values()), tuple(sorted(files)))


def _place(origin: Origin, about: str) -> tuple[str, int, str]:
    return (origin.file, origin.line, about)


def _shown(places: Iterable[tuple[str, int, str]]) -> tuple[str, ...]:
    """The first places in file and line order, as ``file:line (id)``."""
    return tuple(f"{file}:{line} ({about})" for file, line, about in sorted(set(places))[:SHOWN])


def _templates(pack: Pack, written: Iterable[RuleSpec]) -> Iterator[tuple[str, str, Origin]]:
    """(source, id, origin) of every template written in the pack: rules', then causes'."""
    templates = pack.templates
    for rule in written:
        renderer = templates.because.get(rule.id)
        if renderer is not None:
            yield renderer.source, rule.id, pack.origins.rules[rule.id]
    for cause in sorted(pack.playbook.causes):
        origin = pack.origins.causes[cause]
        renderers = [templates.remediation.get(cause), templates.contact.get(cause),
                     *templates.send.get(cause, ())]
        for renderer in renderers:
            if renderer is not None:
                yield renderer.source, cause, origin


def normalised(snippet: str) -> str:
    """A template snippet with its fact ids blanked and its spacing made single."""
    text = _FACT_KEY.sub(r"\1[…]", snippet)
    text = _FACT_GET.sub(r'\1("…"', text)
    text = _IN_FACTS.sub(r'"…"\2', text)
    return " ".join(text.split())


def _snippets(pack: Pack, written: list[RuleSpec]) -> Iterator[Pattern]:
    counts: Counter[str] = Counter()
    places: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for source, about, origin in _templates(pack, written):
        for match in _SNIPPET.finditer(source):
            text = normalised(match.group())
            if _PLAIN.fullmatch(text):
                continue  # printing a value is what templates are for
            counts[text] += 1
            places[text].append(_place(origin, about))
    repeated = sorted((-count, text) for text, count in counts.items()
                      if count >= SNIPPET_REPEATS)
    for negative, text in repeated[:SNIPPETS_SHOWN]:
        hint = next((h for key, h in _HINTS if key in text),
                    "a {% set %} or a macro, or a shorter form, says it once")
        shown = text if len(text) <= 100 else text[:99] + "…"
        yield Pattern(pack.id, "template", -negative, shown, hint, _shown(places[text]))


def _canonical(cond: Condition, facts: Mapping[str, FactSpec]) -> object:
    """A form in which two conditions that hold on the same values are equal."""
    if cond.all is not None or cond.any is not None:
        kind = "all" if cond.all is not None else "any"
        return (kind, frozenset(_canonical(c, facts) for c in (cond.all or cond.any or ())))
    if cond.not_ is not None:
        try:
            negated = negate(cond.not_, facts)
        except MirrorError:
            negated = cond
        if negated.not_ is not None:  # a test with no written opposite (a computed one)
            return ("not", _canonical(negated.not_, facts))
        return _canonical(negated, facts)
    spec = facts.get(cond.fact) if cond.fact is not None else None
    op = cond.operator
    if spec is not None and spec.type in ("bool", "enum") and op in ("eq", "ne", "in", "not_in"):
        universe = (True, False) if spec.type == "bool" else tuple(spec.values or ())
        named = set(cond.constants)
        held = named if op in ("eq", "in") else {v for v in universe if v not in named}
        return ("values", cond.fact, frozenset(held))
    return ("test", cond.model_dump_json(exclude_none=True))


def _conclusion(rule: RuleSpec) -> tuple[str, object]:
    if rule.derive is not None:
        return (f"derive {rule.derive.fact}", rule.derive.value)
    return (f"cause {rule.cause}", rule.effect)


def _mirror_pairs(pack: Pack, written: list[RuleSpec]) -> Iterator[Pattern]:
    by_target: dict[str, list[RuleSpec]] = defaultdict(list)
    for rule in written:
        if rule.otherwise is None:
            by_target[_conclusion(rule)[0]].append(rule)
    for target, rules in sorted(by_target.items()):
        canon = {r.id: _canonical(r.when, pack.facts) for r in rules}
        for first_index, first in enumerate(rules):
            try:
                opposite = _canonical(negate(first.when, pack.facts), pack.facts)
            except MirrorError:
                continue
            for second in rules[first_index + 1:]:
                if (canon[second.id] == opposite
                        and _conclusion(first)[1] != _conclusion(second)[1]):
                    # Keep the rule that supports its cause; the mirror rules it out.
                    keep, drop = ((second, first) if second.effect == "supports"
                                  and first.effect != "supports" else (first, second))
                    yield Pattern(
                        pack.id, "mirror_pair", 1, f"{keep.id} / {drop.id} ({target})",
                        f"write otherwise: on {keep.id} and drop {drop.id}",
                        _shown([_place(pack.origins.rules[first.id], first.id),
                                _place(pack.origins.rules[second.id], second.id)]))


def _unknown_branches(pack: Pack, written: list[RuleSpec]) -> Iterator[Pattern]:
    places: list[tuple[str, int, str]] = []
    for rule in written:
        for visit in rule.when.walk():
            branches = visit.condition.any
            if branches is None or visit.condition.or_unknown:
                continue  # written with or_unknown: true already (kb/condition.py)
            unknown = {c.fact for c in branches if c.is_test and c.known is False}
            tested = {c.fact for c in branches if c.is_test and c.known is None}
            if unknown & tested:
                places.append(_place(pack.origins.rules[rule.id], rule.id))
    if places:
        yield Pattern(pack.id, "unknown_branch", len(places),
                      "any: [{fact: x, known: false}, <a test on x>]",
                      "write the test alone with or_unknown: true", _shown(places))


def _shape(cond: Condition) -> object:
    """A condition with its constants left out: which facts it tests, and how."""
    if cond.all is not None or cond.any is not None:
        kind = "all" if cond.all is not None else "any"
        return (kind, tuple(sorted(map(repr, (_shape(c) for c in cond.all or cond.any or ())))))
    if cond.not_ is not None:
        return ("not", _shape(cond.not_))
    return (cond.subject, cond.operator)


def _tables(pack: Pack, written: list[RuleSpec]) -> Iterator[Pattern]:
    groups: dict[tuple[str, str], list[RuleSpec]] = defaultdict(list)
    for rule in written:
        groups[(_conclusion(rule)[0], repr(_shape(rule.when)))].append(rule)
    for (target, _), rules in sorted(groups.items()):
        if len(rules) >= TABLE_ROWS:
            facts = sorted(set().union(*(r.when.facts() for r in rules)))
            yield Pattern(
                pack.id, "lookup_table", len(rules),
                f"{len(rules)} rules for {target} testing {', '.join(facts)} with other constants",
                "one comparison may replace the table (ratio_to, close_to, gt_fact...)",
                _shown(_place(pack.origins.rules[r.id], r.id) for r in rules))


def terseness_text(figures: Terseness) -> list[str]:
    """The figures as lines of text, for ``kb lint``'s report."""
    out = ["Lines per rule (rules files, non-blank, non-comment lines per rule written):"]
    out.extend(f"  {p.pack}: {p.lines_per_rule:.1f} ({p.lines} lines, {p.rules} rules)"
               for p in figures.packs)
    out.append(f"  all packs: {figures.lines_per_rule:.1f} ({figures.lines} lines, "
               f"{figures.rules} rules)")
    if figures.patterns:  # advice for a shorter KB, never a finding: said so, once
        out.append("Repeated patterns (advice, not findings: each could be said once; "
                   "--no-figures hides this):")
    for pattern in figures.patterns:
        times = f"{pattern.count}x " if pattern.kind != "mirror_pair" else ""
        out.append(f"  {pattern.pack}: {pattern.kind} {times}{pattern.text}")
        out.append(f"      -> {pattern.hint}; at {', '.join(pattern.where)}"
                   + (" ..." if pattern.count > len(pattern.where) and pattern.kind != "mirror_pair"
                      else ""))
    return out


def terseness_json(figures: Terseness) -> dict[str, JsonValue]:
    """The figures as plain JSON data, for ``kb lint --format json``."""
    return {
        "packs": [
            {"pack": p.pack, "lines": p.lines, "rules": p.rules,
             "lines_per_rule": round(p.lines_per_rule, 2), "files": list(p.files)}
            for p in figures.packs
        ],
        "overall": {"lines": figures.lines, "rules": figures.rules,
                    "lines_per_rule": round(figures.lines_per_rule, 2)},
        "patterns": [
            {"pack": p.pack, "kind": p.kind, "count": p.count, "text": p.text, "hint": p.hint,
             "where": list(p.where)}
            for p in figures.patterns
        ],
    }
