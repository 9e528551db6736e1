"""A knowledge base ready to diagnose: each checked pack compiled and registered, built in one go.

:func:`load_kb` loads the files (:mod:`syncdoctor.kb.loader`), compiles every pack into
durable_rules rulesets, and registers them; a :class:`Pack` is frozen from the start, with its
compiled rulesets, never half-built.
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from syncdoctor._gc import building_for_good, collector_paused
from syncdoctor.engine import kbcache
from syncdoctor.engine.cachedpacks import Build, CachedPacks, Rebuild
from syncdoctor.engine.codec import CacheFormatError
from syncdoctor.engine.compiler import CompiledPack, RuleCapacityError, RuleShapeError, compile_pack
from syncdoctor.engine.prepared import Prepared
from syncdoctor.errors import EngineError, KnowledgeBaseError, PackError, Problem
from syncdoctor.kb.layers import kb_files, kb_folders
from syncdoctor.kb.pack import Origins, PackIndex, PackSource, Templates
from syncdoctor.kb.patterns import PatternSet, compile_pattern
from syncdoctor.kb.problems import nearest
from syncdoctor.kb.spec import ExtractorSpec, FactSpec, PlaybookFile, RuleSpec

if TYPE_CHECKING:
    # durable_rules is imported only when a KB is registered: ``kb lint`` compiles without it.
    from syncdoctor.engine.runtime import RegisteredRuleset, Runtime

__all__ = ["KnowledgeBase", "Pack", "Registration", "default_kb", "load_kb"]


@dataclass
class Registration:
    """A pack's rulesets as built in durable_rules; empty once the knowledge base is closed."""

    rulesets: tuple[RegisteredRuleset, ...]

    def release(self) -> None:
        """Free the rulesets in the engine (waits for a case that is running on them)."""
        # Emptied first: a case that takes the engine lock after this sees a closed knowledge
        # base (a clear EngineError), never a freed ruleset.
        rulesets, self.rulesets = self.rulesets, ()
        if rulesets:
            from syncdoctor.engine.runtime import runtime

            runtime().release(rulesets)


def _release_unreachable(
    engine: Runtime, registrations: list[Registration] | tuple[Registration, ...],
) -> None:
    """The finalizer of a knowledge base that was never closed: free its rulesets soon."""
    for registration in registrations:
        rulesets, registration.rulesets = registration.rulesets, ()
        engine.release_later(rulesets)


@dataclass(frozen=True)
class Pack:
    """One playbook pack: its checked source and its compiled, registered rulesets."""

    source: PackSource
    compiled: CompiledPack
    registration: Registration
    scan: PatternSet
    """Every extractor's pattern (numbered as the extractors), then every ``matches`` test's
    (numbered on from there): which of them match a text, in one pass per text fact."""
    prepared: Prepared
    """What a case reads of the pack, worked out once."""

    @property
    def id(self) -> str:
        """The pack id."""
        return self.source.id

    @property
    def playbook(self) -> PlaybookFile:
        """The pack's playbook."""
        return self.source.playbook

    @property
    def facts(self) -> Mapping[str, FactSpec]:
        """The fact catalogue, by id."""
        return self.source.facts

    @property
    def rules(self) -> tuple[RuleSpec, ...]:
        """The rules, sorted by id."""
        return self.source.rules

    @property
    def extractors(self) -> tuple[ExtractorSpec, ...]:
        """The extractors, in file order."""
        return self.source.extractors

    @property
    def origins(self) -> Origins:
        """Where each item was written."""
        return self.source.origins

    @property
    def templates(self) -> Templates:
        """The checked templates."""
        return self.source.templates

    @property
    def index(self) -> PackIndex:
        """What a diagnosis reads per rule."""
        return self.source.index

    @property
    def version(self) -> str:
        """The pack version from its playbook."""
        return self.source.version

    @property
    def registered(self) -> tuple[RegisteredRuleset, ...]:
        """The rulesets built in the engine (empty once closed)."""
        return self.registration.rulesets


