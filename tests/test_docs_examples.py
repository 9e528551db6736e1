"""The Interview example of docs/chatbots.md runs as written."""

from __future__ import annotations

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
