"""Compiling a pack's YAML rules into durable_rules rulesets (its JSON form).

One case is one ``case`` message holding every scalar fact, plus one message per record and one
per derived fact. Each YAML rule becomes:

- a *rule* that fires when its conditions are definitely true (a test on an unknown fact is
  never true, nor is its negation: negations are pushed down to the tests, each guarded by
  ``$ex``);
- *blockers*, one per distinct top-level condition of any rule, that fire when that condition
  is definitely false. A rule none of whose conditions is blocked could still fire once its
  unknown facts are known, so its unknown facts are questions worth asking. Under Kleene's
  three-valued logic "possibly true" is exactly "not definitely false", and blockers fire only
  for known facts, so question selection stays inside the Rete network and costs firings in
  proportion to what is known, not to the number of rules.

Every ruleset also holds a *sentinel* that fires on every case: durable_rules 2.0.28 frees
uninitialised memory when a session in which no action ran is deleted (a segfault), so every
session must run at least one action.

durable_rules hangs while building a ruleset in which one node has more than 512 distinct child
tests, so rules are packed into as many rulesets as needed to keep every node under
``NODE_CHILD_LIMIT``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from syncdoctor.engine.facts import encode, type_value
from syncdoctor.engine.schema import Condition, FactSpec, RuleSpec, parse_duration
from syncdoctor.errors import CapacityError

NODE_CHILD_LIMIT = 500
"""Distinct child tests allowed under one network node (durable_rules hangs past 512)."""

Expr = dict[str, Any]
EntryKind = Literal["rule", "blocker", "sentinel"]

_FLIP = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}
_DURABLE_OP = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_COMPARE_SUFFIX = ("_fact", "_field")


@dataclass(frozen=True)
class RegexTest:
    """A ``matches`` test, evaluated (with RE2, in linear time) before assertion."""

    field: str
    fact: str
    pattern: str


@dataclass(frozen=True)
class Entry:
    """What one durable_rules rule stands for."""

    kind: EntryKind
    rule: int = -1
    """Index into the pack's rules (sorted by id), for a rule; -1 otherwise."""
    blocks: tuple[int, ...] = ()
    """For a blocker: the rules it shows cannot fire."""
    records: bool = False
    """Whether the rule binds records (its firings must be decoded to read them)."""


@dataclass
class FieldMap:
    """The names under which facts reach durable_rules.

    Fact ids contain dots, which durable_rules would read as nested paths, so each fact gets a
    short field name of its own.
    """

    facts: dict[str, str] = field(default_factory=dict)
    ages: dict[str, str] = field(default_factory=dict)
    counts: dict[str, str] = field(default_factory=dict)
    record_types: dict[str, str] = field(default_factory=dict)
    record_fields: dict[str, dict[str, str]] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)
    """Fields whose 'unknown' marker some rule tests; only these markers are asserted."""
    compared_text: set[str] = field(default_factory=set)
    """Text facts some rule compares by value (eq, ne, in, *_fact); others reach durable_rules
    as a bare presence flag."""
    aged: set[str] = field(default_factory=set)
    """Datetime facts whose age some rule tests; only these ages are asserted."""

    @classmethod
    def build(cls, catalogue: Mapping[str, FactSpec]) -> FieldMap:
        """Deterministic names: facts sorted by id."""
        fields = cls()
        for index, (fact, spec) in enumerate(sorted(catalogue.items())):
            name = f"f{index}"
            fields.facts[fact] = name
            if spec.type == "datetime":
                fields.ages[fact] = f"{name}_age"
            if spec.type == "records":
                fields.counts[fact] = f"{name}_n"
                fields.record_types[fact] = f"r:{name}"
                fields.record_fields[fact] = {
                    rf: f"k{j}" for j, rf in enumerate(sorted(spec.fields or {}))
                }
        return fields


