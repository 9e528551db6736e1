"""Test files read and checked against their packs, before (or without) running a case.

``kb lint`` reads them through here and ``kb test`` before it runs them: nothing here
diagnoses, so neither imports durable_rules for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from syncdoctor.authoring.corpus import CorpusText
from syncdoctor.authoring.testfile import TestCase, TestDefaults, TestExpectation, TestFile
from syncdoctor.authoring.testids import unknown_ids, wrong_values
from syncdoctor.errors import KnowledgeBaseError, Problem
from syncdoctor.kb.problems import display_path, field_names, validation_problems
from syncdoctor.kb.yamlfile import load_yaml_file

if TYPE_CHECKING:
    from syncdoctor.engine.knowledge import KnowledgeBase

__all__ = ["TEST_GLOBS", "checked_test_files", "find_test_files", "load_test_file"]

TEST_GLOBS = ("*.test.yaml", "*.test.yml")


def find_test_files(kb: KnowledgeBase) -> list[Path]:
    """Test files beside the rules of every layer, in layer then name order."""
    files: list[Path] = []
    for layer in kb.layers:
        folder = layer / "rules"
        if folder.is_dir():
            for pattern in TEST_GLOBS:
                files.extend(sorted(folder.glob(pattern)))
    return files


def load_test_file(path: Path) -> TestFile:
    """Read and check one test file.

    Raises:
        KnowledgeBaseError: located problems, as for any KB file.
    """
    located = load_yaml_file(path, display_path(path))
    try:
        parsed = TestFile.model_validate(located.data)
    except ValidationError as error:
        keys = field_names(TestFile, TestDefaults, TestCase, TestExpectation, CorpusText)
        problems = validation_problems(located, error, keys, model=TestFile)
        raise KnowledgeBaseError([_case_under_corpus(p) for p in problems]) from None
    if parsed.defaults.now is None:
        clockless = [
            located.problem("KB103", "missing required key 'now' (state it here, or once for "
                            "every case under 'defaults')", ("cases", index))
            for index, case in enumerate(parsed.cases)
            if case.now is None
        ]
        if clockless:
            raise KnowledgeBaseError(clockless)
    parsed._located = located
    return parsed


_CASE_ONLY = frozenset(TestCase.model_fields) - frozenset(CorpusText.model_fields)


def _case_under_corpus(problem: Problem) -> Problem:
    """A case's key under ``corpus:``: most often a case written after the corpus list."""
    path = problem.path
    if (problem.code == "KB102" and len(path) == 3 and path[0] == "corpus"
            and path[2] in _CASE_ONLY):
        return replace(problem, suggestion=None, message=(
            f"{problem.message}: a corpus text takes no {path[2]!r}; is this a case written "
            "after the corpus list? Cases go under 'cases:'"))
    return problem


def checked_test_files(kb: KnowledgeBase, files: Sequence[Path] | None = None
                       ) -> list[tuple[Path, TestFile]]:
    """The test files (default: those beside the KB's rules), read and checked, no case run.

    Against their packs: YAML and shape, the pack, every id and every fact value.

    Raises:
        KnowledgeBaseError: every problem of every file, located, in file order.
    """
    problems: list[Problem] = []
    loaded: list[tuple[Path, TestFile]] = []
    for path in list(files) if files is not None else find_test_files(kb):
        try:
            loaded.append((path, load_test_file(path)))
        except KnowledgeBaseError as error:
            problems.extend(error.problems)
    for path, test_file in loaded:
        if test_file.pack not in kb.packs:
            problems.append(Problem("KB110", f"tests for unknown pack {test_file.pack!r}",
                                    file=display_path(path), line=1, column=1))
        elif test_file._located is not None:
            pack = kb.packs[test_file.pack]
            problems.extend(unknown_ids(test_file, test_file._located, pack))
            problems.extend(wrong_values(test_file, test_file._located, pack))
    if problems:
        raise KnowledgeBaseError(sorted(problems, key=lambda p: (p.file, p.line, p.column)))
    return loaded
