"""``kb test`` on a layer's example cases: each ``examples/<pack>/*.yaml`` meets its ``expect:``.

The examples are what an agent reads first (``syncdoctor diagnose examples/...``), so one whose
expectation has gone stale teaches the wrong thing. The repository's own suite has always held
the bundled examples to their expectations; this holds every layer's, so that an author of an
external KB (``--kb ./our-kb``) gets the same check from ``kb test`` without pytest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from syncdoctor.authoring.testids import expectation_ids, strangers
from syncdoctor.casefile import CaseFile, read_case
from syncdoctor.diagnosis.pipeline import diagnose
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.errors import SyncdoctorError
from syncdoctor.kb.problems import nearest

__all__ = ["ExampleRun", "find_examples", "run_examples"]

EXAMPLES_FOLDER = "examples"
_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class ExampleRun:
    """One example's outcome, before it becomes a ``CaseResult``."""

    path: Path
    name: str
    pack: str
    failures: list[str] = field(default_factory=list)
    diff: str | None = None
    causes: frozenset[str] = frozenset()
    """The causes its diagnosis holds (for the examples' cause coverage)."""
    ran: bool = False
    """Whether it was diagnosed (a file that cannot be read covers nothing)."""


def find_examples(kb: KnowledgeBase) -> list[tuple[str, Path]]:
    """(folder name, file) of every example of every layer, in layer order then by name."""
    found: list[tuple[str, Path]] = []
    for layer in kb.layers:
        folder = layer / EXAMPLES_FOLDER
        if not folder.is_dir():
            continue
        for pack_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
            found.extend(
                (pack_folder.name, path) for path in sorted(pack_folder.iterdir())
                if path.suffix in _SUFFIXES and path.is_file()
            )
    return found


def run_examples(
    kb: KnowledgeBase, packs: Sequence[str], *, update_golden: bool = False
) -> list[ExampleRun]:
    """Diagnose every example of the chosen packs and check it against its ``expect:``.

    An example belongs to the pack its ``pack:`` names, else to its folder's. One without
    ``pack:`` also checks routing: the facts must choose its folder's pack.
    """
    from syncdoctor.authoring.testing import check_expectations  # testing imports this module

    runs: list[ExampleRun] = []
    for folder, path in find_examples(kb):
        try:
            case = read_case(path)
        except SyncdoctorError as error:
            if folder in packs:
                runs.append(ExampleRun(path, path.stem, folder, [f"cannot be read: {error}"]))
            continue
        pack_id = case.pack or folder
        if pack_id not in packs:
            if case.pack is None and folder not in kb.packs:
                hint = nearest(folder, kb.packs)
                runs.append(ExampleRun(path, case.title or path.stem, folder, [
                    f"folder {EXAMPLES_FOLDER}/{folder}/ is named for no pack and the case "
                    "names none (pack:)" + (f"; did you mean {hint!r}?" if hint else "")]))
            continue
        run = ExampleRun(path, case.title or path.stem, pack_id)
        runs.append(run)
        run.failures.extend(_stated(case))
        if pack_id not in kb.packs:
            run.failures.append(f"pack {pack_id!r} is not in this knowledge base")
            continue
        if case.expect is not None and case._located is not None:
            found = expectation_ids(case.expect, ("expect",))
            run.failures.extend(p.headline() for p in strangers(found, case._located,
                                                                kb.packs[pack_id]))
        try:
            result = diagnose(case.facts, pack=case.pack, kb=kb, now=case.now,
                              unknown=case.unknown)
        except SyncdoctorError as error:
            run.failures.append(f"diagnose failed: {error}")
            continue
        run.ran = True
        if result.pack != pack_id:
            run.failures.append(
                f"went to pack {result.pack!r}, not {pack_id!r} (or give the case a pack:)"
                if result.pack is not None else
                f"no pack was chosen from its facts, not {pack_id!r} (or give the case a pack:)")
            continue
        run.causes = frozenset(result.cause_ids)
        if case.expect is not None:
            failures, run.diff = check_expectations(case.expect, result, path.parent,
                                                    update_golden)
            run.failures.extend(failures)
    return runs


def _stated(case: CaseFile) -> list[str]:
    """An example states what it shows, on a fixed clock (else its output changes every day)."""
    missing = []
    if case.expect is None:
        missing.append("states no expect: (what it shows: causes, absent, questions...)")
    if case.now is None:
        missing.append("has no now:, so what it shows changes with the clock")
    return missing

