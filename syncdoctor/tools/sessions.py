"""The interview tools: start_interview, answer, undo, and a session as JSON.

A session lives in a store (:func:`syncdoctor.interview.open_store`: SQLite, memory, later
PostgreSQL), so that a chatbot carries a conversation across calls, and several workers share it.
Each call resumes the session from the store, takes one step, and returns the whole session.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from syncdoctor.diagnosis.result import CauseAccount, Diagnosis, Question
from syncdoctor.diagnosis.why import account_for
from syncdoctor.engine.knowledge import KnowledgeBase, default_kb
from syncdoctor.errors import FactError, FieldProblem, RequestError, echo_id
from syncdoctor.interview import Interview, SessionStore
from syncdoctor.interview.events import EventSource
from syncdoctor.kb.values import iso_moment
from syncdoctor.tools.contract import budget, collect_argument, parse_arguments
from syncdoctor.tools.factcheck import with_every_wrong_fact
from syncdoctor.tools.requests import (
    AnswerRequest,
    ChoosePackRequest,
    ExplainRequest,
    Include,
    OutcomeRequest,
    ReportRequest,
    StartInterviewRequest,
    UndoRequest,
)
from syncdoctor.types import JsonValue

if TYPE_CHECKING:
    from syncdoctor.collectors.runner import Collectors

__all__ = ["Session", "SessionAnswer", "SessionReport", "SessionTools", "session_of"]


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionAnswer(_Result):
    """One answer or skip in effect."""

    seq: int = Field(description="Its place in the session's log.")
    fact: str = Field(description="The fact answered.")
    value: JsonValue = Field(description="The answer as stored; null for a skip.")
    unknown: bool = Field(description="True: the user does not know (a skip).")
    at: str = Field(description="When it was given (ISO 8601, UTC).")
    source: str = Field(description="Who gave it: agent, case, bot, collector, derived.")


class Session(_Result):
    """An interview session: what was answered, what to ask next, and the Diagnosis so far."""

    id: str = Field(description="The session id: send it back as session=.")
    pack: str | None = Field(description="The pack in use; null until one is chosen.")
    title: str | None = Field(description="What the case is about.")
    now: str = Field(description="The case clock (ISO 8601, UTC).")
    facts: dict[str, JsonValue] = Field(description="Every fact with a value so far.")
    answers: list[SessionAnswer] = Field(description="Every answer and skip in effect, in order.")
    next_question: Question | None = Field(
        description="The question to ask the user now; null when none is left (or while the "
        "pack must be chosen: see diagnosis.pack_choices)."
    )
    finished: bool = Field(description="True once no answer can change the outcome, or once "
                           "the agent said a remediation fixed it (see fixed).")
    fixed: str | None = Field(
        default=None, description="The cause whose remediation fixed the problem, as the "
        "agent said at the end of the interview: the session is closed. Null while it is open.")
    diagnosis: Diagnosis = Field(description="The Diagnosis of the facts so far.")


class SessionReport(_Result):
    """A session's ticket report, as ``syncdoctor sessions export`` prints it."""

    session: str = Field(description="The session id.")
    format: Literal["markdown", "json"] = Field(description="The form of text.")
    text: str = Field(description="The report: Markdown to paste into a ticket, or its JSON "
                      "(the bytes GET /v1/sessions/{id}/report answers).")


def session_of(
    interview: Interview, *, max_questions: int | None = None,
    include: Collection[Include] | None = None,
) -> Session:
    """The interview as a Session result, its Diagnosis trimmed to the caller's budget."""
    return Session(
        id=interview.id, pack=interview.pack, title=interview.header.title,
        now=iso_moment(interview.now), facts=interview.facts,
        answers=[SessionAnswer(seq=a.seq, fact=a.fact, value=a.value, unknown=a.unknown,
                               at=a.at.isoformat().replace("+00:00", "Z"), source=a.source)
                 for a in interview.answers],
        next_question=interview.next_question(), finished=interview.finished,
        fixed=interview.fixed_cause,
        diagnosis=budget(interview.diagnosis, max_questions=max_questions, include=include),
    )


