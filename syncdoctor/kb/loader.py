"""Loading a knowledge base's files: layered folders of facts/, rules/ and playbooks/ YAML.

Loading is all or nothing: every problem in every file is collected, located (file:line:col and
key path) and raised together in one :class:`KnowledgeBaseError`; a KB with an error never
half-loads. Later layers override earlier ones by id, and each override is reported. The result
is one frozen :class:`~syncdoctor.kb.pack.PackSource` per pack; compiling them into rulesets is
the engine's business (:mod:`syncdoctor.engine.knowledge`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from syncdoctor.errors import KnowledgeBaseError, Problem
from syncdoctor.kb.assemble import Broken, Draft, assemble_packs, note_broken
from syncdoctor.kb.canonical import array_text, json_text, model_text, object_text, rule_text
from syncdoctor.kb.collector_checks import inline_secrets
from syncdoctor.kb.collector_spec import (
    AuthSpec,
    CollectorsFile,
    CollectorSpec,
    FactPick,
    RetrySpec,
    SourceSpec,
    TimeoutSpec,
)
from syncdoctor.kb.layers import SECTIONS, bundled_kb_dir, kb_files, kb_folders, section_files
from syncdoctor.kb.pack import PackSource
from syncdoctor.kb.problems import (
    Origin,
    display_path,
    field_names,
    problem_order,
    validation_problems,
)
from syncdoctor.kb.shorthand import mark_shorthands
from syncdoctor.kb.spec import (
    Condition,
    ExtractorSpec,
    FactsFile,
    FactSpec,
    Otherwise,
    PlaybookFile,
    RulesFile,
    RuleSpec,
)
from syncdoctor.kb.yamlfile import Located, load_yaml_file

__all__ = ["KbSource", "bundled_kb_dir", "kb_files", "kb_folders", "load_sources"]

M = TypeVar("M", bound=BaseModel)
KB_KEYS = sorted(field_names(FactsFile, RulesFile, PlaybookFile, FactSpec, RuleSpec, Condition,
                             Otherwise,
                             ExtractorSpec, CollectorsFile, SourceSpec, AuthSpec, TimeoutSpec,
                             RetrySpec, CollectorSpec, FactPick))
"""Every key a KB file may hold: the pool for "did you mean" on an unknown key."""


@dataclass(frozen=True)
class KbSource:
    """Every pack of a knowledge base, checked; and how it was layered."""

    packs: Mapping[str, PackSource]
    version: str
    """A content hash of what the KB means."""
    layers: tuple[Path, ...]
    overrides: tuple[str, ...]


def _validate(model: type[M], located: Located) -> M | list[Problem]:
    if located.data is None:
        return [located.problem("KB103", "the file is empty", ())]
    if not isinstance(located.data, dict):
        return [located.problem("KB101", "the file must hold a mapping at its top level", ())]
    try:
        return model.model_validate(located.data)
    except ValidationError as error:
        return validation_problems(located, error, KB_KEYS, model=model)


def load_sources(
    layers: Sequence[Path | str] | None = None, *, bundled: bool = True
) -> KbSource:
    """Load and check every file of the layers (the bundled KB first, unless told not to).

    Raises:
        KnowledgeBaseError: every problem found, each with file:line:col.
    """
    folders = kb_folders(layers, bundled=bundled)
    problems: list[Problem] = []
    drafts: dict[str, Draft] = {}
    overrides: list[str] = []
    # Per pack, the sections with a file that did not read or fit its schema: that file is left
    # out, the cross-checks still run on the rest, and what they would only report because it
    # is missing (its facts, causes, rules) is dropped, so every real problem shows in one run.
    broken: Broken = {}
    for layer_index, folder in enumerate(folders):
        seen_here: dict[str, Origin] = {}
        for section in SECTIONS:
            for path in section_files(folder, section):
                display = display_path(path, folder)
                try:
                    located = load_yaml_file(path, display)
                except KnowledgeBaseError as error:
                    problems.extend(error.problems)
                    note_broken(broken, path.stem, section, None)
                    continue
                if not _absorb(section, located, drafts, seen_here, layer_index, overrides,
                               problems):
                    note_broken(broken, _pack_named(located, section, path), section,
                                located.data)
    packs = assemble_packs(drafts, broken, problems)
    if problems:
        raise KnowledgeBaseError(sorted(problems, key=problem_order))
    return KbSource(
        packs=packs,
        version=_content_version(packs),
        layers=tuple(folders),
        overrides=tuple(overrides),
    )


def _content_version(packs: Mapping[str, PackSource]) -> str:
    """A hash of what the KB means, not of how its files are laid out or ordered."""
    text = object_text({
        pack_id: object_text({
            "playbook": model_text(pack.playbook, by_alias=True),
            # secret: false is what every fact meant before the mark existed: left out, so
            # that a KB without secrets keeps its version.
            "facts": json_text({
                k: v.model_dump(mode="json", exclude=None if v.secret else {"secret"})
                for k, v in pack.facts.items()
            }),
            "rules": array_text([rule_text(r) for r in pack.rules]),
            # File order decides which extractor's value wins, so it is part of the meaning.
            "extractors": json_text(
                [e.model_dump(mode="json", by_alias=True) for e in pack.extractors]
            ),
            # Collectors are left out: they say where facts are fetched, not what they mean,
            # so pointing a source at another hub does not make sessions warn on resume.
        })
        for pack_id, pack in packs.items()
    })
    return hashlib.sha256(text.encode()).hexdigest()[:12]



def _absorb(
    section: str,
    located: Located,
    drafts: dict[str, Draft],
    seen_here: dict[str, Origin],
    layer_index: int,
    overrides: list[str],
    problems: list[Problem],
) -> bool:
    """Add one file's items to the drafts, noting duplicates and overrides.

    Returns False when the file does not fit its schema (nothing of it is added).
    """

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
            return False
        draft = drafts.setdefault(parsed_facts.pack, Draft())
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
        mark_shorthands(located)
        parsed_rules = _validate(RulesFile, located)
        if isinstance(parsed_rules, list):
            problems.extend(parsed_rules)
            return False
        draft = drafts.setdefault(parsed_rules.pack, Draft())
        for index, rule in enumerate(parsed_rules.rules):
            origin = Origin(located, ("rules", index))
            if not place(f"rule/{rule.id}", origin, f"rule id {rule.id!r}"):
                continue
            if rule.id in draft.rules:
                note_override(draft.rules[rule.id][1], origin, f"rule {rule.id!r}")
            draft.rules[rule.id] = (rule, origin)
    elif section == "collectors":
        return _absorb_collectors(located, drafts, place, note_override, problems)
    else:
        parsed_book = _validate(PlaybookFile, located)
        if isinstance(parsed_book, list):
            problems.extend(parsed_book)
            return False
        origin = Origin(located, ())
        if not place(f"playbook/{parsed_book.id}", origin, f"playbook {parsed_book.id!r}"):
            return True
        draft = drafts.setdefault(parsed_book.id, Draft())
        if draft.playbook is not None:
            note_override(draft.playbook[1], origin,
                          f"playbook {parsed_book.id!r}")
        draft.playbook = (parsed_book, origin)
    return True


def _pack_named(located: Located, section: str, path: Path) -> str:
    """The pack a file that failed its schema is about: its ``pack`` (``id``), else its name."""
    key = "id" if section == "playbooks" else "pack"
    named = located.data.get(key) if isinstance(located.data, dict) else None
    return named if isinstance(named, str) else path.stem


def _absorb_collectors(
    located: Located,
    drafts: dict[str, Draft],
    place: Callable[[str, Origin, str], bool],
    note_override: Callable[[Origin, Origin, str], None],
    problems: list[Problem],
) -> bool:
    """Add a collectors file's sources and collectors to its pack's draft (False: it failed)."""
    secrets = inline_secrets(located)
    if secrets:
        problems.extend(secrets)
        return False
    parsed = _validate(CollectorsFile, located)
    if isinstance(parsed, list):
        problems.extend(parsed)
        return False
    draft = drafts.setdefault(parsed.pack, Draft())
    for name, source in parsed.sources.items():
        origin = Origin(located, ("sources", name))
        if not place(f"{parsed.pack}/source/{name}", origin, f"source {name!r}"):
            continue
        if name in draft.sources:
            note_override(draft.sources[name][1], origin, f"source {name!r}")
        draft.sources[name] = (source, origin)
    for index, collector in enumerate(parsed.collectors):
        origin = Origin(located, ("collectors", index))
        if not place(f"{parsed.pack}/collector/{collector.id}", origin,
                     f"collector {collector.id!r}"):
            continue
        if collector.id in draft.collectors:
            note_override(draft.collectors[collector.id][1], origin,
                          f"collector {collector.id!r}")
        draft.collectors[collector.id] = (collector, origin)
    return True
