"""Plain YAML scalars by the YAML 1.2 core schema: the resolver and the scalar builders."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Final

import yaml

_TAG_PREFIX: Final = "tag:yaml.org,2002:"


class CoreResolver(yaml.resolver.BaseResolver):
    """Plain scalars read by the YAML 1.2 core schema, not PyYAML's YAML 1.1 rules.

    YAML 1.1 reads ``8:20`` as 500 (base 60), ``1_000`` as 1000, ``0777`` as 511 and ``yes``
    or ``off`` as booleans: a case file's ``sync.error_http_status: 8:20`` would quietly be
    HTTP 500. Under the core schema those are text, and only ``true``/``false``, ``null``/``~``,
    decimal, ``0o`` and ``0x`` integers and plain floats are anything else. ISO 8601 dates and
    date-times are still read as such (not core, but unambiguous, and what the KB and case
    files have always meant); ``<<`` still resolves as a merge key so it is refused clearly.
    """


for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    ("merge", r"^<<$", "<"),
):
    CoreResolver.add_implicit_resolver(
        _TAG_PREFIX + _tag, re.compile(_pattern), [*_first, ""] if _tag == "null" else [*_first]
    )
# Dates exactly as PyYAML has always read them (the same pattern, taken from its resolver).
_TIMESTAMP: Final = next(
    pattern
    for tag, pattern in yaml.resolver.Resolver.yaml_implicit_resolvers["2"]
    if tag == _TAG_PREFIX + "timestamp"
)
CoreResolver.add_implicit_resolver(_TAG_PREFIX + "timestamp", _TIMESTAMP, list("0123456789"))

_CONSTRUCTOR: Final = yaml.constructor.SafeConstructor()


def _no_underscore(text: str) -> str:
    # Python's int() and float() accept "1_000"; YAML 1.2 does not (an explicit !!int gets here).
    if "_" in text:
        raise ValueError("YAML 1.2 numbers have no '_'")
    return text


def _core_int(node: yaml.ScalarNode) -> int:
    text = _no_underscore(str(node.value))
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)  # "012" is twelve under YAML 1.2, not octal


def _core_float(node: yaml.ScalarNode) -> float:
    text = _no_underscore(str(node.value)).lower()
    if text.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    if text == ".nan":
        return math.nan
    return float(text)


def _core_bool(node: yaml.ScalarNode) -> bool:
    text = str(node.value).lower()
    if text not in ("true", "false"):  # reached only through an explicit !!bool tag
        raise KeyError(text)
    return text == "true"


# Only these scalar tags are constructed.
_SCALAR_BUILDERS: Final[dict[str, Callable[[yaml.ScalarNode], Any]]] = {
    _TAG_PREFIX + "int": _core_int,
    _TAG_PREFIX + "float": _core_float,
    _TAG_PREFIX + "bool": _core_bool,
    _TAG_PREFIX + "timestamp": _CONSTRUCTOR.construct_yaml_timestamp,
}