@dataclass
class CompiledPack:
    """A pack's rules as durable_rules ruleset definitions, and how to read their firings."""

    pack: str
    rulesets: tuple[dict[str, Expr], ...]
    entries: dict[str, Entry]
    fields: FieldMap
    regexes: tuple[RegexTest, ...]
    derived_field: dict[str, str]
    """Derived fact id -> field name used in its ``d`` messages."""
    usage: dict[str, float] = field(default_factory=dict)
    """The highest share of each durable_rules limit that any of the rulesets uses."""


class RuleCapacityError(CapacityError):
    """One rule too large for durable_rules; ``rule`` is its index in the pack (-1: none)."""

    def __init__(self, message: str, rule: int) -> None:
        super().__init__(message)
        self.rule = rule


class RuleShapeError(ValueError):
    """A rule whose conditions cannot compile; the message says why, the path says where."""

    def __init__(self, message: str, path: Sequence[str | int]) -> None:
        super().__init__(message)
        self.path = tuple(path)


@dataclass
class _Scope:
    """How to reach the tested values: the case message, or one record message."""

    catalogue: Mapping[str, FactSpec]
    fields: FieldMap
    regex_field: dict[tuple[str, str], str]
    record_fact: str | None = None

    def spec(self, name: str) -> Any:
        if self.record_fact is None:
            return self.catalogue[name]
        return (self.catalogue[self.record_fact].fields or {})[name]

    def field(self, name: str) -> str:
        if self.record_fact is None:
            return self.fields.facts[name]
        return self.fields.record_fields[self.record_fact][name]