@dataclass(frozen=True)
class KnowledgeBase:
    """A loaded, validated and compiled knowledge base."""

    packs: Mapping[str, Pack]
    version: str
    layers: tuple[Path, ...]
    overrides: tuple[str, ...] = ()

    def pack(self, pack_id: str) -> Pack:
        """The pack with that id.

        Raises:
            PackError: no such pack.
        """
        found = self.packs.get(pack_id) if isinstance(pack_id, str) else None
        if found is None:
            known = sorted(self.packs)
            hint = nearest(pack_id, known) if isinstance(pack_id, str) else None
            raise PackError(pack_id, known, hint)
        return found

    def close(self) -> None:
        """Free the engine's rulesets; the KB cannot diagnose afterwards.

        Safe while other threads diagnose with it: a case already in the engine finishes, a
        later one raises EngineError ("the knowledge base was closed"). A knowledge base that
        is never closed is freed when it is garbage-collected; closing it (or ``with
        load_kb(...) as kb:``) frees its memory, several MB per pack, at once.
        """
        if isinstance(self.packs, CachedPacks):
            self.packs.close()  # the packs built so far; the others never will be registered
            return
        for pack in self.packs.values():
            pack.registration.release()

    def warm(self) -> int:
        """Build every pack, its pattern Sets and its templates now (a server, at start).

        They are otherwise built on first use, which a server's first requests would pay for.
        Returns the number of templates made ready.
        """
        for pack_id in sorted(self.packs):
            self.packs[pack_id].scan.prepare()
        return sum(renderer.prepare() for pack_id in sorted(self.packs)
                   for renderer in self.packs[pack_id].templates.renderers)

    def versions(self) -> dict[str, str]:
        """Pack id -> version, sorted by id (without decoding a cached pack)."""
        if isinstance(self.packs, CachedPacks):
            return {p: self.packs.versions[p] for p in sorted(self.packs)}
        return {p: self.packs[p].version for p in sorted(self.packs)}

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def load_kb(
    layers: Sequence[Path | str] | None = None, *, bundled: bool = True,
    cache: bool | None = None, register: bool = True,
) -> KnowledgeBase:
    """Load, check and compile a knowledge base.

    Args:
        layers: extra KB folders (each with facts/, rules/, playbooks/), laid over the bundled
            one in order; a later layer overrides an earlier one by id.
        bundled: start from the bundled knowledge base.
        cache: read and write the compiled-KB cache (:mod:`syncdoctor.engine.kbcache`);
            None: unless ``--no-cache`` or ``SYNCDOCTOR_NO_CACHE=1`` said not to.
        register: build the rulesets in durable_rules. False checks and compiles only (``kb
            lint``): durable_rules is not even imported, and the KB cannot diagnose.

    Raises:
        KnowledgeBaseError: every problem found, each with file:line:col.
    """
    folders = kb_folders(layers, bundled=bundled)
    use_cache = kbcache.cache_enabled() if cache is None else cache
    files = kb_files(folders)
    key = kbcache.cache_key(files) if use_cache else None
    engine: Runtime | None = None
    if register:
        from syncdoctor.engine.runtime import runtime

        engine = runtime()

    def build(source: PackSource, done: CompiledPack, registering: bool = True) -> Pack:
        return _pack(source, done, engine if registering else None)

    def rebuild(pack_id: str) -> tuple[PackSource, CompiledPack]:
        _, _, sources, compiled = _from_files(folders)
        return sources[pack_id], compiled[pack_id]

    cached = _from_cache(key, files, build, rebuild) if key is not None else None
    packs: Mapping[str, Pack]
    registrations: list[Registration] | tuple[Registration, ...]
    if cached is not None:  # each pack decoded and registered on first use
        version, overrides = cached.version, cached.overrides
        packs = cached.packs
        registrations = cached.packs.registrations  # grows as packs are built
    else:
        with collector_paused():  # its objects are built to last (the KB's lifetime)
            version, overrides, sources, compiled = loaded = _from_files(folders)
            if key is not None:
                _to_cache(key, files, *loaded)
            packs = {pack_id: build(source, compiled[pack_id])
                     for pack_id, source in sources.items()}
        registrations = tuple(pack.registration for pack in packs.values())
    kb = KnowledgeBase(
        packs=packs, version=version, layers=tuple(folders), overrides=overrides
    )
    if engine is not None:
        finalizer = weakref.finalize(kb, _release_unreachable, engine, registrations)
        finalizer.atexit = False  # at exit the process frees everything; the engine may be gone
    return kb


