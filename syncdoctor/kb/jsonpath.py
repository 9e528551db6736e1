"""The small JSONPath subset a collector uses to pick a value out of a response.

``$`` is the whole document; ``.name`` a member; ``["any name"]`` a member whose name is not a
plain word; ``[0]`` an array item (``[-1]`` the last). No wildcards, filters or recursion: a
collector names one value, and a path that names nothing says so (a missing field), never
guesses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

from syncdoctor.types import JsonValue

__all__ = ["JsonPath", "JsonPathError", "MissingField", "parse_json_path"]

_STEP: Final = re.compile(
    r"""\.(?P<name>[A-Za-z_][A-Za-z0-9_\-]*)|\[(?P<index>-?[0-9]{1,9})\]|\[(?P<quoted>"(?:[^"\\]|\\.)*")\]"""
)
MAX_STEPS: Final = 32


class JsonPathError(ValueError):
    """A path that is not of the supported subset."""


class MissingField(LookupError):
    """The response has nothing at the path (a member or an item is absent)."""

    def __init__(self, path: str, at: str) -> None:
        self.path = path
        self.at = at
        super().__init__(f"the response has no {at}" if at == path else
                         f"the response has no {at} (for {path})")


@dataclass(frozen=True)
class JsonPath:
    """A parsed path: its text and its steps (member names and array indexes)."""

    text: str
    steps: tuple[str | int, ...]

    def find(self, document: JsonValue) -> JsonValue:
        """The value at the path.

        Raises:
            MissingField: a member or an item on the way is absent (or the value there is not
                an object or an array).
        """
        node = document
        shown = "$"
        for step in self.steps:
            if isinstance(step, int):
                shown += f"[{step}]"
                if not isinstance(node, list) or not -len(node) <= step < len(node):
                    raise MissingField(self.text, shown)
                node = node[step]
            else:
                shown += f".{step}" if _STEP.fullmatch(f".{step}") else f"[{json.dumps(step)}]"
                if not isinstance(node, dict) or step not in node:
                    raise MissingField(self.text, shown)
                node = node[step]
        return node


def parse_json_path(text: str) -> JsonPath:
    """Parse ``$.a.b[0]["c d"]``.

    Raises:
        JsonPathError: the text is not a path of the subset, with what is wrong where.
    """
    if not text.startswith("$"):
        raise JsonPathError("a JSON path starts with '$' (e.g. '$.status')")
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            raise JsonPathError(
                f"cannot read the path at column {position + 1} ({text[position:position + 12]!r});"
                " write .name, [\"name\"] or [index]"
            )
        if match["name"] is not None:
            steps.append(match["name"])
        elif match["index"] is not None:
            steps.append(int(match["index"]))
        else:
            steps.append(str(json.loads(match["quoted"])))
        position = match.end()
        if len(steps) > MAX_STEPS:
            raise JsonPathError(f"a path has at most {MAX_STEPS} steps")
    return JsonPath(text, tuple(steps))