def _and(parts: Sequence[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else {"$and": list(parts)}


def _or(parts: Sequence[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else {"$or": list(parts)}


def _exists(field_name: str) -> Expr:
    return {"$ex": {field_name: 1}}


def unknown_marker(field_name: str) -> str:
    """The field set to 1 in a message when ``field_name`` is unknown.

    durable_rules has ``$nex`` for this, but it never shares ``$nex`` nodes and allows 128 of
    them under one node (error 107); an equality test on a marker is shared like any other.
    """
    return f"{field_name}_u"


def _unknown(field_name: str) -> Expr:
    return {unknown_marker(field_name): 1}


def _encoded(scope: _Scope, name: str, value: Any) -> Any:
    spec = scope.spec(name)
    return encode(spec.type, type_value(name, spec, value))


NEVER: Expr = {"t": "never"}
"""A test no message passes."""


def _test(scope: _Scope, cond: Condition, negate: bool, settled: bool = False) -> Expr:
    """A test on one fact (or record field), true only when definitely true (or false).

    With ``settled``, only outcomes that further facts cannot change count: a fact that is
    unknown now may be known later, so "unknown" never settles anything.
    """
    name = cond.subject
    op = cond.operator
    value = cond.operand
    here = scope.field(name)
    if scope.record_fact is None and op not in ("known", "matches", "older_than", "newer_than"):
        # Both sides of a comparison keep their value; only "known" text can be a flag.
        for fact in (name, str(value)) if op.endswith("_fact") else (name,):
            if scope.catalogue[fact].type == "text":
                scope.fields.compared_text.add(fact)
    if op == "known":
        if bool(value) != negate:
            return _exists(here)
        if settled:
            return NEVER
        scope.fields.markers.add(here)
        return _unknown(here)
    if op == "matches":
        return {scope.regex_field[(name, str(value))]: not negate}
    if op in ("older_than", "newer_than"):
        age = scope.fields.ages[name]
        scope.fields.aged.add(name)
        seconds = parse_duration(value)
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
        return _and([_exists(here), _exists(other), compare])
    if op in ("eq", "ne", "in", "not_in"):
        listed = list(value) if op in ("in", "not_in") else [value]
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
        return _and([_exists(here), *({"$neq": {here: v}} for v in values)])
    if op in _DURABLE_OP:
        effective = _FLIP[op] if negate else op
        return _and([_exists(here), {_DURABLE_OP[effective]: {here: _encoded(scope, name, value)}}])
    raise RuleShapeError(f"operator {op!r} cannot be used here", ())


def _finite_domain(spec: Any) -> list[Any] | None:
    if spec.type == "bool":
        return [False, True]
    if spec.type == "enum":
        return list(spec.values or ())
    return None



def definite(
    scope: _Scope, cond: Condition, negate: bool = False, settled: bool = False
) -> Expr:
    """Expression true when ``cond`` (or, with negate, its negation) is definitely true."""
    if cond.all is not None:
        parts = [definite(scope, c, negate, settled) for c in cond.all]
        return _or(parts) if negate else _and(parts)
    if cond.any is not None:
        parts = [definite(scope, c, negate, settled) for c in cond.any]
        return _and(parts) if negate else _or(parts)
    if cond.not_ is not None:
        return definite(scope, cond.not_, not negate, settled)
    return _test(scope, cond, negate, settled)


def top_level(when: Condition) -> tuple[Condition, ...]:
    """The items of a rule's top-level conjunction."""
    return when.all if when.all is not None else (when,)


def _classify(
    rule: RuleSpec, catalogue: Mapping[str, FactSpec]
) -> tuple[list[Condition], list[Condition], list[Condition]]:
    """Split top-level items into case tests, record tests and derived-fact tests."""
    case: list[Condition] = []
    records: list[Condition] = []
    derived: list[Condition] = []
    for item in top_level(rule.when):
        if item.fact is not None and item.any_record is not None:
            records.append(item)
        elif item.fact is not None and catalogue[item.fact].derived:
            derived.append(item)
        else:
            case.append(item)
    return case, records, derived


def _derived_expr(item: Condition, field_name: str) -> Expr:
    base: list[Expr] = [{"t": "d"}, {"f": field_name}]
    op, value = item.operator, item.operand
    if op == "eq":
        base.append({"v": value})
    elif op == "in":
        base.append(_or([{"v": v} for v in value]))
    elif op != "known":
        raise RuleShapeError(f"derived facts are tested with eq, in or known: true, not {op}", ())
    return _and(base)


class _PackCompiler:
    def __init__(self, pack: str, catalogue: Mapping[str, FactSpec], rules: Sequence[RuleSpec]):
        self.pack = pack
        self.catalogue = catalogue
        self.rules = rules
        self.fields = FieldMap.build(catalogue)
        self.regex_field: dict[tuple[str, str], str] = {}
        self.regexes: list[RegexTest] = []
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
        if cond.matches is not None and record is None and cond.fact is not None:
            key = (cond.fact, cond.matches)
            if key not in self.regex_field:
                name = f"x{len(self.regex_field)}"
                self.regex_field[key] = name
                self.regexes.append(RegexTest(name, cond.fact, cond.matches))

    def scope(self, record: str | None = None) -> _Scope:
        return _Scope(self.catalogue, self.fields, self.regex_field, record)

    def rule_definitions(self, index: int, rule: RuleSpec) -> list[tuple[str, Entry, Expr]]:
        case, records, derived = _classify(rule, self.catalogue)
        case_scope = self.scope()
        aliases: list[Expr] = []
        case_tests = [definite(case_scope, c) for c in case]
        if case_tests or not (records or derived):
            aliases.append({"c": _and([{"t": "case"}, *case_tests])})
        for j, item in enumerate(records):
            assert item.fact is not None and item.any_record is not None
            rscope = self.scope(item.fact)
            expr = definite(rscope, item.any_record)
            aliases.append({f"r{j}": _and([{"t": self.fields.record_types[item.fact]}, expr])})
        for j, item in enumerate(derived):
            assert item.fact is not None
            aliases.append({f"d{j}": _derived_expr(item, self.derived_field[item.fact])})
        return [(f"r{index:05d}", Entry("rule", index, records=bool(records)), {"all": aliases})]

    def blockers(self) -> list[tuple[str, Entry, Expr]]:
        """One rule per distinct top-level case condition, firing when it is definitely false."""
        blocked: dict[str, tuple[Expr, set[int]]] = {}
        scope = self.scope()
        for index, rule in enumerate(self.rules):
            case, _, _ = _classify(rule, self.catalogue)
            for item in case:
                expr = _and([{"t": "case"}, definite(scope, item, negate=True, settled=True)])
                key = json.dumps(expr, sort_keys=True)
                blocked.setdefault(key, (expr, set()))[1].add(index)
        out = []
        for number, key in enumerate(sorted(blocked)):
            expr, rules = blocked[key]
            if expr == _and([{"t": "case"}, NEVER]):
                continue  # nothing known can refute this condition
            entry = Entry("blocker", blocks=tuple(sorted(rules)))
            out.append((f"b{number:05d}", entry, {"all": [{"c": expr}]}))
        return out

    def compile(self) -> CompiledPack:
        groups = [
            _expand(self.rule_definitions(i, rule)) for i, rule in enumerate(self.rules)
        ]
        for blocker in self.blockers():
            try:
                groups.append(_expand([blocker]))
            except CapacityError:
                # A negation too wide to expand only makes questions less precise: skip it.
                continue
        groups = _order_tests(groups)
        tries: list[_Trie] = []
        chunks = _pack_into_rulesets(groups, tries)
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
            usage=_usage(tries),
        )


MAX_ALTERNATIVES = 64
"""Alternatives (disjunctive normal form) one rule may expand to."""
BETA_CHILD_LIMIT = 250
"""Rules allowed to end on one network node (durable_rules stops at 256, error 108)."""
RULES_PER_RULESET = 4000
"""durable_rules allows 4,096 rules (actions) per ruleset."""


def _alternatives(expr: Expr) -> list[list[Expr]]:
    """The conjunctions of plain tests an expression is the disjunction of."""
    if "$and" in expr:
        conjunctions: list[list[Expr]] = [[]]
        for part in expr["$and"]:
            options = _alternatives(part)
            if len(conjunctions) * len(options) > MAX_ALTERNATIVES:
                raise CapacityError(f"more than {MAX_ALTERNATIVES} alternatives")
            conjunctions = [c + o for c in conjunctions for o in options]
        return conjunctions
    if "$or" in expr:
        out: list[list[Expr]] = []
        for part in expr["$or"]:
            out.extend(_alternatives(part))
            if len(out) > MAX_ALTERNATIVES:
                raise CapacityError(f"more than {MAX_ALTERNATIVES} alternatives")
        return out
    return [[expr]]


def _expand(definitions: list[tuple[str, Entry, Expr]]) -> list[tuple[str, Entry, Expr]]:
    """One durable rule per alternative, so that no ``$or`` reaches durable_rules.

    durable_rules never shares an ``$or`` node and allows 128 of them under one node (error
    107); plain tests are shared between rules and allowed 512 children. A rule may then fire
    once per true alternative; readers of firings deduplicate.
    """
    out: list[tuple[str, Entry, Expr]] = []
    for name, entry, expr in definitions:
        too_many = RuleCapacityError(
            f"the rule expands to more than {MAX_ALTERNATIVES} alternatives (every 'in' value "
            "and 'any' branch multiplies them); split it into several rules",
            entry.rule,
        )
        per_alias = []
        try:
            for alias_expr in expr["all"]:
                ((alias, inner),) = alias_expr.items()
                per_alias.append([(alias, conj) for conj in _alternatives(inner)])
        except CapacityError:
            raise too_many from None
        combos: list[list[tuple[str, list[Expr]]]] = [[]]
        for options in per_alias:
            if len(combos) * len(options) > MAX_ALTERNATIVES:
                raise too_many
            combos = [[*c, o] for c in combos for o in options]
        for number, combo in enumerate(combos):
            patterns = [{alias: _and(conj)} for alias, conj in combo]
            suffix = f".{number}" if len(combos) > 1 else ""
            out.append((f"{name}{suffix}", entry, {"all": patterns}))
    return out


STACK_LIMIT = 60
"""durable_rules walks the alpha network with a stack of 64 nodes: every child test that matches
one message is pushed at once (error 303 past 64). The compiler bounds the sum, along any path,
of the children of a node that could match the same message."""

Test = tuple[str, str | None]
"""A test's canonical text, and the property it compares for equality (None otherwise)."""


def _field_of(test: Expr) -> str:
    ((key, value),) = test.items()
    if key.startswith("$") and isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value)))
    return key