class SessionTools:
    """The interview tools over one store and knowledge base.

    ``collectors``: the runner a step with ``collect=True`` fetches facts with (the door was
    started with --collect); without one such a step is refused.
    """

    def __init__(self, store: SessionStore, kb: KnowledgeBase | None = None,
                 source: EventSource = "bot", collectors: Collectors | None = None) -> None:
        self.store = store
        self.kb = kb if kb is not None else default_kb()
        self.source: EventSource = source
        self.collectors = collectors

    def resume(self, session: str, *, collect: bool = False) -> Interview:
        """The session as stored; with ``collect``, one that collects at its next step.

        Raises:
            SessionNotFound: no such session.
            RequestError: ``collect`` without collectors.
        """
        return Interview.resume(session, store=self.store, kb=self.kb,
                                collect=collect_argument(collect, self.collectors))

    def start_interview(
        self, *, pack: str | None = None, message: str | None = None,
        facts: Mapping[str, object] | None = None, now: datetime | str | None = None,
        max_questions: int | None = None, include: Collection[Include] | None = None,
        collect: bool = False,
    ) -> Session:
        """Start a session, from a pack or from the user's first message."""
        try:
            interview = Interview.start(store=self.store, pack=pack, message=message,
                                        facts=facts, now=now, kb=self.kb,
                                        collect=collect_argument(collect, self.collectors))
        except FactError as error:
            with_every_wrong_fact(error, self.kb, facts, pack)
            raise
        return session_of(interview, max_questions=max_questions, include=include)

    def answer(
        self, session: str, fact: str, value: object = None, *, unknown: bool = False,
        max_questions: int | None = None, include: Collection[Include] | None = None,
        collect: bool = False,
    ) -> Session:
        """Answer the question about ``fact``, or (``unknown=True``) skip it."""
        interview = self.resume(session, collect=collect)
        if unknown:
            if value is not None:
                raise RequestError([FieldProblem(
                    "value", "a skip (unknown: true) carries no value", expected="null")])
        elif value is None:
            raise RequestError([FieldProblem(
                "value", "an answer needs a value; send unknown: true to skip",
                expected="the answer, typed as next_question.type says")])
        try:
            if unknown:
                interview.skip(fact, source=self.source)
            else:
                interview.answer(fact, value, source=self.source)
        except FactError as error:
            # The call's fields are ``fact`` and ``value``, not ``facts.<id>``: a wrong type is
            # the value's fault, an id the pack lacks the fact's.
            shown = echo_id(fact)
            if error.field is None and error.fact == shown:
                error.field = "value" if error.expected else "fact"
            elif error.field is None and error.fact.startswith(f"{shown}["):
                error.field = f"value{error.fact.removeprefix(shown)}"  # value[0].amount
                error.also = tuple(  # the answer's other wrong records, named the same way
                    replace(p, field=f"value{p.field.removeprefix(f'facts.{shown}')}")
                    for p in error.also)
            raise
        return session_of(interview, max_questions=max_questions, include=include)

    def undo(self, session: str, *, max_questions: int | None = None,
             include: Collection[Include] | None = None, collect: bool = False) -> Session:
        """Take back the last answer or skip."""
        interview = self.resume(session, collect=collect)
        interview.undo(source=self.source)
        return session_of(interview, max_questions=max_questions, include=include)

    def outcome(self, session: str, fixed: bool, cause: str | None = None, *,
                max_questions: int | None = None, include: Collection[Include] | None = None,
                collect: bool = False) -> Session:
        """"Did this fix it?": yes closes the session, no rules the cause out and goes on."""
        interview = self.resume(session, collect=collect)
        try:
            if fixed:
                interview.fixed(cause, source=self.source)
            else:
                interview.not_fixed(cause, source=self.source)
        except FactError as error:  # a cause the pack does not have: the call's field
            error.field = error.field or "cause"
            raise
        return session_of(interview, max_questions=max_questions, include=include)

    def choose_pack(self, session: str, pack: str, *, max_questions: int | None = None,
                    include: Collection[Include] | None = None, collect: bool = False
                    ) -> Session:
        """Choose the session's pack (one of its pack_choices) and go on in it."""
        interview = self.resume(session, collect=collect)
        interview.choose_pack(pack, source=self.source)
        return session_of(interview, max_questions=max_questions, include=include)

    def get(self, session: str, *, max_questions: int | None = None,
            include: Collection[Include] | None = None) -> Session:
        """The session as it stands."""
        return session_of(self.resume(session), max_questions=max_questions, include=include)

    def report(self, session: str, format: Literal["markdown", "json"] = "markdown") -> str:
        """The ticket report of the session (what ``syncdoctor sessions export`` prints)."""
        from syncdoctor.report import session_report

        return session_report(self.resume(session), format)

    def explain(self, session: str, cause: str) -> CauseAccount:
        """HOW or WHY NOT for a cause, on the session's facts."""
        interview = self.resume(session)
        if interview.pack is None:
            raise RequestError([FieldProblem(
                "session", "the session has no pack yet: choose one first",
                expected="a session with a pack")])
        return account_for(
            self.kb.pack(interview.pack), interview.facts, cause, kb=self.kb, now=interview.now,
            unknown=interview.diagnosis.unknown, not_fixed=interview.not_fixed_causes)

    def call(self, name: str, arguments: Mapping[str, JsonValue]) -> BaseModel:
        """Call an interview tool (or explain with a session) by name, with JSON arguments.

        Raises:
            RequestError: wrong arguments. Whatever the step raises (FactError,
            SessionNotFound, InterviewError, ...).
        """
        if name == "start_interview":
            start = parse_arguments(StartInterviewRequest, arguments)
            assert isinstance(start, StartInterviewRequest)
            return self.start_interview(pack=start.pack, message=start.message,
                                        facts=start.facts, now=start.now,
                                        max_questions=start.max_questions, include=start.include,
                                        collect=start.collect)
        if name == "answer":
            given = parse_arguments(AnswerRequest, arguments)
            assert isinstance(given, AnswerRequest)
            return self.answer(given.session, given.fact, given.value, unknown=given.unknown,
                               max_questions=given.max_questions, include=given.include,
                               collect=given.collect)
        if name == "undo":
            undo = parse_arguments(UndoRequest, arguments)
            assert isinstance(undo, UndoRequest)
            return self.undo(undo.session, max_questions=undo.max_questions,
                             include=undo.include, collect=undo.collect)
        if name == "outcome":
            said = parse_arguments(OutcomeRequest, arguments)
            assert isinstance(said, OutcomeRequest)
            return self.outcome(said.session, said.fixed, said.cause,
                                max_questions=said.max_questions, include=said.include,
                                collect=said.collect)
        if name == "choose_pack":
            chosen = parse_arguments(ChoosePackRequest, arguments)
            assert isinstance(chosen, ChoosePackRequest)
            return self.choose_pack(chosen.session, chosen.pack,
                                    max_questions=chosen.max_questions, include=chosen.include,
                                    collect=chosen.collect)
        if name == "report":
            wanted = parse_arguments(ReportRequest, arguments)
            assert isinstance(wanted, ReportRequest)
            form = wanted.format or "markdown"
            return SessionReport(session=wanted.session, format=form,
                                 text=self.report(wanted.session, form))
        if name == "explain":
            request = parse_arguments(ExplainRequest, arguments)
            assert isinstance(request, ExplainRequest) and request.session is not None
            return self.explain(request.session, request.cause)
        raise RequestError([FieldProblem("name", f"no interview tool {name!r}")])


SESSION_TOOLS = ("start_interview", "choose_pack", "answer", "undo", "outcome", "report")
"""The tools that need a session store (explain needs one only when given a session)."""


def dispatch(
    name: str, arguments: Mapping[str, JsonValue], *, kb: KnowledgeBase | None = None,
    sessions: SessionTools | None = None, collectors: Collectors | None = None,
) -> BaseModel:
    """Call any tool by name: the interview's through ``sessions``, the rest statelessly.

    ``collectors``: what a stateless ``collect: true`` call fetches with (the sessions have
    their own).

    Raises:
        RequestError: an unknown tool, wrong arguments, or an interview tool without a store.
    """
    from syncdoctor.tools.contract import call_tool

    wants_session = name in SESSION_TOOLS or (
        name == "explain" and isinstance(arguments, Mapping) and arguments.get("session")
        is not None)
    if not wants_session:
        return call_tool(name, arguments, kb=kb, collectors=collectors)
    if sessions is None:
        raise RequestError([FieldProblem("name", f"{name!r} needs a session store",
                                         expected="a server started with a store")])
    return sessions.call(name, arguments)
