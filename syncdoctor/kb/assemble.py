"""One pack's pieces, from every layer, checked against each other and built into a PackSource."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from syncdoctor._version import __version__
from syncdoctor.errors import FactError, Problem
from syncdoctor.kb.checks import Checker
from syncdoctor.kb.collector_checks import check_collector
from syncdoctor.kb.collector_spec import CollectorSpec, SourceSpec
from syncdoctor.kb.mirror import MirrorError, mirror_rule
from syncdoctor.kb.pack import Origins, PackSource, Templates, build_index
from syncdoctor.kb.patterns import PatternError, TextPattern, compile_pattern, pattern_error_text
from syncdoctor.kb.problems import Origin, nearest
from syncdoctor.kb.spec import Condition, ExtractorSpec, FactSpec, PlaybookFile, RuleSpec
from syncdoctor.kb.templates import Renderer
from syncdoctor.kb.values import type_value

__all__ = ["Broken", "Draft", "assemble_pack", "assemble_packs", "note_broken"]

_KNOCK_ON: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "facts": (("KB104", "unknown fact ", True), ("KB108", "unknown fact ", True)),
    "playbooks": (("KB105", "unknown cause ", True), ("KB106", "unknown step ", True),
                  ("KB110", "has no playbook", False)),
    "rules": (("KB110", "has no rules", False),),
    "collectors": (("KB120", "unknown source ", True),),
}
"""Per section: the problems a pack's other files show only because that section's file
failed and was left out (code, a part of the message, and whether the message names what the
file would have declared: then only those names are dropped, and a real typo still shows)."""
_NAMED = re.compile(r"'([^']*)'")

Broken = dict[str, dict[str, set[str] | None]]
"""Per pack, per section with a failed file: the names it declares (None: not readable)."""


def note_broken(broken: Broken, pack: str, section: str, data: object) -> None:
    """Record a failed file of ``section`` and the names its raw ``data`` declares."""
    names = _declared(section, data)
    sections = broken.setdefault(pack, {})
    if section in sections:
        known = sections[section]
        sections[section] = None if known is None or names is None else known | names
    else:
        sections[section] = names


def _declared(section: str, data: object) -> set[str] | None:
    """The fact, cause and step, or source names a raw file declares (None: cannot tell)."""
    if not isinstance(data, dict):
        return None
    key = {"facts": "facts", "playbooks": "causes", "collectors": "sources"}.get(section)
    if key is None:
        return set()
    named = data.get(key)
    if not isinstance(named, dict):
        return None
    names = {k for k in named if isinstance(k, str)}
    steps = data.get("steps") if section == "playbooks" else None
    if isinstance(steps, list):
        names.update(s["id"] for s in steps if isinstance(s, dict) and isinstance(s.get("id"), str))
    return names


def _knock_on(problem: Problem, failed: dict[str, set[str] | None]) -> bool:
    for section, names in failed.items():
        for code, part, named in _KNOCK_ON[section]:
            if problem.code != code or part not in problem.message:
                continue
            if not named or names is None:
                return True
            found = _NAMED.search(problem.message.partition(part)[2])
            if found is None or found.group(1) in names:
                return True
    return False


@dataclass
class Draft:
    """What the layers say about one pack, before cross-checks."""

    playbook: tuple[PlaybookFile, Origin] | None = None
    facts: dict[str, tuple[FactSpec, Origin]] = field(default_factory=dict)
    extractors: dict[str, tuple[ExtractorSpec, Origin]] = field(default_factory=dict)
    rules: dict[str, tuple[RuleSpec, Origin]] = field(default_factory=dict)
    sources: dict[str, tuple[SourceSpec, Origin]] = field(default_factory=dict)
    collectors: dict[str, tuple[CollectorSpec, Origin]] = field(default_factory=dict)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def assemble_packs(
    drafts: dict[str, Draft], broken: Broken, problems: list[Problem]
) -> dict[str, PackSource]:
    """Every pack that checks out; the others' problems added to ``problems``.

    ``broken`` names, per pack, the sections whose file failed (and is already reported): the
    cross-checks still run on the pack's other files, without the errors that file's absence
    alone would cause.
    """
    packs: dict[str, PackSource] = {}
    with_playbook = [p for p in sorted(drafts) if drafts[p].playbook is not None]
    for pack_id in sorted(drafts):
        found: list[Problem] = []
        draft = drafts[pack_id]
        failed = broken.get(pack_id, {})
        some = next(iter([*draft.rules.values(), *draft.facts.values()]), None)
        if draft.playbook is None and "playbooks" in failed and some is not None:
            # The rules and facts are still checked, against a playbook with no causes.
            stand_in = PlaybookFile(id=pack_id, title=pack_id, steps=(), causes={})
            draft = replace(draft, playbook=(stand_in, Origin(some[1].located, ())))
        pack = assemble_pack(pack_id, draft, found, playbooks=with_playbook)
        problems.extend(problem for problem in found if not _knock_on(problem, failed))
        if pack is not None and not failed:
            packs[pack_id] = pack
    return packs


def assemble_pack(pack_id: str, draft: Draft, problems: list[Problem], *,
                  playbooks: Collection[str] = ()) -> PackSource | None:
    """Cross-check a pack's pieces and compile its templates and patterns.

    ``playbooks``: the packs that have one (a file naming a pack without one most often
    misspells one of them). Returns None (having added to ``problems``) when anything is wrong.
    """
    if draft.playbook is None:
        some = next(iter([*draft.rules.values(), *draft.facts.values(),
                          *draft.collectors.values(), *draft.sources.values()]), None)
        if some is not None:
            meant = nearest(pack_id, playbooks)
            problems.append(Origin(some[1].located, ()).problem(
                "KB110", f"pack {pack_id!r} has no playbook (playbooks/{pack_id}.yaml)",
                "pack", suggestion=meant))
        return None
    playbook, book_origin = draft.playbook
    before = len(problems)
    facts = {k: v for k, (v, _) in sorted(draft.facts.items())}
    check = Checker(facts, problems)
    for fact_id, (declared, origin) in sorted(draft.facts.items()):
        if declared.default is not None:
            try:
                type_value(fact_id, declared, declared.default)
            except FactError as error:
                problems.append(origin.problem("KB109", str(error), "default"))
    if _version_tuple(playbook.min_engine) > _version_tuple(__version__):
        problems.append(book_origin.problem(
            "KB114", f"pack {pack_id!r} needs syncdoctor {playbook.min_engine} or newer; "
            f"this is {__version__}", "min_engine"))
    step_ids = [s.id for s in playbook.steps]
    first_step: dict[str, int] = {}
    for index, step_id in enumerate(step_ids):
        if step_id in first_step:
            earlier = Origin(book_origin.located, ("steps", first_step[step_id]))
            problems.append(book_origin.problem(
                "KB107", f"duplicate step {step_id!r} (first defined at {earlier.file}:"
                f"{earlier.line})", "steps", index, "id"))
        else:
            first_step[step_id] = index
    remediation: dict[str, Renderer] = {}
    contact: dict[str, Renderer] = {}
    send: dict[str, tuple[Renderer, ...]] = {}
    cause_origins: dict[str, Origin] = {}
    for cause_id, cause in playbook.causes.items():
        origin = Origin(book_origin.located, ("causes", cause_id))
        cause_origins[cause_id] = origin
        if cause.step not in step_ids:
            problems.append(origin.problem("KB106", f"unknown step {cause.step!r}", "step",
                                           suggestion=nearest(cause.step, step_ids)))
        for position, root in enumerate(cause.follows):
            if root not in playbook.causes or root == cause_id:
                problems.append(origin.problem(
                    "KB105", f"'follows' names {root!r}, which is not another cause",
                    "follows", position, suggestion=nearest(root, playbook.causes)))
        renderer = check.template(origin, ("remediation",), cause.remediation,
                                  no_record=_PLAYBOOK_RECORD, markdown=True)
        if renderer is not None:
            remediation[cause_id] = renderer
        if cause.escalation is not None:
            found = check.template(origin, ("escalation", "contact"), cause.escalation.contact,
                                   no_record=_PLAYBOOK_RECORD)
            if found is not None:
                contact[cause_id] = found
            sends = [check.template(origin, ("escalation", "send", i), s,
                                    no_record=_PLAYBOOK_RECORD)
                     for i, s in enumerate(cause.escalation.send)]
            send[cause_id] = tuple(s for s in sends if s is not None)
    because: dict[str, Renderer] = {}
    all_rules = dict(draft.rules)
    for rule_id, (rule, origin) in sorted(draft.rules.items()):
        written = len(problems)
        _check_rule(rule, origin, check, playbook, step_ids, because, problems)
        if rule.otherwise is None or len(problems) != written:
            continue  # a mirror of a rule with a problem would only repeat it
        at = Origin(origin.located, (*origin.path, "otherwise"))
        try:
            mirror = mirror_rule(rule, facts)
        except MirrorError as error:
            problems.append(at.problem("KB113", str(error)))
            continue
        if mirror.id in all_rules:
            first = all_rules[mirror.id][1]
            if first.file != origin.file:
                continue  # a rule of another file (a later layer) with that id replaces it
            problems.append(at.problem(
                "KB107", f"duplicate rule id {mirror.id!r}, the mirror of {rule_id!r} (first "
                f"defined at {first.file}:{first.line}); name the mirror with "
                "otherwise: {id: ...}"))
            continue
        all_rules[mirror.id] = (mirror, at)
        _check_rule(mirror, at, check, playbook, step_ids, because, problems)
    patterns = _patterns(draft, check, problems)
    sources = {name: spec for name, (spec, _) in sorted(draft.sources.items())}
    given_by: dict[str, str] = {}
    for _, (collector, origin) in sorted(draft.collectors.items()):
        check_collector(collector, origin, facts, sources, given_by, problems)
    rules = tuple(rule for _, (rule, _) in sorted(all_rules.items()))
    if not rules:
        problems.append(book_origin.problem("KB110", f"pack {pack_id!r} has no rules"))
    if len(problems) != before:
        return None
    extractors = tuple(e for e, _ in draft.extractors.values())
    templates = Templates(because=because, remediation=remediation, contact=contact, send=send)
    return PackSource(
        id=pack_id,
        playbook=playbook,
        facts=facts,
        extractors=extractors,
        rules=rules,
        origins=Origins(
            playbook=book_origin,
            facts={k: o for k, (_, o) in draft.facts.items()},
            rules={k: o for k, (_, o) in all_rules.items()},
            causes=cause_origins,
            extractors={k: o for k, (_, o) in draft.extractors.items()},
            collectors={k: o for k, (_, o) in draft.collectors.items()},
            sources={k: o for k, (_, o) in draft.sources.items()},
        ),
        templates=templates,
        patterns=patterns,
        sources=sources,
        collectors=tuple(c for _, (c, _) in sorted(draft.collectors.items())),
        index=build_index(playbook, facts, extractors, rules, templates, frozenset(
            fact for collector, _ in draft.collectors.values()
            for fact in collector.parameters())),
    )


def _check_rule(rule: RuleSpec, origin: Origin, check: Checker, playbook: PlaybookFile,
                step_ids: list[str], because: dict[str, Renderer], problems: list[Problem],
                ) -> None:
    """A rule's step, cause, derived fact, condition and 'because', against the pack."""
    if rule.step not in step_ids:
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
    renderer = check.template(origin, ("because",), rule.because,
                              no_record=None if _binds_record(rule.when) else _UNBOUND_RECORD)
    if renderer is not None:
        because[rule.id] = renderer


