"""The test files that sit beside the rules: ``rules/<pack>.test.yaml``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from syncdoctor.authoring.corpus import CorpusText
from syncdoctor.casefile import Expectation
from syncdoctor.kb.spec import Identifier
from syncdoctor.kb.yamlfile import Located


class TestExpectation(Expectation):
    """What a test case expects; every list is checked, empty lists check nothing."""

    model_config = ConfigDict(extra="forbid")

    remediation_golden: dict[str, str] = Field(
        default_factory=dict,
        description="Cause id -> a file (relative to the test file) holding the exact "
        "rendered remediation; `syncdoctor kb test --update-golden` rewrites them.",
    )
    fired: list[str] = Field(
        default_factory=list, description="Rule ids that must fire (cause or derived-fact rules)."
    )
    silent: list[str] = Field(default_factory=list, description="Rule ids that must not fire.")


class TestCase(BaseModel):
    """One case: facts, a fixed clock, and what the diagnosis must show."""

    __test__ = False  # not a pytest test class, despite the name
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="What the case shows, in a few words; unique in the file.")
    description: str | None = Field(default=None, description="Longer notes.")
    now: datetime | None = Field(
        default=None,
        description="The clock, so that ages never change the result; may be left to the "
        "file's `defaults`.",
    )
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="Fact id -> value, as in a case file; laid over the file's `defaults` "
        "facts (null: the default fact is not given in this case).",
    )
    expect: TestExpectation = Field(description="What the diagnosis must show.")


class TestDefaults(BaseModel):
    """What every case of the file starts from, so that no case repeats it."""

    __test__ = False
    model_config = ConfigDict(extra="forbid")

    now: datetime | None = Field(
        default=None, description="The clock of every case that does not state its own."
    )
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="Fact id -> value given in every case; a case's own value for a fact wins, "
        "and a case's null leaves the fact out.",
    )


_CLOCK_SOMEWHERE: dict[str, Any] = {
    # What the loader checks, for editors too: without a default clock, every case needs its own.
    "if": {"not": {"required": ["defaults"], "properties": {"defaults": {
        "required": ["now"], "description": "Defaults that give the clock."}}}},
    "then": {"properties": {"cases": {
        "items": {"required": ["now"]}, "description": "Cases that each give their clock."}}},
}


class TestFile(BaseModel):
    """A file of test cases for one pack."""

    __test__ = False
    model_config = ConfigDict(extra="forbid", json_schema_extra=_CLOCK_SOMEWHERE)

    pack: Identifier = Field(description="The pack under test.")
    defaults: TestDefaults = Field(
        default_factory=TestDefaults,
        description="The clock and facts every case starts from (its own values win).",
    )
    cases: list[TestCase] = Field(description="The test cases.")
    corpus: list[CorpusText] = Field(
        default_factory=list,
        description="Error texts as the real systems write them, each diagnosed without naming "
        "the pack: the text must go to this pack and read as stated.",
    )
    _located: Located | None = PrivateAttr(default=None)

    def resolved(self) -> list[TestCase]:
        """The cases with the file's defaults laid under each one's own clock and facts.

        A fact whose merged value is null is left out, so a case can drop a default fact.
        """
        out = []
        for case in self.cases:
            facts = {**self.defaults.facts, **case.facts}
            out.append(case.model_copy(update={
                "now": case.now or self.defaults.now,
                "facts": {k: v for k, v in facts.items() if v is not None},
            }))
        return out
