"""A corpus of broken KB files: each gives a located error, fast, and never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syncdoctor import KnowledgeBaseError, load_kb

from support import FIXTURES

# A guard against hangs (a backtracking regex, a quadratic scan), not a speed target: bench/
# measures speed. Alone these take milliseconds; a loaded CI machine can be many times slower.
HANG_GUARD_SECONDS = 15.0

BROKEN = FIXTURES / "broken"

CORPUS = {
    "rules__truncated.yaml": "KB001",
    "rules__wrong_type.yaml": "KB101",
    "rules__wrong_shape.yaml": "KB101",
    "rules__duplicate_key.yaml": "KB004",
    "rules__deep_nesting.yaml": "KB002",
    "rules__alias_bomb.yaml": "KB006",
    "rules__binary_junk.yaml": "KB008",
    "rules__python_tag.yaml": "KB003",
    "rules__python_name.yaml": "KB003",
    "playbooks__jinja_class.yaml": "KB108",
    "playbooks__jinja_subclasses.yaml": "KB108",
    "playbooks__jinja_attr.yaml": "KB108",
    "playbooks__jinja_format.yaml": "KB108",
}


def _kb_with(tmp_path: Path, name: str) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "demo_kb", root)
    section, _, _ = name.partition("__")
    shutil.copy(BROKEN / name, root / section / "demo.yaml")
    return root


def test_the_corpus_lists_every_file() -> None:
    assert sorted(p.name for p in BROKEN.iterdir()) == sorted(CORPUS)


@pytest.mark.parametrize(("name", "code"), sorted(CORPUS.items()))
def test_broken_file_gives_a_located_error_fast(tmp_path: Path, name: str, code: str) -> None:
    root = _kb_with(tmp_path, name)
    start = time.perf_counter()
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([root], bundled=False)
    elapsed = time.perf_counter() - start
    assert elapsed < HANG_GUARD_SECONDS, f"{name} took {elapsed:.2f} s"
    problem = caught.value.problems[0]
    assert problem.code == code, caught.value.render()
    assert problem.file.endswith("demo.yaml")
    assert problem.line > 0 and problem.column > 0


def test_ten_megabyte_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    root = _kb_with(tmp_path, "rules__wrong_type.yaml")
    big = root / "rules" / "demo.yaml"
    with big.open("w") as handle:
        handle.write("pack: demo\nrules:\n")
        line = "  - {id: x, step: s1, cause: pending, when: {fact: sync.status, eq: pending}, because: x}\n"
        for _ in range(10 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    assert big.stat().st_size > 10 * 1024 * 1024
    start = time.perf_counter()
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([root], bundled=False)
    assert time.perf_counter() - start < HANG_GUARD_SECONDS
    assert caught.value.code == "KB007"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_cli_reports_it_without_a_traceback(tmp_path: Path, name: str) -> None:
    root = _kb_with(tmp_path, name)
    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "kb", "lint", "--kb", str(root)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert CORPUS[name] in done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