def _order_tests(
    groups: list[list[tuple[str, Entry, Expr]]],
) -> list[list[tuple[str, Entry, Expr]]]:
    """Put each chain's tests in one pack-wide order: the most tested fields first.

    A conjunction means the same in any order, but durable_rules shares a chain's prefix with
    other chains only when their tests come in the same order. Ordering by how often a field is
    tested makes chains share their first nodes, so that fewer distinct tests hang under the
    root and fewer of them can match one message at once: fewer rulesets, faster assertions.
    """
    counts: dict[str, int] = defaultdict(int)
    for group in groups:
        for _, _, expr in group:
            for pattern in expr["all"]:
                (inner,) = pattern.values()
                for test in inner.get("$and", [inner])[1:]:
                    counts[_field_of(test)] += 1

    def key(test: Expr) -> tuple[int, str, int, str]:
        field_name = _field_of(test)
        ((op, _),) = test.items()
        # A field's $ex guard first, then its other tests, so chains share the guard.
        return (-counts[field_name], field_name, 0 if op == "$ex" else 1, json.dumps(test))

    ordered: list[list[tuple[str, Entry, Expr]]] = []
    for group in groups:
        new_group = []
        for name, entry, expr in group:
            patterns = []
            for pattern in expr["all"]:
                ((alias, inner),) = pattern.items()
                chain = inner.get("$and", [inner])
                if len(chain) > 2:
                    chain = [chain[0], *sorted(chain[1:], key=key)]
                patterns.append({alias: _and(chain)})
            new_group.append((name, entry, {"all": patterns}))
        ordered.append(new_group)
    return ordered


