"""Checks of collectors/ files: no secret written inline, and what a collector names exists.

KB120  a collector that names an unknown source, a fact that cannot be collected or used in a
       URL, a fact two collectors give, or a ``map`` value that does not fit its fact
KB121  a credential written in the file (a token, a password, credentials in a URL, an
       Authorization header): it must come from ``auth.token_env`` or ``auth.token_file``
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from syncdoctor.errors import FactError, Problem
from syncdoctor.kb.collector_spec import PLACEHOLDER, CollectorSpec, SourceSpec, placeholders
from syncdoctor.kb.problems import Origin, nearest
from syncdoctor.kb.spec import FactSpec
from syncdoctor.kb.values import type_value
from syncdoctor.kb.yamlfile import Located

__all__ = ["check_collector", "inline_secrets"]

_SECRET_WORD: Final = re.compile(
    r"(?i)token|secret|passw|api[-_]?key|^key$|auth|cookie|signature|^sig$|credential|session"
)
"""A header, query parameter or auth key whose name says it carries a credential."""
_SCHEME_VALUE: Final = re.compile(r"(?i)^\s*(?:bearer|basic|token|digest)\s+\S")
_MOVE: Final = "read it from the environment or a file instead (auth: token_env or token_file)"
_AUTH_KEYS: Final = frozenset({"type", "header", "token_env", "token_file"})
_SOURCE_KEYS: Final = frozenset(SourceSpec.model_fields)


def inline_secrets(located: Located) -> list[Problem]:
    """Every credential written in a collectors file, located (KB121).

    Runs on the raw data before the shape is checked, so that ``token: abc`` under ``auth`` is
    named for what it is, not as an unknown key.
    """
    data = located.data
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return problems

    def refuse(path: tuple[str | int, ...], what: str) -> None:
        problems.append(located.problem("KB121", f"{what}: {_MOVE}", path))

    sources = data.get("sources")
    for name, source in sources.items() if isinstance(sources, dict) else ():
        if not isinstance(source, dict):
            continue
        where = ("sources", name)
        for key in source:
            if str(key) not in _SOURCE_KEYS and _SECRET_WORD.search(str(key)):
                refuse((*where, key), f"a credential written inline ({key})")
        url = source.get("base_url")
        if isinstance(url, str):
            parts = urlsplit(url)
            if parts.username is not None or parts.password is not None:
                refuse((*where, "base_url"), "credentials written in base_url")
            if any(_SECRET_WORD.search(key) for key, _ in parse_qsl(parts.query)):
                refuse((*where, "base_url"), "a credential written in base_url's query")
        auth = source.get("auth")
        if isinstance(auth, dict):
            for key in auth:
                if str(key) not in _AUTH_KEYS and _SECRET_WORD.search(str(key)):
                    refuse((*where, "auth", key), f"a credential written inline (auth.{key})")
        headers = source.get("headers")
        for header, value in headers.items() if isinstance(headers, dict) else ():
            if _SECRET_WORD.search(str(header)) or (
                isinstance(value, str) and _SCHEME_VALUE.match(value)
            ):
                refuse((*where, "headers", header), f"a credential header written inline "
                       f"({header})")
    collectors = data.get("collectors")
    for index, collector in enumerate(collectors) if isinstance(collectors, list) else ():
        query = collector.get("query") if isinstance(collector, dict) else None
        for key, value in query.items() if isinstance(query, dict) else ():
            literal = isinstance(value, str) and not PLACEHOLDER.fullmatch(value.strip())
            if _SECRET_WORD.search(str(key)) and literal:
                refuse(("collectors", index, "query", key),
                       f"a credential written in the query ({key})")
    return problems


def check_collector(
    collector: CollectorSpec,
    origin: Origin,
    facts: Mapping[str, FactSpec],
    sources: Mapping[str, SourceSpec],
    given_by: dict[str, str],
    problems: list[Problem],
) -> None:
    """What one collector names: its source, its facts, its placeholders (KB104, KB120)."""
    if collector.source not in sources:
        problems.append(origin.problem(
            "KB120", f"unknown source {collector.source!r}", "source",
            suggestion=nearest(collector.source, sources)))
    templates: list[tuple[tuple[str, ...], str]] = [(("path",), collector.path)]
    templates.extend((("query", key), value) for key, value in collector.query.items())
    for where, text in templates:
        for fact in placeholders(text):
            spec = facts.get(fact)
            if spec is None:
                problems.append(origin.problem(
                    "KB104", f"unknown fact {fact!r} in a placeholder", *where,
                    suggestion=nearest(fact, facts)))
            elif spec.secret or spec.type == "records":
                problems.append(origin.problem(
                    "KB120", f"{fact!r} cannot go into a URL ("
                    f"{'it is secret' if spec.secret else 'it holds records'})", *where))
    for fact, pick in collector.picks().items():
        spec = facts.get(fact)
        if spec is None:
            problems.append(origin.problem("KB104", f"unknown fact {fact!r}", "facts", fact,
                                           suggestion=nearest(fact, facts)))
            continue
        if spec.derived and not spec.observable:
            problems.append(origin.problem(
                "KB120", f"{fact!r} is worked out by the rules; only facts a person could "
                "state (not derived, or observable) are collected", "facts", fact))
        earlier = given_by.setdefault(fact, collector.id)
        if earlier != collector.id:
            problems.append(origin.problem(
                "KB120", f"{fact!r} is collected by {earlier!r} already; one collector per "
                "fact", "facts", fact))
        for word, value in pick.map.items():
            if spec.type == "records":
                problems.append(origin.problem(
                    "KB120", "'map' is for scalar facts, not records", "facts", fact, "map"))
                break
            try:
                type_value(fact, spec, value)
            except FactError as error:
                problems.append(origin.problem("KB109", str(error), "facts", fact, "map", word))
