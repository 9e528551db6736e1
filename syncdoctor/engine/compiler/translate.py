"""Compiling a pack's YAML rules into durable_rules rulesets (its JSON form).

One case is one ``case`` message holding every scalar fact, plus one message per record and one
per derived fact. Each YAML rule becomes:

- a *rule* that fires when its conditions are definitely true (a test on an unknown fact is
  never true, nor is its negation: negations are pushed down to the tests, each guarded by
  ``$ex``);
- and each distinct top-level condition on the case message also becomes a small program,
  evaluated in Python, that says when the condition is definitely false
  (:mod:`syncdoctor.engine.compiler.refutation`). A rule none of whose conditions is false could
  still fire once its unknown facts are known, so its unknown facts are questions worth asking.
  Under Kleene's three-valued logic "possibly true" is exactly "not definitely false". These
  tests were durable rules of their own ("blockers") until they were measured to be half of all
  firings and most of a large pack's network (docs/design-notes.md).

Every ruleset also holds a *sentinel* that fires on every case: durable_rules 2.0.28 frees
uninitialised memory when a session in which no action ran is deleted (a segfault), so every
session must run at least one action.

durable_rules hangs while building a ruleset in which one node has more than 512 distinct child
tests, so rules are packed into as many rulesets as needed to keep every node under
``NODE_CHILD_LIMIT``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncdoctor.engine.compiler.capacity import (
    Trie,
    and_,
    expand,
    order_tests,
    pack_into_rulesets,
    usage_of,
)
from syncdoctor.engine.compiler.model import (
    CompiledPack,
    ComputedTest,
    Entry,
    Expr,
    RegexTest,
    RuleShapeError,
)
from syncdoctor.engine.compiler.refutation import build_refutations, computed_key
from syncdoctor.engine.encoding import Encoded, FieldMap, encode, unknown_marker
from syncdoctor.kb.condition import COMPUTED
from syncdoctor.kb.spec import Condition, FactSpec, RecordFieldSpec, RuleSpec, Scalar
from syncdoctor.kb.values import parse_duration, type_value

_FLIP = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}
_DURABLE_OP = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_COMPARE_SUFFIX = ("_fact", "_field")


@dataclass
class _Scope:
    """How to reach the tested values: the case message, or one record message."""

    catalogue: Mapping[str, FactSpec]
    fields: FieldMap
    regex_field: dict[tuple[str, str], str]
    computed_field: dict[str, str]
    record_fact: str | None = None

    def spec(self, name: str) -> FactSpec | RecordFieldSpec:
        if self.record_fact is None:
            return self.catalogue[name]
        return (self.catalogue[self.record_fact].fields or {})[name]

    def field(self, name: str) -> str:
        if self.record_fact is None:
            return self.fields.facts[name]
        return self.fields.record_fields[self.record_fact][name]




def _or(parts: Sequence[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else {"$or": list(parts)}


def _exists(field_name: str) -> Expr:
    return {"$ex": {field_name: 1}}




def _unknown(field_name: str) -> Expr:
    return {unknown_marker(field_name): 1}


def _encoded(scope: _Scope, name: str, value: Scalar) -> Encoded:
    spec = scope.spec(name)
    return encode(spec.type, type_value(name, spec, value))


NEVER: Expr = {"t": "never"}
"""A test no message passes."""


def _test(scope: _Scope, cond: Condition, negate: bool) -> Expr:
    """A test on one fact (or record field), true only when definitely true (or false)."""
    name = cond.subject
    op = cond.operator
    value = cond.operand
    here = scope.field(name)
    if op in COMPUTED:
        # Computed before assertion (kb/compare.py): a boolean field, absent when undecided.
        return {scope.computed_field[computed_key(cond)]: not negate}
    if scope.record_fact is None and op not in ("known", "matches", "older_than", "newer_than"):
        # Both sides of a comparison keep their value; only "known" text can be a flag.
        for fact in (name, str(value)) if op.endswith("_fact") else (name,):
            if scope.catalogue[fact].type == "text":
                scope.fields.compared_text.add(fact)
    if op == "known":
        if bool(value) != negate:
            return _exists(here)
        scope.fields.markers.add(here)
        return _unknown(here)
    if op == "matches":
        return {scope.regex_field[(name, str(value))]: not negate}
    if op in ("older_than", "newer_than"):
        age = scope.fields.ages[name]
        scope.fields.aged.add(name)
        seconds = parse_duration(cond.duration)
        if op == "older_than":
            return {"$lte": {age: seconds}} if negate else {"$gt": {age: seconds}}
        return {"$gte": {age: seconds}} if negate else {"$lt": {age: seconds}}
    if op.endswith(_COMPARE_SUFFIX):
        base, _, _ = op.partition("_")
        other = scope.field(str(value))
        if base in ("eq", "ne"):
            positive = (base == "eq") != negate
            compare = {here: {"$m": other}} if positive else {"$neq": {here: {"$m": other}}}
        else:
            effective = _FLIP[base] if negate else base
            compare = {_DURABLE_OP[effective]: {here: {"$m": other}}}
        return and_([_exists(here), _exists(other), compare])
    if op in ("eq", "ne", "in", "not_in"):
        listed = list(cond.constants)
        positive = (op in ("eq", "in")) != negate
        values = [_encoded(scope, name, v) for v in listed]
        domain = _finite_domain(scope.spec(name))
        if not positive and domain is not None:
            # "Not X" over a finite domain is "one of the others": equality tests, which
            # durable_rules shares and of which only one per fact can match at a time.
            values = [v for v in domain if v not in values]
            positive = True
        if positive:
            return _or([{here: v} for v in values]) if values else NEVER
        return and_([_exists(here), *({"$neq": {here: v}} for v in values)])
    if op in _DURABLE_OP:
        effective = _FLIP[op] if negate else op
        bound = _encoded(scope, name, cond.constants[0])
        return and_([_exists(here), {_DURABLE_OP[effective]: {here: bound}}])
    raise RuleShapeError(f"operator {op!r} cannot be used here", ())


def _finite_domain(spec: FactSpec | RecordFieldSpec) -> list[Encoded] | None:
    if spec.type == "bool":
        return [False, True]
    if spec.type == "enum":
        return list(spec.values or ())
    return None



def definite(scope: _Scope, cond: Condition, negate: bool = False) -> Expr:
    """Expression true when ``cond`` (or, with negate, its negation) is definitely true."""
    if cond.all is not None:
        parts = [definite(scope, c, negate) for c in cond.all]
        return _or(parts) if negate else and_(parts)
    if cond.any is not None:
        parts = [definite(scope, c, negate) for c in cond.any]
        return and_(parts) if negate else _or(parts)
    if cond.not_ is not None:
        return definite(scope, cond.not_, not negate)
    return _test(scope, cond, negate)


def top_level(when: Condition) -> tuple[Condition, ...]:
    """The items of a rule's top-level conjunction."""
    return when.conjuncts()


