"""The test files that sit beside the rules: ``rules/<pack>.test.yaml``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from syncdoctor.authoring.corpus import CorpusText
from syncdoctor.casefile import Expectation
from syncdoctor.kb.spec import Identifier


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
    now: datetime = Field(description="The clock, so that ages never change the result.")
    facts: dict[str, Any] = Field(description="Fact id -> value, as in a case file.")
    expect: TestExpectation = Field(description="What the diagnosis must show.")


class TestFile(BaseModel):
    """A file of test cases for one pack."""

    __test__ = False
    model_config = ConfigDict(extra="forbid")

    pack: Identifier = Field(description="The pack under test.")
    cases: list[TestCase] = Field(description="The test cases.")
    corpus: list[CorpusText] = Field(
        default_factory=list,
        description="Error texts as the real systems write them, each diagnosed without naming "
        "the pack: the text must go to this pack and read as stated.",
    )
