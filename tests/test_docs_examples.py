"""Examples of the docs run as written: docs/chatbots.md's Interview, docs/authoring.md's test."""

from __future__ import annotations

from pathlib import Path

from syncdoctor import load_kb
from syncdoctor.authoring.testing import run_tests

from support import REPO


def test_the_chatbot_interview_example_runs() -> None:
    text = (REPO / "docs" / "chatbots.md").read_text(encoding="utf-8")
    section = text.split("## A conversation: `Interview`", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    printed: list[tuple[object, ...]] = []
    namespace: dict[str, object] = {"print": lambda *args: printed.append(args)}
    exec(compile(code, "docs/chatbots.md", "exec"), namespace)
    assert printed[0][0] == "The payment was already applied by hand in the accounting package"
    iv = namespace["iv"]
    assert iv.fixed_cause == "payment_applied_manually"  # type: ignore[attr-defined]
    assert iv.events[-1].source == "bot"  # type: ignore[attr-defined]


def test_the_authoring_test_case_example_passes_on_the_bundled_pack(tmp_path: Path) -> None:
    """docs/authoring.md §4: the case an author copies must pass on the pack it names."""
    text = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")
    section = text.split("## 4. A test, beside the rules", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    golden = tmp_path / "rules" / "golden" / "impac" / "sync-in-progress.md"
    golden.parent.mkdir(parents=True)
    (tmp_path / "rules" / "impac.test.yaml").write_text(example, encoding="utf-8")
    kb = load_kb([tmp_path])
    tests = [tmp_path / "rules" / "impac.test.yaml"]
    run_tests(kb, tests, update_golden=True)  # the golden file is the author's to write
    report = run_tests(kb, tests)
    assert [(case.name, case.failures) for case in report.cases] == [
        ("a synchronisation still running", [])]


def test_the_agents_interview_transcript_is_what_the_interview_prints(tmp_path: Path) -> None:
    """docs/agents.md's first transcript, typed again: each line it shows whole is printed, in
    its order (lines cut short with an ellipsis, and the session's id and store, are skipped)."""
    import subprocess
    import sys

    text = (REPO / "docs" / "agents.md").read_text(encoding="utf-8")
    block = text.split("## An interview, start to finish", 1)[1].split("```\n", 2)[1]
    typed = [line.split(" > ", 1)[1] for line in block.splitlines()
             if " > " in line and not line.startswith("$")]
    typed.insert(1, "")  # the empty line that ends the pasted message
    done = subprocess.run(
        [sys.executable, "-m", "syncdoctor", "interview", "--now", "2026-11-20T15:00:00Z",
         "--store", f"sqlite:{tmp_path / 's.db'}"], input="\n".join(typed) + "\n",
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    printed = [line.rstrip() for line in done.stdout.splitlines()]
    at = 0
    for line in block.splitlines()[1:]:
        if "..." in line or "…" in line or "cf802e2a" in line:
            continue
        found = next((i for i in range(at, len(printed)) if printed[i] == line.rstrip()), None)
        assert found is not None, f"not printed (in this order): {line!r}"
        at = found + 1