def _paths(expr: Expr) -> list[list[Test]]:
    """The chain of alpha tests each pattern of one durable rule builds."""
    paths: list[list[Test]] = []
    for alias_expr in expr["all"]:
        (inner,) = alias_expr.values()
        chain = inner.get("$and", [inner])
        paths.append([_canonical(test) for test in chain])
    return paths


def _canonical(test: Expr) -> Test:
    ((key, value),) = test.items()
    is_equality = not key.startswith("$") and not isinstance(value, dict)
    return json.dumps(test, sort_keys=True), key if is_equality else None


class _Node:
    """A node of the alpha network as durable_rules will build it."""

    __slots__ = ("best_child", "children", "ends", "equalities", "others")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.equalities: dict[str, int] = {}
        self.others = 0
        self.ends = 0
        self.best_child = 0

    @property
    def matching(self) -> int:
        """Most children that can match one message: one per equality property, all others."""
        return len(self.equalities) + self.others

    @property
    def stack(self) -> int:
        """Most stack entries a walk from this node can need."""
        return self.matching + self.best_child


class _Trie:
    """A model of one ruleset's alpha network, to keep it inside durable_rules' limits."""

    def __init__(self) -> None:
        self.root = _Node()
        self.rules = 0

    def try_add(self, group: Sequence[tuple[str, Entry, Expr]]) -> bool:
        """Add the group's rules if every limit still holds; otherwise change nothing."""
        if self.rules + len(group) > RULES_PER_RULESET:
            return False
        undo: list[tuple[str, _Node, Any]] = []
        ok = True
        for _, _, expr in group:
            for path in _paths(expr):
                ok = self._add_path(path, undo) and ok
        if ok and self.root.stack <= STACK_LIMIT:
            self.rules += len(group)
            return True
        for action, node, value in reversed(undo):
            if action == "child":
                text, prop = value
                del node.children[text]
                if prop is None:
                    node.others -= 1
                else:
                    node.equalities[prop] -= 1
                    if not node.equalities[prop]:
                        del node.equalities[prop]
            elif action == "end":
                node.ends -= 1
            else:
                node.best_child = value
        return False

    def _add_path(self, path: list[Test], undo: list[tuple[str, _Node, Any]]) -> bool:
        ok = True
        visited = [self.root]
        node = self.root
        for text, prop in path:
            child = node.children.get(text)
            if child is None:
                child = node.children[text] = _Node()
                if prop is None:
                    node.others += 1
                else:
                    node.equalities[prop] = node.equalities.get(prop, 0) + 1
                undo.append(("child", node, (text, prop)))
                ok = ok and len(node.children) <= NODE_CHILD_LIMIT
            node = child
            visited.append(node)
        node.ends += 1
        undo.append(("end", node, None))
        ok = ok and node.ends <= BETA_CHILD_LIMIT
        for parent, child in zip(reversed(visited[:-1]), reversed(visited[1:]), strict=True):
            if child.stack > parent.best_child:
                undo.append(("best", parent, parent.best_child))
                parent.best_child = child.stack
        return ok


