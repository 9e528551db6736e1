"""Loading a knowledge base: layered folders of facts/, rules/ and playbooks/ YAML.

Loading is all or nothing: every problem in every file is collected, located (file:line:col and
key path) and raised together in one :class:`KnowledgeBaseError`; a KB with an error never
half-loads. Later layers override earlier ones by id, and each override is reported.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import re2
from pydantic import BaseModel, ValidationError

from syncdoctor.engine.compiler import (
    CompiledPack,
    RuleCapacityError,
    RuleShapeError,
    compile_pack,
    top_level,
)
from syncdoctor.engine.facts import type_value
from syncdoctor.engine.render import Renderer, prepare
from syncdoctor.engine.runtime import RegisteredRuleset, runtime
from syncdoctor.engine.schema import (
    Condition,
    Extractor,
    FactsFile,
    FactSpec,
    PlaybookFile,
    RulesFile,
    RuleSpec,
    parse_duration,
)
from syncdoctor.engine.suggest import nearest
from syncdoctor.engine.yamlsource import Located, load_yaml_file
from syncdoctor.errors import FactError, KnowledgeBaseError, Problem

SECTIONS = ("facts", "rules", "playbooks")
TEST_SUFFIXES = (".test.yaml", ".test.yml")
M = TypeVar("M", bound=BaseModel)


def _field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
    return names


def bundled_kb_dir() -> Path:
    """The knowledge base shipped with syncdoctor (the repository root in a checkout)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_kb"
    if installed.is_dir():
        return installed
    return package.parent


@dataclass(frozen=True)
class Origin:
    """Where an item of the KB was written."""

    located: Located
    path: tuple[str | int, ...]

    def problem(self, code: str, message: str, *extra: str | int, suggestion: str | None = None,
                severity: str = "error") -> Problem:
        """A problem located at this item (or at a key below it)."""
        return self.located.problem(code, message, (*self.path, *extra), suggestion, severity)

    @property
    def file(self) -> str:
        """The file's display name."""
        return self.located.file

    @property
    def line(self) -> int:
        """The item's line."""
        return self.located.locate(self.path)[0]


@dataclass
class Pack:
    """One playbook pack: its facts, rules, playbook and compiled rulesets."""

    id: str
    playbook: PlaybookFile
    facts: dict[str, FactSpec]
    extractors: tuple[Extractor, ...]
    rules: tuple[RuleSpec, ...]
    origins: dict[str, Origin]
    """Keys: 'playbook', 'fact:<id>', 'rule:<id>', 'cause:<id>', 'extractor:<id>'."""
    step_order: dict[str, int] = field(default_factory=dict)
    because: dict[str, Renderer] = field(default_factory=dict)
    remediation: dict[str, Renderer] = field(default_factory=dict)
    contact: dict[str, Renderer] = field(default_factory=dict)
    send: dict[str, tuple[Renderer, ...]] = field(default_factory=dict)
    extractor_patterns: tuple[Any, ...] = ()
    extractor_targets: tuple[frozenset[str], ...] = ()
    """Per extractor: the facts it can set."""
    regex_patterns: tuple[Any, ...] = ()
    facts_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Rule id -> the facts its conditions read, in first-use order."""
    template_facts: frozenset[str] = frozenset()
    rule_steps: tuple[int, ...] = ()
    """Per rule (by index): its step's position in the playbook."""
    asked_facts: tuple[tuple[str, ...], ...] = ()
    """Per rule: the facts it reads that may be asked (not derived)."""
    derived_read: tuple[tuple[str, ...], ...] = ()
    """Per rule: the derived facts it reads."""
    derivers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Derived fact -> the rules deriving it."""
    cause_rules: tuple[tuple[int, str], ...] = ()
    """(rule index, cause) for every rule that concludes a cause."""
    record_fields: dict[str, Any] = field(default_factory=dict)
    """Records fact -> its fields, as a Question lists them."""
    extracted_from: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Text fact -> the facts its extractors can set."""
    used_facts: frozenset[str] = frozenset()
    """Facts some rule, extractor or template reads."""
    cause_rank: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Cause id -> its sort key: playbook step, then id."""
    marked_facts: tuple[str, ...] = ()
    """Facts whose unknown marker the compiled rules test."""
    compiled: CompiledPack | None = None
    registered: tuple[RegisteredRuleset, ...] = ()
    rule_index: dict[str, int] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """The pack version from its playbook."""
        return self.playbook.version

    def rule_facts(self, rule: RuleSpec) -> list[str]:
        """Facts a rule's conditions read, in first-use order."""
        out: list[str] = []
        _collect_facts(rule.when, out)
        return out


