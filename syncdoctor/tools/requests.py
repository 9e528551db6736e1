"""The arguments of each tool, as the JSON a chatbot or an HTTP client sends.

The same models validate a tool call (Python, MCP) and an HTTP body, so that a field is named the
same way by every door. Fact values stay plain JSON here; the pack's fact catalogue types them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from syncdoctor.types import JsonValue

__all__ = [
    "INCLUDE_ALL",
    "AnswerBody",
    "AnswerRequest",
    "ChoosePackBody",
    "ChoosePackRequest",
    "DescribeFactsRequest",
    "DiagnoseRequest",
    "ExplainRequest",
    "Include",
    "ListPacksRequest",
    "OutcomeBody",
    "OutcomeRequest",
    "ReportRequest",
    "StartInterviewRequest",
    "UndoRequest",
]

Include = Literal["ruled_out", "evidence", "inferred"]
"""Parts of a Diagnosis a caller may leave out to keep a chatbot's context small."""
INCLUDE_ALL: tuple[Include, ...] = ("ruled_out", "evidence", "inferred")

MAX_QUESTIONS = 100


COLLECT_HELP = (
    "Fetch the facts the questions need that the pack's collectors can give (the hub's sync "
    "status, last sync, error), before asking: Diagnosis.collected says where each came from. "
    "Only on a server started with --collect.")
SESSION_COLLECT_HELP = (
    f"{COLLECT_HELP} In a session, what a collector gives is stored as its answer; a collector "
    "that failed is tried again at the next call that collects.")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Budget(_Request):
    max_questions: int | None = Field(
        default=None, ge=0, le=MAX_QUESTIONS,
        description="Return at most this many questions (best first); null: all of them.",
    )
    include: list[Include] | None = Field(
        default=None,
        description="Which optional parts to return: ruled_out causes, the evidence of each "
        "cause, inferred facts. Left out parts come back empty. null: all of them.",
    )


class DiagnoseRequest(_Budget):
    """Diagnose one case: the case-file shape, without title and expectations."""

    pack: str | None = Field(
        default=None, description="The pack id; null: chosen from the facts."
    )
    now: str | None = Field(
        default=None, description="The clock, ISO 8601 (reproducible ages); null: the server's."
    )
    facts: dict[str, JsonValue] = Field(
        default_factory=dict, description="Fact id -> value; null means unknown."
    )
    unknown: list[str] | None = Field(
        default=None, description="Facts the user cannot answer: they are not asked again.",
    )
    collect: bool = Field(default=False, description=COLLECT_HELP)


class ExplainRequest(_Request):
    """HOW a cause was concluded, or WHY NOT, for a session's facts or for the given facts."""

    cause: str = Field(description="The cause id the user expected (or wants explained).")
    session: str | None = Field(
        default=None, description="An interview session id; its facts are used."
    )
    pack: str | None = Field(
        default=None, description="The pack; null: the pack that has this cause."
    )
    facts: dict[str, JsonValue] = Field(
        default_factory=dict, description="Fact id -> value, when no session is given."
    )
    now: str | None = Field(default=None, description="The clock, ISO 8601.")


class ListPacksRequest(_Request):
    """No arguments."""


class DescribeFactsRequest(_Request):
    """The fact catalogue of one pack."""

    pack: str = Field(description="The pack id.")


class StartInterviewRequest(_Budget):
    """Start an interview: from a pack, or from the user's first message."""

    pack: str | None = Field(default=None, description="The pack id, if known.")
    message: str | None = Field(
        default=None, description="The user's description of the problem (an error message)."
    )
    facts: dict[str, JsonValue] = Field(
        default_factory=dict, description="Facts already known."
    )
    now: str | None = Field(default=None, description="The case clock, ISO 8601.")
    collect: bool = Field(default=False, description=SESSION_COLLECT_HELP)


class AnswerBody(_Budget):
    """Answer the session's question about ``fact``, or say the user does not know."""

    fact: str = Field(description="The fact answered.")
    value: JsonValue = Field(default=None, description="The answer.")
    unknown: bool = Field(default=False, description="True: the user does not know (a skip).")
    collect: bool = Field(default=False, description=SESSION_COLLECT_HELP)


class AnswerRequest(AnswerBody):
    """An answer, with the session it belongs to (a tool call)."""

    session: str = Field(description="The session id.")


class OutcomeBody(_Budget):
    """Whether the remediation of a cause fixed the problem ("Did this fix it?")."""

    fixed: StrictBool = Field(
        description="true: it fixed the problem (the session is closed); false: it did not "
        "(the cause is ruled out, the questions move on).")
    cause: str | None = Field(default=None, description="The cause whose remediation the user "
                              "applied (one of diagnosis.causes); null: the first.")
    collect: bool = Field(default=False, description=SESSION_COLLECT_HELP)


class OutcomeRequest(OutcomeBody):
    """An outcome, with the session it belongs to (a tool call)."""

    session: str = Field(description="The session id.")


class ChoosePackBody(_Budget):
    """Which pack a session is about: the answer to its pack_choices ("which integration?")."""

    pack: str = Field(description="The pack id: one of the session's diagnosis.pack_choices.")
    collect: bool = Field(default=False, description=SESSION_COLLECT_HELP)


class ChoosePackRequest(ChoosePackBody):
    """A pack choice, with the session it belongs to (a tool call)."""

    session: str = Field(description="The session id.")


class UndoRequest(_Budget):
    """Take back the session's last answer."""

    session: str = Field(description="The session id.")
    collect: bool = Field(default=False, description=SESSION_COLLECT_HELP)


class ReportRequest(_Request):
    """The ticket report of a session."""

    session: str = Field(description="The session id.")
    format: Literal["markdown", "json"] | None = Field(
        default=None, description="markdown (to paste into a ticket) or json (the same "
        "content as data); null: markdown.")