_PLAYBOOK_RECORD = "it is set only in the 'because' of a rule with an any_record test"
_UNBOUND_RECORD = "this rule has no any_record test, which is what sets it"


def _binds_record(cond: Condition) -> bool:
    """Whether a rule's condition can bind a record (an ``any_record`` test not under ``not``)."""
    return cond.any_record is not None or any(
        _binds_record(child) for child in (*(cond.all or ()), *(cond.any or ())))


def _patterns(draft: Draft, check: Checker, problems: list[Problem]) -> tuple[TextPattern, ...]:
    patterns = []
    for extractor, origin in draft.extractors.values():
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
            target = check.fact(origin, ("capture", group), fact_id)
            if target is not None and target.secret and source is not None and not source.secret:
                problems.append(origin.problem(
                    "KB109", f"{fact_id!r} is secret, and is captured out of {extractor.from_!r},"
                    f" which would show it; mark {extractor.from_!r} secret: true too",
                    "capture", group))
        try:
            compiled = compile_pattern(extractor.pattern,
                                       case_sensitive=extractor.case_sensitive)
        except PatternError as error:
            problems.append(origin.problem(
                "KB112", f"invalid RE2 pattern: {pattern_error_text(error)}", "pattern"))
            continue
        groups = set(compiled.groupindex)
        for group in extractor.capture:
            if group not in groups:
                problems.append(origin.problem(
                    "KB112", f"the pattern has no group named {group!r}", "capture", group,
                    suggestion=nearest(group, groups)))
        patterns.append(compiled)
    return tuple(patterns)