def _new_trie() -> _Trie:
    trie = _Trie()
    trie.try_add([("sentinel", Entry("sentinel"), {"all": [{"c": {"t": "case"}}]})])
    return trie


def _usage(tries: Sequence[_Trie]) -> dict[str, float]:
    """The share of each limit used, at the most loaded node of any ruleset."""
    peak = {"children": 0, "ends": 0, "stack": 0, "rules": 0}
    for trie in tries:
        peak["stack"] = max(peak["stack"], trie.root.stack)
        peak["rules"] = max(peak["rules"], trie.rules)
        pending = [trie.root]
        while pending:
            node = pending.pop()
            peak["children"] = max(peak["children"], len(node.children))
            peak["ends"] = max(peak["ends"], node.ends)
            pending.extend(node.children.values())
    limits = {
        "children": NODE_CHILD_LIMIT, "ends": BETA_CHILD_LIMIT,
        "stack": STACK_LIMIT, "rules": RULES_PER_RULESET,
    }
    return {key: round(peak[key] / limits[key], 3) for key in sorted(peak)}


def _pack_into_rulesets(
    groups: Sequence[list[tuple[str, Entry, Expr]]],
    tries: list[_Trie] | None = None,
) -> list[list[tuple[str, Entry, Expr]]]:
    """Greedily fill rulesets, keeping every node's children under the limit."""
    chunks: list[list[tuple[str, Entry, Expr]]] = [[]]
    trie = _new_trie()
    built = tries if tries is not None else []
    built.append(trie)
    for group in groups:
        if not trie.try_add(group):
            chunks.append([])
            trie = _new_trie()
            built.append(trie)
            if not trie.try_add(group):
                raise RuleCapacityError(
                    f"the rule alone is beyond what durable_rules can build: more than "
                    f"{NODE_CHILD_LIMIT} tests under one node, {BETA_CHILD_LIMIT} "
                    f"alternatives ending on one, or {STACK_LIMIT} tests matching one fact",
                    group[0][1].rule,
                )
        chunks[-1].extend(group)
    return chunks


def compile_pack(
    pack: str, catalogue: Mapping[str, FactSpec], rules: Sequence[RuleSpec]
) -> CompiledPack:
    """Compile a validated pack; rules must be in their final (sorted) order.

    Raises:
        RuleShapeError: a rule the loader should have rejected.
        CapacityError: a single rule too large for durable_rules.
    """
    return _PackCompiler(pack, catalogue, rules).compile()
