"""An agent at the plain (non-TTY) prompts who answers from a case's facts, never from fact ids.

``AgentAtPrompts`` stands in for stdin and reads stdout: each time the interview waits for a
line, it looks at the prompt on screen and types what an agent would. The fact a question asks
for is read off the prompt the interview prints (the agent reads the question; the case file's
key is only our answer sheet). A fact the case lacks is answered ``skip`` (don't know).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, datetime

FIX_PROMPT = "Did this fix it?"


def as_typed(value: object) -> list[str]:
    """The lines an agent types for a value: yes/no, the text, CSV rows for records."""
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, datetime):
        return [value.isoformat()]
    if isinstance(value, date):
        return [value.isoformat()]
    if isinstance(value, list):
        names: list[str] = []
        for record in value:
            for name in record:
                if name not in names:
                    names.append(name)
        rows = [",".join(names)]
        for record in value:
            rows.append(",".join(_cell(record.get(name)) for name in names))
        return [*rows, ""]
    text = str(value)
    if "\n" in text:
        return [*text.splitlines(), ""]
    return [text]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text


class Screen(io.StringIO):
    """stdout: everything the interview printed; not a terminal."""

    def isatty(self) -> bool:
        return False


class AgentAtPrompts:
    """stdin: types the answer to whatever prompt is on the screen."""

    def __init__(self, screen: Screen, pack: str, facts: Mapping[str, object],
                 fixed_by: frozenset[str] = frozenset(), limit: int = 200) -> None:
        self.screen = screen
        self.pack = pack
        self.facts = dict(facts)
        self.fixed_by = fixed_by
        """Titles of the causes whose remediation fixes it; "no" to every other one."""
        self.not_fixed: list[str] = []
        self.pending: list[str] = []
        self.asked: list[str] = []
        self.typed = 0
        self.limit = limit
        self.fix_prompts = 0

    def isatty(self) -> bool:
        return False

    def readline(self) -> str:
        self.typed += 1
        if self.typed > self.limit:
            return ""  # end of input: the interview must quit cleanly, the test then fails
        if self.pending:
            return self.pending.pop(0) + "\n"
        prompt = self.screen.getvalue().rsplit("\n", 1)[-1]
        if prompt == "... ":
            return "\n"  # the empty line that ends a multi-line answer
        if prompt.startswith("error message or pack >") or prompt.startswith("pack >"):
            return self.pack + "\n"
        if prompt.startswith(FIX_PROMPT):
            self.fix_prompts += 1
            title = prompt.removeprefix(FIX_PROMPT + " (").rsplit(") [yes/no]", 1)[0]
            if title in self.fixed_by:
                return "yes\n"
            self.not_fixed.append(title)
            return "no\n"
        fact = prompt.split(" (", 1)[0]
        self.asked.append(fact)
        if fact not in self.facts or self.facts[fact] is None:
            return "skip\n"
        lines = as_typed(self.facts[fact])
        self.pending = lines[1:]
        return lines[0] + "\n"
