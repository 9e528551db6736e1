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
    assert "payment_applied_manually" not in iv.diagnosis.cause_ids  # type: ignore[attr-defined]


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