def _pack(source: PackSource, done: CompiledPack, engine: Runtime | None) -> Pack:
    return Pack(
        source=source,
        compiled=done,
        registration=Registration(engine.register(done.rulesets) if engine else ()),
        scan=PatternSet([
            *((e.from_, compiled, e.pattern, e.case_sensitive)
              for e, compiled in zip(source.extractors, source.patterns, strict=True)),
            *((t.fact, compile_pattern(t.pattern), t.pattern, False) for t in done.regexes),
        ]),
        prepared=Prepared.build(source, done),
    )


_Loaded = tuple[str, tuple[str, ...], dict[str, PackSource], dict[str, CompiledPack]]
"""A KB before registration: version, overrides, checked sources and compiled packs by id."""


def _from_files(folders: Sequence[Path]) -> _Loaded:
    # Parsing and checking the files: imported only when the KB is not read from the cache.
    from syncdoctor.kb.loader import load_sources

    source = load_sources(folders, bundled=False)
    problems: list[Problem] = []
    compiled: dict[str, CompiledPack] = {}
    for pack_id, pack_source in source.packs.items():
        result = _compile(pack_source, problems)
        if result is not None:
            compiled[pack_id] = result
    if problems:
        raise KnowledgeBaseError(problems)
    return source.version, source.overrides, dict(source.packs), compiled


@dataclass(frozen=True)
class _Cached:
    version: str
    overrides: tuple[str, ...]
    packs: CachedPacks


def _from_cache(
    key: str, files: Sequence[tuple[Path, str]], build: Build, rebuild: Rebuild,
) -> _Cached | None:
    entry = kbcache.read(key)
    if entry is None:
        return None
    try:
        packs = CachedPacks(entry, list(files), build, rebuild)
    except CacheFormatError:
        return None  # rebuilt from the files, and the entry rewritten
    return _Cached(entry.version, entry.overrides, packs)


def _to_cache(
    key: str, files: Sequence[tuple[Path, str]], version: str, overrides: tuple[str, ...],
    sources: Mapping[str, PackSource], compiled: Mapping[str, CompiledPack],
) -> None:
    from syncdoctor.engine import codec

    if len({display for _, display in files}) != len(files):
        return  # two files shown under one name: their origins could not be told apart
    encoder = codec.Encoder({display: index for index, (_, display) in enumerate(files)})
    try:
        # Each pack as JSON text of its own: a process parses only the packs it uses.
        packs = {
            pack_id: {"version": source.version, "data": json.dumps(
                {"source": encoder.encode(source), "compiled": encoder.encode(compiled[pack_id])},
                ensure_ascii=False, separators=(",", ":"))}
            for pack_id, source in sources.items()
        }
    except codec.CacheFormatError:
        return  # something the format cannot hold: this KB loads from its files each time
    kbcache.write(key, version, overrides, packs, encoder.classes)


def _compile(pack: PackSource, problems: list[Problem]) -> CompiledPack | None:
    try:
        return compile_pack(pack.id, pack.facts, pack.rules)
    except RuleCapacityError as error:
        if 0 <= error.rule < len(pack.rules):
            rule_id = pack.rules[error.rule].id
            problems.append(
                pack.origins.rules[rule_id].problem("KB111", f"rule {rule_id}: {error}", "when")
            )
        else:
            problems.append(pack.origins.playbook.problem("KB111", str(error)))
    except RuleShapeError as error:
        problems.append(pack.origins.playbook.problem("KB111", str(error)))
    return None


_DEFAULT: KnowledgeBase | None = None
_DEFAULT_LOCK = threading.Lock()


def _reset_after_fork() -> None:
    # A thread of the parent may have been loading the default KB: in the child that thread
    # is gone, and so must be its hold on the lock.
    global _DEFAULT_LOCK
    _DEFAULT_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def default_kb() -> KnowledgeBase:
    """The bundled knowledge base, loaded once per process."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            # The bundled KB lives as long as the process: built with the collector paused,
            # then frozen, so that neither its load nor any later full collection (seen as a
            # 40-50 ms spike in a diagnosis) walks its tens of thousands of objects.
            with building_for_good():
                _DEFAULT = load_kb()
            if isinstance(_DEFAULT.packs, CachedPacks):
                _DEFAULT.packs.for_good = True  # each pack, when built, into frozen memory too
        return _DEFAULT


def ensure_open(pack: Pack) -> None:
    """Raise EngineError when the pack's knowledge base was closed."""
    if not pack.registered:
        raise EngineError(f"the knowledge base was closed; pack {pack.id!r} cannot diagnose")