def _classify(
    rule: RuleSpec, catalogue: Mapping[str, FactSpec]
) -> tuple[list[Condition], list[Condition], list[Condition]]:
    """Split top-level items into case tests, record tests and derived-fact tests."""
    split: dict[str, list[Condition]] = {"case": [], "records": [], "derived": []}
    for item in top_level(rule.when):
        split[_kind(item, catalogue)].append(item)
    return split["case"], split["records"], split["derived"]


def _kind(item: Condition, catalogue: Mapping[str, FactSpec]) -> str:
    """Which message a top-level item tests: the case, a record, or a derived fact."""
    if item.fact is not None and item.any_record is not None:
        return "records"
    if item.fact is not None and catalogue[item.fact].derived:
        return "derived"
    return "case"


def _derived_expr(item: Condition, field_name: str) -> Expr:
    base: list[Expr] = [{"t": "d"}, {"f": field_name}]
    op = item.operator
    if op == "eq":
        base.append({"v": item.constants[0]})
    elif op == "in":
        base.append(_or([{"v": v} for v in item.constants]))
    elif op != "known":
        raise RuleShapeError(f"derived facts are tested with eq, in or known: true, not {op}", ())
    return and_(base)


class _PackCompiler:
    def __init__(self, pack: str, catalogue: Mapping[str, FactSpec], rules: Sequence[RuleSpec]):
        self.pack = pack
        self.catalogue = catalogue
        self.rules = rules
        self.fields = FieldMap.build(catalogue)
        self.regex_field: dict[tuple[str, str], str] = {}
        self.regexes: list[RegexTest] = []
        self.computed_field: dict[str, str] = {}
        self.computed: list[ComputedTest] = []
        self.derived_field = {
            fact: self.fields.facts[fact] for fact, spec in catalogue.items() if spec.derived
        }
        for rule in rules:
            self._collect_regexes(rule.when, None)

    def _collect_regexes(self, cond: Condition, record: str | None) -> None:
        for child in (*(cond.all or ()), *(cond.any or ())):
            self._collect_regexes(child, record)
        if cond.not_ is not None:
            self._collect_regexes(cond.not_, record)
        if cond.any_record is not None and cond.fact is not None:
            self._collect_regexes(cond.any_record, cond.fact)
        if cond.is_test and cond.operator in COMPUTED and record is None:
            text = computed_key(cond)
            if text not in self.computed_field:
                name = f"y{len(self.computed_field)}"
                self.computed_field[text] = name
                self.computed.append(ComputedTest(name, cond))
        if cond.matches is not None and record is None and cond.fact is not None:
            key = (cond.fact, cond.matches)
            if key not in self.regex_field:
                name = f"x{len(self.regex_field)}"
                self.regex_field[key] = name
                self.regexes.append(RegexTest(name, cond.fact, cond.matches))

    def scope(self, record: str | None = None) -> _Scope:
        return _Scope(self.catalogue, self.fields, self.regex_field, self.computed_field, record)

    def rule_definitions(self, index: int, rule: RuleSpec) -> list[tuple[str, Entry, Expr]]:
        case, records, derived = _classify(rule, self.catalogue)
        case_scope = self.scope()
        aliases: list[Expr] = []
        case_tests = [definite(case_scope, c) for c in case]
        if case_tests or not (records or derived):
            aliases.append({"c": and_([{"t": "case"}, *case_tests])})
        for j, item in enumerate(records):
            assert item.fact is not None and item.any_record is not None
            rscope = self.scope(item.fact)
            expr = definite(rscope, item.any_record)
            aliases.append({f"r{j}": and_([{"t": self.fields.record_types[item.fact]}, expr])})
        for j, item in enumerate(derived):
            assert item.fact is not None
            aliases.append({f"d{j}": _derived_expr(item, self.derived_field[item.fact])})
        return [(f"r{index:05d}", Entry("rule", index, records=bool(records)), {"all": aliases})]

    def compile(self) -> CompiledPack:
        groups = [
            expand(self.rule_definitions(i, rule)) for i, rule in enumerate(self.rules)
        ]
        groups = order_tests(groups)
        tries: list[Trie] = []
        chunks = pack_into_rulesets(groups, tries)
        entries: dict[str, Entry] = {"sentinel": Entry("sentinel")}
        rulesets: list[dict[str, Expr]] = []
        for chunk in chunks:
            definition: dict[str, Expr] = {"sentinel": {"all": [{"c": {"t": "case"}}]}}
            for name, entry, expr in chunk:
                definition[name] = expr
                entries[name] = entry
            rulesets.append(definition)
        return CompiledPack(
            pack=self.pack,
            rulesets=tuple(rulesets),
            entries=entries,
            fields=self.fields,
            regexes=tuple(self.regexes),
            derived_field=self.derived_field,
            usage=usage_of(tries),
            computed=tuple(self.computed),
            refutations=build_refutations(
                self.catalogue, self.rules, self.fields, self.regex_field, self.computed_field,
                lambda item: _kind(item, self.catalogue) == "case",
            ),
        )




def compile_pack(
    pack: str, catalogue: Mapping[str, FactSpec], rules: Sequence[RuleSpec]
) -> CompiledPack:
    """Compile a validated pack; rules must be in their final (sorted) order.

    Raises:
        RuleShapeError: a rule the loader should have rejected.
        CapacityError: a single rule too large for durable_rules.
    """
    return _PackCompiler(pack, catalogue, rules).compile()
