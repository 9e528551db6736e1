"""PyYAML's words for the usual mistakes come with what to do about them."""

from __future__ import annotations

import pytest

from syncdoctor.errors import KnowledgeBaseError
from syncdoctor.kb.yamlfile import load_yaml_text


@pytest.mark.parametrize(("text", "where", "hint"), [
    ("facts:\n\tsync.status: x\n", "2:1", "(a tab: indent YAML with spaces)"),
    ("facts:\n  a: 1\n b: 2\n", "3:2", "(this line's indentation does not match the lines above it)"),
    ("because: The status: failed\n", "1:20", "(a ': ' inside a value: put the value in quotes)"),
])
def test_a_yaml_mistake_says_what_to_do(text: str, where: str, hint: str) -> None:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_yaml_text(text, "rules/x.yaml")
    headline = caught.value.problems[0].headline()
    assert headline.startswith(f"rules/x.yaml:{where}: KB001 YAML syntax error: ")
    assert headline.endswith(hint)
