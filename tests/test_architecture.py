"""The shape of the code: module sizes, a light import, public names only in bench/."""

from __future__ import annotations

import ast
import subprocess
import sys

from support import REPO

MAX_LINES = 400
PACKAGE = REPO / "syncdoctor"


def test_no_module_is_over_400_lines() -> None:
    sizes = {
        str(path.relative_to(REPO)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert sizes, "no modules found"
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_import_syncdoctor_loads_no_engine_templates_or_regexes() -> None:
    code = (
        "import syncdoctor, sys; "
        "print([m for m in sys.modules if m.startswith(('durable', 'jinja2', 're2'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_public_name_is_imported_on_first_use() -> None:
    code = "import syncdoctor, sys; syncdoctor.diagnose; print('durable' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_bench_imports_no_private_name() -> None:
    private: list[str] = []
    for path in (REPO / "bench").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("syncdoctor"):
                parts = (node.module or "").split(".")
                names = [alias.name for alias in node.names]
                private.extend(f"{path.name}: {node.module}.{n}" for n in [*parts, *names]
                               if n.startswith("_") and n != "__version__")
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not (
                node.attr.startswith("__") or node.attr == "_handle"  # durable_rules' own
            ):
                private.append(f"{path.name}: .{node.attr}")
    assert private == []


def _modules_after_cli(*args: str) -> set[str]:
    """The modules a real ``syncdoctor`` command imported, as its process saw them at exit."""
    code = (
        "import atexit, sys; "
        "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sorted(sys.modules)))); "
        f"sys.argv = ['syncdoctor', *{list(args)!r}]; "
        "from syncdoctor.cli import main; main()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return set(done.stderr.rpartition("MODULES ")[2].split())


def test_help_and_kb_lint_need_no_durable_rules() -> None:
    for command in (["--help"], ["kb", "lint"]):
        loaded = _modules_after_cli(*command)
        assert not {m for m in loaded if m.startswith("durable")}, command


def test_diagnose_imports_only_what_a_diagnosis_uses() -> None:
    case = str(REPO / "examples" / "impac" / "sync-failed-app-api.yaml")
    loaded = _modules_after_cli("diagnose", case)
    assert "durable_rules_engine" in loaded  # it did diagnose
    unused = ("syncdoctor.interview", "rich", "syncdoctor.authoring",
              "syncdoctor.tools", "syncdoctor.service", "fastapi")
    assert sorted(m for m in loaded if m.startswith(unused)) == []
