"""Reading a case file (YAML or JSON): facts, an optional pack and clock, and expectations."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    ValidationError,
    field_validator,
)

from syncdoctor.errors import CaseFileError, FactError, KnowledgeBaseError, Problem, quoted_id
from syncdoctor.kb.problems import field_names, nearest, validation_problems
from syncdoctor.kb.recordvalues import refusal
from syncdoctor.kb.spec import FactSpec
from syncdoctor.kb.values import type_clock, unknown_refusal
from syncdoctor.kb.yamlfile import Located, load_yaml_text, open_regular_file

CASE_FILE_LIMIT = 2 * 1024 * 1024


class Expectation(BaseModel):
    """What a case expects, for examples and tests."""

    # Built on first use: a case file validates it as part of CaseFile, which builds it inline.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    causes: list[str] = Field(default_factory=list, description="Causes that must hold.")
    absent: list[str] = Field(default_factory=list, description="Causes that must not hold.")
    ruled_out: list[str] = Field(default_factory=list, description="Causes that must be ruled out.")
    min_certainty: dict[str, float] = Field(
        default_factory=dict, description="Cause id -> the least certainty it must reach."
    )
    max_certainty: dict[str, float] = Field(
        default_factory=dict,
        description="Cause id -> the most certainty it may reach (a cause the article leaves "
        "open must not be a confident guess); a cause that does not hold passes.",
    )
    questions: list[str] = Field(
        default_factory=list, description="Fact ids that must be among the next questions."
    )
    not_asked: list[str] = Field(
        default_factory=list, description="Fact ids that must not be among the questions."
    )
    first_question: str | None = Field(default=None, description="The fact asked first.")
    remediation_contains: dict[str, list[str]] = Field(
        default_factory=dict, description="Cause id -> words its remediation must contain."
    )


class CaseFile(BaseModel):
    """A case: the facts known so far, and optionally which pack and clock to use."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, description="What the case is about.")
    description: str | None = Field(default=None, description="Longer notes.")
    pack: str | None = Field(default=None, description="The pack; omitted: chosen from facts.")
    now: Annotated[datetime, Strict()] | Annotated[str, Strict()] | None = Field(
        default=None,
        union_mode="left_to_right",
        description="The clock for ages of datetimes (ISO 8601; not an epoch number).",
    )
    facts: dict[str, Any] = Field(description="Fact id -> value.")
    unknown: list[str] = Field(
        default_factory=list,
        description="Facts the user cannot answer (\"I don't know\"): never asked again.",
    )
    expect: Expectation | None = Field(default=None, description="What the case expects.")
    _located: Located | None = PrivateAttr(default=None)

    @field_validator("facts", mode="before")
    @classmethod
    def _nothing_known_yet(cls, value: object) -> object:
        # `facts:` with every line under it still commented out (a fresh `syncdoctor new-case`
        # template) reads as null: it means no fact is known yet, not a malformed file.
        return {} if value is None else value

    @property
    def display_name(self) -> str:
        """The file the case was read from, as messages name it."""
        return self._located.file if self._located is not None else "<case>"


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _looks_like_json(text: str) -> bool:
    """Whether stdin holds JSON (JSON is YAML too, but JSON gives better error positions)."""
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _read_regular(path: Path, name: str) -> bytes:
    """The bytes of a regular file, at most one past the limit; anything else is refused.

    Raises:
        CaseFileError: larger than the limit.
        OSError: not a regular file (a named pipe, a directory, a device), or unreadable.
    """
    with open_regular_file(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > CASE_FILE_LIMIT:
            raise CaseFileError(name, f"the file is {size} bytes; the limit is {CASE_FILE_LIMIT}")
        return handle.read(CASE_FILE_LIMIT + 1)  # bounded: a file may grow after fstat


def read_case(path: Path, stream: BinaryIO | None = None) -> CaseFile:
    """Read and check a case file, or a case read from ``stream`` (JSON or YAML).

    Raises:
        CaseFileError: the file is missing, unreadable, malformed or of the wrong shape.
    """
    name = str(path) if stream is None else "<stdin>"
    try:
        raw = _read_regular(path, name) if stream is None else stream.read(CASE_FILE_LIMIT + 1)
        if len(raw) > CASE_FILE_LIMIT:
            raise CaseFileError(name, f"the case is larger than {CASE_FILE_LIMIT} bytes")
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CaseFileError(name, f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        hint = "; give a YAML or JSON file, or - to read standard input" if (
            error.errno == errno.EINVAL) else ""
        raise CaseFileError(
            name, f"cannot read the file: {error.strerror or error}{hint}"
        ) from None
    data: object
    located: Located | None = None
    if path.suffix.lower() == ".json" or (stream is not None and _looks_like_json(text)):
        try:
            data = json.loads(text, object_pairs_hook=_reject_duplicates)
        except json.JSONDecodeError as error:
            raise CaseFileError(
                name, f"invalid JSON: {error.msg}", error.lineno, error.colno
            ) from None
        except (ValueError, RecursionError) as error:
            raise CaseFileError(name, f"invalid JSON: {error}") from None
    else:
        try:
            located = load_yaml_text(text, name)
            data = located.data
        except KnowledgeBaseError as error:
            first = error.problems[0]
            raise CaseFileError(  # with the problem itself: its line and caret are shown
                name, f"{first.code} {first.message}", first.line, first.column, error.problems
            ) from None
    if not isinstance(data, dict):
        got = "the file is empty" if data is None else f"got {_shape(data)}"
        raise CaseFileError(name, f"expected a mapping with a 'facts' key ({got}), e.g. "
                            "facts: {sync.status: failed}")
    if located is None:  # JSON: no positions, but every key path still named
        located = Located(data=data, file=name, lines=tuple(text.splitlines()), marks={})
    try:
        case = CaseFile.model_validate(data)
    except ValidationError as error:
        problems = _one_per_typo(validation_problems(
            located, error, field_names(CaseFile, Expectation), model=CaseFile))
        raise CaseFileError.from_problems(name, problems) from None
    case._located = located
    return case


def _shape(data: object) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number",
            bool: "true or false"}.get(type(data), type(data).__name__)


def _one_per_typo(problems: list[Problem]) -> list[Problem]:
    """A misspelt key (``fact:``) said once.

    Its "unknown key, did you mean 'facts'" stays; the "missing required key 'facts'" that the
    same typo also makes goes.
    """
    meant = {p.suggestion for p in problems if p.code == "KB102" and p.suggestion}
    return [p for p in problems
            if not (p.code == "KB103" and p.path and str(p.path[-1]) in meant)]


def check_case_facts(case: CaseFile, catalogue: Mapping[str, FactSpec], name: str, *,
                     packs: Collection[str] = (), check_pack: bool = False,
                     check_now: bool = True) -> None:
    """Check a case against a pack's catalogue, reporting every problem at once.

    Each problem is located at its key in the file (file:line:col), with "did you mean" for an
    id the catalogue does not have; values are checked by the engine's own typing. Besides
    ``facts``: the ``unknown`` ids (each must be a fact of the catalogue, not also given a
    value), the ``now`` clock (unless ``check_now`` is False: a clock given on the command line
    wins) and, with ``check_pack``, the ``pack`` among ``packs``.

    Raises:
        CaseFileError: one or more problems.
    """
    located = case._located or Located(data={}, file=name, lines=(), marks={})
    problems: list[Problem] = []
    if check_pack and case.pack is not None and case.pack not in packs:
        problems.append(located.problem(
            "CASE103", f"unknown pack {quoted_id(case.pack)}", ("pack",), nearest(case.pack, packs),
            at_value=True))
    if check_now and case.now is not None:
        try:
            type_clock(case.now)
        except FactError as error:
            problems.append(located.problem("CASE105", str(error), ("now",),
                                            at_value=True))
    for fact, value in case.facts.items():
        spec = catalogue.get(fact)
        if spec is None:
            problems.append(located.problem(
                "CASE101", f"unknown fact {quoted_id(fact)}", ("facts", fact),
                nearest(fact, catalogue)
            ))
            continue
        if value is None:
            continue  # None means unknown, as in diagnose()
        refused = refusal(fact, spec, value)
        if refused is not None:
            problem = located.problem("CASE102", f"{fact}: {refused}", ("facts", fact),
                                      at_value=True)  # the caret under the refused value
            # A secret's line would show the value the message hides as ***.
            problems.append(replace(problem, source_line=None) if spec.secret else problem)
    problems.extend(_unknown_problems(case, catalogue, located))
    if problems:
        raise CaseFileError.from_problems(located.file, problems)


def _unknown_problems(case: CaseFile, catalogue: Mapping[str, FactSpec], located: Located
                      ) -> list[Problem]:
    """The ``unknown`` entries the engine would refuse, each at its place in the list."""
    problems: list[Problem] = []
    for position, fact in enumerate(case.unknown):
        spec = catalogue.get(fact)
        where = ("unknown", position)
        if spec is None:
            problems.append(located.problem(
                "CASE104", f"unknown fact {quoted_id(fact)} declared unknown", where,
                nearest(fact, catalogue), at_value=True))
        elif (refusal := unknown_refusal(spec, case.facts.get(fact))) is not None:
            problems.append(located.problem("CASE104", f"{fact} {refusal}", where,
                                            at_value=True))
    return problems