def _collect_facts(cond: Condition, out: list[str]) -> None:
    for child in (*(cond.all or ()), *(cond.any or ())):
        _collect_facts(child, out)
    if cond.not_ is not None:
        _collect_facts(cond.not_, out)
    if cond.fact is not None and cond.fact not in out:
        out.append(cond.fact)
    if cond.fact is not None and cond.operator.endswith("_fact"):
        other = str(cond.operand)
        if other not in out:
            out.append(other)


@dataclass
class KnowledgeBase:
    """A loaded, validated and compiled knowledge base."""

    packs: dict[str, Pack]
    version: str
    layers: tuple[Path, ...]
    overrides: tuple[str, ...] = ()

    def pack(self, pack_id: str) -> Pack:
        """The pack with that id.

        Raises:
            PackError: no such pack.
        """
        from syncdoctor.errors import PackError

        try:
            return self.packs[pack_id]
        except KeyError:
            known = sorted(self.packs)
            raise PackError(pack_id, known, nearest(pack_id, known)) from None

    def close(self) -> None:
        """Free the engine's rulesets; the KB cannot diagnose afterwards."""
        for pack in self.packs.values():
            runtime().release(pack.registered)
            pack.registered = ()


# ---------------------------------------------------------------------------------------------
# reading and validating files


def _pydantic_problems(located: Located, error: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if part != "[key]"]
        path = _data_path(located.data, loc)
        kind = item["type"]
        message = str(item["msg"]).removeprefix("Value error, ")
        suggestion = None
        if kind == "extra_forbidden":
            code = "KB102"
            key = str(loc[-1]) if loc else "?"
            message = f"unknown key {key!r}"
            suggestion = nearest(key, _ALL_KEYS)
        elif kind == "missing":
            code = "KB103"
            message = f"missing required key {str(loc[-1])!r}" if loc else "missing key"
        elif isinstance(item.get("input"), date):
            code = "KB101"
            message = "write dates and date-times as quoted text, e.g. '2024-05-01T10:00:00Z'"
        else:
            code = "KB101"
            if "input" in item and kind not in ("value_error", "assertion_error"):
                shown = repr(item["input"])
                message += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
        problems.append(located.problem(code, message, path, suggestion))
    # One problem per location is enough: unions report one error per alternative.
    unique: dict[tuple[int, int, str], Problem] = {}
    for problem in problems:
        unique.setdefault((problem.line, problem.column, problem.code), problem)
    return list(unique.values())


