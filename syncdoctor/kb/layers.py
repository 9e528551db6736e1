"""Where a knowledge base's files are: its layer folders, and the files read from them, in order.

Kept apart from :mod:`syncdoctor.kb.loader`, which parses and checks those files, so that a KB read
from the compiled-KB cache (keyed by these files' names and bytes) imports none of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from syncdoctor.errors import KnowledgeBaseError, Problem
from syncdoctor.kb.problems import display_path

__all__ = [
    "SECTIONS", "TEST_SUFFIXES", "bundled_kb_dir", "kb_files", "kb_folders", "section_files",
]

SECTIONS = ("facts", "rules", "playbooks", "collectors")
TEST_SUFFIXES = (".test.yaml", ".test.yml")


def bundled_kb_dir() -> Path:
    """The knowledge base shipped with syncdoctor (the repository root in a checkout)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_kb"
    if installed.is_dir():
        return installed
    return package.parent


def section_files(layer: Path, section: str) -> list[Path]:
    """The YAML files of one section of a layer, by name (test files left out)."""
    folder = layer / section
    if not folder.is_dir():
        return []
    files = [
        p for p in sorted(folder.iterdir())
        if p.suffix in (".yaml", ".yml") and not p.name.endswith(TEST_SUFFIXES) and p.is_file()
    ]
    return files


def kb_folders(layers: Sequence[Path | str] | None, *, bundled: bool) -> list[Path]:
    """The layer folders in order, the bundled KB first unless told not to.

    Raises:
        KnowledgeBaseError: (KB100) a folder that does not exist.
    """
    folders: list[Path] = [bundled_kb_dir()] if bundled else []
    folders.extend(Path(p) for p in layers or ())
    problems = [
        Problem("KB100", f"knowledge-base folder not found: {folder}", file=str(folder))
        for folder in folders
        if not folder.is_dir()
    ]
    if problems:
        raise KnowledgeBaseError(problems)
    return folders


def kb_files(folders: Sequence[Path]) -> list[tuple[Path, str]]:
    """Every file :func:`load_sources` reads from these folders, in its order: (path, display).

    The KB cache is keyed by these files' names and bytes, so nothing else may be read.
    """
    return [
        (path, display_path(path, folder))
        for folder in folders
        for section in SECTIONS
        for path in section_files(folder, section)
    ]