def _data_path(data: Any, loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """The longest prefix of a pydantic location that exists in the data."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_map = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_list:
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str):
            path.append(part)  # a missing or extra key: point at its parent, name it
            break
        else:
            break
        path.append(part)
    return tuple(path)


_ALL_KEYS: list[str] = sorted(
    set().union(
        *(
            _field_names(model)
            for model in (FactsFile, RulesFile, PlaybookFile, FactSpec, RuleSpec, Condition)
        ),
        *(_field_names(m) for m in (Extractor,)),
    )
)


def _validate(model: type[M], located: Located) -> M | list[Problem]:
    if located.data is None:
        return [located.problem("KB103", "the file is empty", ())]
    if not isinstance(located.data, dict):
        return [located.problem("KB101", "the file must hold a mapping at its top level", ())]
    try:
        return model.model_validate(located.data)
    except ValidationError as error:
        return _pydantic_problems(located, error)


def _files(layer: Path, section: str) -> list[Path]:
    folder = layer / section
    if not folder.is_dir():
        return []
    files = [
        p for p in sorted(folder.iterdir())
        if p.suffix in (".yaml", ".yml") and not p.name.endswith(TEST_SUFFIXES) and p.is_file()
    ]
    return files


def display_path(path: Path, layer: Path | None = None) -> str:
    """How a KB file is named in messages: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return f"{layer.name}/{path.relative_to(layer)}" if layer is not None else str(path)


@dataclass
class _Draft:
    """What the layers say about one pack, before cross-checks."""

    playbook: tuple[PlaybookFile, Origin] | None = None
    facts: dict[str, tuple[FactSpec, Origin]] = field(default_factory=dict)
    extractors: dict[str, tuple[Extractor, Origin]] = field(default_factory=dict)
    rules: dict[str, tuple[RuleSpec, Origin]] = field(default_factory=dict)


def load_kb(
    layers: Sequence[Path | str] | None = None, *, bundled: bool = True
) -> KnowledgeBase:
    """Load, check and compile a knowledge base.

    Args:
        layers: extra KB folders (each with facts/, rules/, playbooks/), laid over the bundled
            one in order; a later layer overrides an earlier one by id.
        bundled: start from the bundled knowledge base.

    Raises:
        KnowledgeBaseError: every problem found, each with file:line:col.
    """
    folders: list[Path] = [bundled_kb_dir()] if bundled else []
    folders.extend(Path(p) for p in layers or ())
    problems: list[Problem] = []
    for folder in folders:
        if not folder.is_dir():
            problems.append(Problem("KB100", f"knowledge-base folder not found: {folder}",
                                    file=str(folder)))
    if problems:
        raise KnowledgeBaseError(problems)

    drafts: dict[str, _Draft] = {}
    overrides: list[str] = []
    for layer_index, folder in enumerate(folders):
        seen_here: dict[str, Origin] = {}
        for section in SECTIONS:
            for path in _files(folder, section):
                display = display_path(path, folder)
                try:
                    located = load_yaml_file(path, display)
                except KnowledgeBaseError as error:
                    problems.extend(error.problems)
                    continue
                _absorb(section, located, drafts, seen_here, layer_index, overrides, problems)
    if problems:
        # A file that did not parse would only cause knock-on errors in the cross-checks.
        raise KnowledgeBaseError(sorted(problems, key=lambda p: (p.file, p.line, p.column)))
    packs: dict[str, Pack] = {}
    for pack_id in sorted(drafts):
        pack = _assemble(pack_id, drafts[pack_id], problems)
        if pack is not None:
            packs[pack_id] = pack
    if problems:
        raise KnowledgeBaseError(sorted(problems, key=lambda p: (p.file, p.line, p.column)))
    for pack in packs.values():
        _compile(pack, problems)
    if problems:
        raise KnowledgeBaseError(problems)
    for pack in packs.values():
        assert pack.compiled is not None
        pack.registered = runtime().register(pack.compiled.rulesets)
    return KnowledgeBase(
        packs=packs,
        version=_content_version(packs),
        layers=tuple(folders),
        overrides=tuple(overrides),
    )


def _content_version(packs: Mapping[str, Pack]) -> str:
    """A hash of what the KB means, not of how its files are laid out or ordered."""
    canonical: dict[str, Any] = {
        pack_id: {
            "playbook": pack.playbook.model_dump(mode="json", by_alias=True),
            "facts": {k: v.model_dump(mode="json") for k, v in pack.facts.items()},
            "rules": [r.model_dump(mode="json", by_alias=True) for r in pack.rules],
            # File order decides which extractor's value wins, so it is part of the meaning.
            "extractors": [e.model_dump(mode="json", by_alias=True) for e in pack.extractors],
        }
        for pack_id, pack in packs.items()
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _absorb(
    section: str,
    located: Located,
    drafts: dict[str, _Draft],
    seen_here: dict[str, Origin],
    layer_index: int,
    overrides: list[str],
    problems: list[Problem],
) -> None:
    """Add one file's items to the drafts, noting duplicates and overrides."""

    def place(key: str, origin: Origin, what: str) -> bool:
        earlier = seen_here.get(key)
        if earlier is not None:
            problems.append(
                origin.problem(
                    "KB107", f"duplicate {what} (first defined at {earlier.file}:{earlier.line})"
                )
            )
            return False
        seen_here[key] = origin
        return True

    def note_override(old: Origin, new: Origin, what: str) -> None:
        if layer_index > 0:
            overrides.append(f"{what} overridden by {new.file}:{new.line} "
                             f"(was {old.file}:{old.line})")

    if section == "facts":
        parsed_facts = _validate(FactsFile, located)
        if isinstance(parsed_facts, list):
            problems.extend(parsed_facts)
            return
        draft = drafts.setdefault(parsed_facts.pack, _Draft())
        for fact_id, spec in parsed_facts.facts.items():
            origin = Origin(located, ("facts", fact_id))
            if not place(f"{parsed_facts.pack}/fact/{fact_id}", origin, f"fact {fact_id!r}"):
                continue
            if fact_id in draft.facts:
                note_override(draft.facts[fact_id][1], origin, f"fact {fact_id!r}")
            draft.facts[fact_id] = (spec, origin)
        for index, extractor in enumerate(parsed_facts.extractors):
            origin = Origin(located, ("extractors", index))
            key = f"{parsed_facts.pack}/extractor/{extractor.id}"
            if not place(key, origin, f"extractor {extractor.id!r}"):
                continue
            if extractor.id in draft.extractors:
                note_override(draft.extractors[extractor.id][1], origin,
                              f"extractor {extractor.id!r}")
            draft.extractors[extractor.id] = (extractor, origin)
    elif section == "rules":
        parsed_rules = _validate(RulesFile, located)
        if isinstance(parsed_rules, list):
            problems.extend(parsed_rules)
            return
        draft = drafts.setdefault(parsed_rules.pack, _Draft())
        for index, rule in enumerate(parsed_rules.rules):
            origin = Origin(located, ("rules", index))
            if not place(f"rule/{rule.id}", origin, f"rule id {rule.id!r}"):
                continue
            if rule.id in draft.rules:
                note_override(draft.rules[rule.id][1], origin, f"rule {rule.id!r}")
            draft.rules[rule.id] = (rule, origin)
    else:
        parsed_book = _validate(PlaybookFile, located)
        if isinstance(parsed_book, list):
            problems.extend(parsed_book)
            return
        origin = Origin(located, ())
        if not place(f"playbook/{parsed_book.id}", origin, f"playbook {parsed_book.id!r}"):
            return
        draft = drafts.setdefault(parsed_book.id, _Draft())
        if draft.playbook is not None:
            note_override(draft.playbook[1], origin,
                          f"playbook {parsed_book.id!r}")
        draft.playbook = (parsed_book, origin)


# ---------------------------------------------------------------------------------------------
# cross-checks


class _Checker:
    """Cross-file checks of one pack; every problem is located."""

    def __init__(self, pack: Pack, problems: list[Problem]) -> None:
        self.pack = pack
        self.problems = problems

    def fact(self, origin: Origin, path: tuple[str | int, ...], fact: str) -> FactSpec | None:
        spec = self.pack.facts.get(fact)
        if spec is None:
            self.problems.append(origin.problem(
                "KB104", f"unknown fact {fact!r}", *path,
                suggestion=nearest(fact, self.pack.facts)))
        return spec

    def condition(self, rule: RuleSpec, origin: Origin) -> None:
        items = top_level(rule.when)
        base: tuple[str | int, ...] = ("when", "all") if rule.when.all is not None else ("when",)
        joined: dict[str, int] = {}
        for index, item in enumerate(items):
            where = (*base, index) if rule.when.all is not None else base
            self._test_tree(item, origin, where, top=True, record=None)
            spec = self.pack.facts.get(item.fact) if item.fact is not None else None
            if spec is not None and item.fact is not None and (
                spec.derived or item.any_record is not None
            ):
                if item.fact in joined:
                    # Each such test binds its own message: two cannot both see one record.
                    self.problems.append(origin.problem(
                        "KB113", f"{item.fact!r} is tested twice at the top level; put both "
                        "conditions in one test (one any_record with an 'all')", *where))
                joined[item.fact] = index

    def _test_tree(self, cond: Condition, origin: Origin, path: tuple[str | int, ...], *,
                   top: bool, record: str | None) -> None:
        for key in ("all", "any"):
            children = getattr(cond, key)
            for index, child in enumerate(children or ()):
                self._test_tree(child, origin, (*path, key, index), top=False, record=record)
        if cond.not_ is not None:
            self._test_tree(cond.not_, origin, (*path, "not"), top=False, record=record)
        if cond.all is not None or cond.any is not None or cond.not_ is not None:
            return
        op = cond.operator
        if record is None:
            if cond.field is not None:
                self.problems.append(origin.problem(
                    "KB113", "'field' is only used inside any_record; name a 'fact'", *path))
                return
            spec = self.fact(origin, (*path, "fact"), cond.subject)
            if spec is None:
                return
            if spec.derived and not top:
                self.problems.append(origin.problem(
                    "KB113", f"derived fact {cond.subject!r} may only be tested at the top "
                    "level of 'when' (or in its top-level 'all')", *path))
            if spec.derived and op not in ("eq", "in") and not (op == "known" and cond.known):
                self.problems.append(origin.problem(
                    "KB113", f"derived fact {cond.subject!r} is tested with eq, in or "
                    "known: true only", *path))
            self._operator(cond, spec, origin, path, self.pack.facts, "_fact")
            if op == "any_record":
                if not top:
                    self.problems.append(origin.problem(
                        "KB113", "any_record may only be used at the top level of 'when' "
                        "(or in its top-level 'all')", *path))
                if spec.type != "records":
                    self.problems.append(origin.problem(
                        "KB109", f"any_record needs a records fact; {cond.subject!r} is "
                        f"{spec.type}", *path))
                elif cond.any_record is not None:
                    self._test_tree(cond.any_record, origin, (*path, "any_record"),
                                    top=False, record=cond.subject)
        else:
            fields = self.pack.facts[record].fields or {}
            if cond.fact is not None:
                self.problems.append(origin.problem(
                    "KB113", "inside any_record, tests name a record 'field', not a 'fact'",
                    *path))
                return
            name = cond.subject
            field_spec = fields.get(name)
            if field_spec is None:
                self.problems.append(origin.problem(
                    "KB104", f"unknown field {name!r} of {record!r} records", *path, "field",
                    suggestion=nearest(name, fields)))
                return
            self._operator(cond, field_spec, origin, path, fields, "_field")

    def _operator(self, cond: Condition, spec: Any, origin: Origin,
                  path: tuple[str | int, ...], peers: Mapping[str, Any], suffix: str) -> None:
        op = cond.operator
        kind = spec.type
        name = cond.subject
        at = (*path, op)

        def bad(message: str, suggestion: str | None = None) -> None:
            self.problems.append(origin.problem("KB109", message, *at, suggestion=suggestion))

        if op == "known" or op == "any_record":
            return
        if op.endswith(("_fact", "_field")):
            if not op.endswith(suffix):
                bad(f"{op} is for {'records' if suffix == '_fact' else 'facts'}; use "
                    f"{op.rsplit('_', 1)[0]}{suffix}")
                return
            other = str(cond.operand)
            other_spec = peers.get(other)
            if other_spec is None:
                what = "fact" if suffix == "_fact" else "field"
                self.problems.append(origin.problem(
                    "KB104", f"unknown {what} {other!r}", *at, suggestion=nearest(other, peers)))
                return
            if getattr(other_spec, "derived", False) or getattr(spec, "derived", False):
                self.problems.append(origin.problem(
                    "KB113", f"{op} cannot compare with a derived fact ({other!r}); test the "
                    "derived fact with eq or in", *at))
                return
            if other_spec.type != kind and {kind, other_spec.type} != {"integer", "decimal"}:
                bad(f"cannot compare {name!r} ({kind}) with {other!r} ({other_spec.type})")
            if kind in ("records",) or (op[:2] in ("lt", "le", "gt", "ge")
                                        and kind in ("bool", "enum", "text")):
                bad(f"{op} cannot compare {kind} values")
            return
        if suffix == "_field" and op in ("matches", "older_than", "newer_than"):
            self.problems.append(origin.problem(
                "KB113", f"{op} is not available inside any_record; test record fields with "
                "comparisons", *at))
            return
        if op == "matches":
            if kind != "text":
                bad(f"matches needs a text fact; {name!r} is {kind}")
                return
            try:
                re2.compile(str(cond.operand), _MATCH_OPTIONS)
            except re2.error as error:
                self.problems.append(origin.problem(
                    "KB112", f"invalid RE2 pattern: {error}", *at))
            return
        if op in ("older_than", "newer_than"):
            if kind != "datetime":
                bad(f"{op} needs a datetime fact; {name!r} is {kind}")
                return
            try:
                parse_duration(cond.operand)
            except ValueError as error:
                bad(str(error))
            return
        if op in ("lt", "le", "gt", "ge") and kind in ("bool", "enum", "text", "records"):
            bad(f"{op} cannot compare {kind} values")
            return
        if kind == "records":
            bad(f"a records fact is tested with any_record or known, not {op}")
            return
        values = cond.operand if op in ("in", "not_in") else (cond.operand,)
        for value in values:
            try:
                typed = type_value(name, spec, value)
            except FactError as error:
                allowed = getattr(spec, "values", None) or ()
                bad(f"{value!r} is not a valid {kind} value for {name!r}: "
                    f"{str(error).split(': ', 1)[-1]}",
                    nearest(str(value), allowed) if allowed else None)
                continue
            if kind == "enum" and typed != value:
                bad(f"write enum values exactly as declared: {typed!r}, not {value!r}")

    def template(self, origin: Origin, path: tuple[str | int, ...], source: str) -> Renderer | None:
        issues, renderer = prepare(source, self.pack.facts)
        if renderer is not None:
            return renderer
        for issue in issues:
            line, _ = origin.located.locate((*origin.path, *path))
            problem = origin.problem(
                "KB108", issue.message, *path,
                suggestion=nearest(issue.name, self.pack.facts) if issue.name else None)
            if "\n" in source.strip("\n"):
                # A block scalar's text starts on the line after its key.
                at = line + issue.line
                problem = Problem(**{**problem.__dict__, "line": at, "column": 1,
                                     "source_line": _line(origin, at)})
            self.problems.append(problem)
        return None


def _index_for_questions(pack: Pack) -> None:
    """Precompute what question selection reads per rule, off the hot path of a diagnosis."""
    def is_derived(fact: str) -> bool:
        spec = pack.facts.get(fact)
        return spec is not None and spec.derived

    pack.rule_steps = tuple(pack.step_order.get(rule.step, 0) for rule in pack.rules)
    pack.asked_facts = tuple(
        tuple(f for f in pack.facts_of[rule.id] if f in pack.facts and not is_derived(f))
        for rule in pack.rules
    )
    pack.derived_read = tuple(
        tuple(f for f in pack.facts_of[rule.id] if is_derived(f)) for rule in pack.rules
    )
    derivers: dict[str, list[int]] = {}
    for index, rule in enumerate(pack.rules):
        if rule.derive is not None:
            derivers.setdefault(rule.derive.fact, []).append(index)
    pack.derivers = {fact: tuple(rules) for fact, rules in derivers.items()}
    sources: dict[str, set[str]] = {}
    for extractor in pack.extractors:
        sources.setdefault(extractor.from_, set()).update(
            {*extractor.set, *extractor.capture.values()}
        )
    pack.extracted_from = {k: tuple(sorted(v)) for k, v in sorted(sources.items())}
    used = set(pack.template_facts)
    for facts in pack.facts_of.values():
        used.update(facts)
    used.update(extractor.from_ for extractor in pack.extractors)
    pack.used_facts = frozenset(used)
    pack.cause_rank = {
        cause: (pack.step_order.get(spec.step, 0), cause)
        for cause, spec in pack.playbook.causes.items()
    }
    pack.cause_rules = tuple(
        (index, rule.cause) for index, rule in enumerate(pack.rules) if rule.cause is not None
    )
    pack.record_fields = {
        fact: [
            {"name": name, "type": f.type, "values": list(f.values) if f.values else None}
            for name, f in sorted((spec.fields or {}).items())
        ]
        for fact, spec in pack.facts.items()
        if spec.fields
    }


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def _engine_version() -> str:
    from syncdoctor._version import __version__

    return __version__


def _line(origin: Origin, line: int) -> str | None:
    lines = origin.located.lines
    return lines[line - 1] if 0 < line <= len(lines) else None


def _assemble(pack_id: str, draft: _Draft, problems: list[Problem]) -> Pack | None:
    """Cross-check a pack's pieces and compile its templates."""
    origins: dict[str, Origin] = {}
    if draft.playbook is None:
        some = next(iter([*draft.rules.values(), *draft.facts.values()]), None)
        if some is not None:
            problems.append(some[1].problem(
                "KB110", f"pack {pack_id!r} has no playbook (playbooks/{pack_id}.yaml)"))
        return None
    playbook, book_origin = draft.playbook
    origins["playbook"] = book_origin
    before = len(problems)
    for fact_id, (_, origin) in draft.facts.items():
        origins[f"fact:{fact_id}"] = origin
    rules = tuple(rule for _, (rule, _) in sorted(draft.rules.items()))
    pack = Pack(
        id=pack_id,
        playbook=playbook,
        facts={k: v for k, (v, _) in sorted(draft.facts.items())},
        extractors=tuple(e for e, _ in draft.extractors.values()),
        rules=rules,
        origins=origins,
        step_order={step.id: index for index, step in enumerate(playbook.steps)},
        rule_index={rule.id: index for index, rule in enumerate(rules)},
    )
    check = _Checker(pack, problems)
    if _version_tuple(playbook.min_engine) > _version_tuple(_engine_version()):
        problems.append(book_origin.problem(
            "KB114", f"pack {pack_id!r} needs syncdoctor {playbook.min_engine} or newer; "
            f"this is {_engine_version()}", "min_engine"))
    step_ids = [s.id for s in playbook.steps]
    if len(set(step_ids)) != len(step_ids):
        problems.append(book_origin.problem("KB107", "duplicate step ids", "steps"))
    for cause_id, cause in playbook.causes.items():
        origin = Origin(book_origin.located, ("causes", cause_id))
        origins[f"cause:{cause_id}"] = origin
        if cause.step not in pack.step_order:
            problems.append(origin.problem("KB106", f"unknown step {cause.step!r}", "step",
                                           suggestion=nearest(cause.step, step_ids)))
        renderer = check.template(origin, ("remediation",), cause.remediation)
        if renderer is not None:
            pack.remediation[cause_id] = renderer
        if cause.escalation is not None:
            contact = check.template(origin, ("escalation", "contact"), cause.escalation.contact)
            if contact is not None:
                pack.contact[cause_id] = contact
            sends = [check.template(origin, ("escalation", "send", i), s)
                     for i, s in enumerate(cause.escalation.send)]
            pack.send[cause_id] = tuple(s for s in sends if s is not None)
    for rule_id, (rule, origin) in sorted(draft.rules.items()):
        origins[f"rule:{rule_id}"] = origin
        if rule.step not in pack.step_order:
            problems.append(origin.problem("KB106", f"unknown step {rule.step!r}", "step",
                                           suggestion=nearest(rule.step, step_ids)))
        if rule.cause is not None and rule.cause not in playbook.causes:
            problems.append(origin.problem("KB105", f"unknown cause {rule.cause!r}", "cause",
                                           suggestion=nearest(rule.cause, playbook.causes)))
        if rule.derive is not None:
            spec = check.fact(origin, ("derive", "fact"), rule.derive.fact)
            if spec is not None and not spec.derived:
                problems.append(origin.problem(
                    "KB113", f"fact {rule.derive.fact!r} is not declared derived: true",
                    "derive", "fact"))
            elif spec is not None:
                try:
                    type_value(rule.derive.fact, spec, rule.derive.value)
                except FactError as error:
                    problems.append(origin.problem("KB109", str(error), "derive", "value"))
        check.condition(rule, origin)
        renderer = check.template(origin, ("because",), rule.because)
        if renderer is not None:
            pack.because[rule_id] = renderer
    patterns = []
    for extractor_id, (extractor, origin) in draft.extractors.items():
        origins[f"extractor:{extractor_id}"] = origin
        source = check.fact(origin, ("from",), extractor.from_)
        if source is not None and source.type != "text":
            problems.append(origin.problem("KB109", f"extractors read text facts; "
                                           f"{extractor.from_!r} is {source.type}", "from"))
        for fact_id, value in extractor.set.items():
            spec = check.fact(origin, ("set", fact_id), fact_id)
            if spec is not None:
                try:
                    type_value(fact_id, spec, value)
                except FactError as error:
                    problems.append(origin.problem("KB109", str(error), "set", fact_id))
        for group, fact_id in extractor.capture.items():
            check.fact(origin, ("capture", group), fact_id)
        try:
            compiled = re2.compile(extractor.pattern, _re2_options(extractor.case_sensitive))
        except re2.error as error:
            problems.append(origin.problem("KB112", f"invalid RE2 pattern: {error}", "pattern"))
            continue
        groups = set(compiled.groupindex)
        for group in extractor.capture:
            if group not in groups:
                problems.append(origin.problem(
                    "KB112", f"the pattern has no group named {group!r}", "capture", group,
                    suggestion=nearest(group, groups)))
        patterns.append(compiled)
    pack.extractor_patterns = tuple(patterns)
    pack.extractor_targets = tuple(
        frozenset({*e.set, *e.capture.values()}) for e in pack.extractors
    )
    if not pack.rules:
        problems.append(book_origin.problem("KB110", f"pack {pack_id!r} has no rules"))
    renderers = [
        *pack.because.values(), *pack.remediation.values(), *pack.contact.values(),
        *(r for sends in pack.send.values() for r in sends),
    ]
    pack.template_facts = frozenset(f for r in renderers for f in r.facts)
    pack.facts_of = {rule.id: tuple(pack.rule_facts(rule)) for rule in pack.rules}
    _index_for_questions(pack)
    return pack if len(problems) == before else None


def _re2_options(case_sensitive: bool) -> Any:
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.max_mem = 8 << 20  # a pattern may not grow a huge automaton
    return options


_MATCH_OPTIONS = _re2_options(case_sensitive=False)


def _compile(pack: Pack, problems: list[Problem]) -> None:
    try:
        pack.compiled = compile_pack(pack.id, pack.facts, pack.rules)
    except RuleCapacityError as error:
        if 0 <= error.rule < len(pack.rules):
            rule_id = pack.rules[error.rule].id
            problems.append(
                pack.origins[f"rule:{rule_id}"].problem("KB111", f"rule {rule_id}: {error}", "when")
            )
        else:
            problems.append(pack.origins["playbook"].problem("KB111", str(error)))
        return
    except RuleShapeError as error:
        problems.append(pack.origins["playbook"].problem("KB111", str(error)))
        return
    fields = pack.compiled.fields
    pack.marked_facts = tuple(f for f, name in fields.facts.items() if name in fields.markers)
    pack.regex_patterns = tuple(
        re2.compile(t.pattern, _MATCH_OPTIONS) for t in pack.compiled.regexes
    )


# ---------------------------------------------------------------------------------------------
# the default knowledge base

_DEFAULT: KnowledgeBase | None = None
_DEFAULT_LOCK = threading.Lock()


def default_kb() -> KnowledgeBase:
    """The bundled knowledge base, loaded once per process."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = load_kb()
        return _DEFAULT
