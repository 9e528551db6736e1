"""The interview's MCP tools, and each session's report as a resource.

The tools: start_interview, choose_pack, answer, undo, outcome, report (explain with a session
goes through the same caller).

Sessions live in the store ``--store`` names (else ``SYNCDOCTOR_STORE``, else the default file),
so a conversation survives the MCP connection, and the HTTP service can read the same sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.types import CallToolResult
from pydantic import BaseModel

from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.errors import SyncdoctorError
from syncdoctor.interview import open_store
from syncdoctor.interview.errors import SessionNotFound
from syncdoctor.mcp.server import Caller, result_of
from syncdoctor.tools.problems import problem_of
from syncdoctor.tools.schemas import TOOLS, ToolSpec
from syncdoctor.tools.sessions import (
    SESSION_TOOLS,
    Session,
    SessionReport,
    SessionTools,
    dispatch,
)
from syncdoctor.types import JsonValue

if TYPE_CHECKING:
    from syncdoctor.collectors.runner import Collectors

__all__ = ["add_report_resource", "interview_tools"]

REPORT_URI = "syncdoctor://sessions/{session_id}/report"


def _functions(call: Caller) -> dict[str, Callable[..., CallToolResult]]:
    # Parameters are JSON values at a JSON boundary: the contract's models type them.

    def start_interview(
        pack: JsonValue = None, message: JsonValue = None, facts: JsonValue = None,
        now: JsonValue = None, max_questions: JsonValue = None, include: JsonValue = None,
        collect: JsonValue = None,
    ) -> Annotated[CallToolResult, Session]:
        args = {k: v for k, v in {"pack": pack, "message": message, "facts": facts, "now": now,
                                  "max_questions": max_questions, "include": include,
                                  "collect": collect}.items()
                if v is not None}
        return result_of(lambda: call("start_interview", args))

    def answer(
        session: JsonValue = None, fact: JsonValue = None, value: JsonValue = None,
        unknown: JsonValue = None, max_questions: JsonValue = None, include: JsonValue = None,
        collect: JsonValue = None,
    ) -> Annotated[CallToolResult, Session]:
        args = {k: v for k, v in {"session": session, "fact": fact, "value": value,
                                  "unknown": unknown, "max_questions": max_questions,
                                  "include": include, "collect": collect}.items()
                if v is not None}
        return result_of(lambda: call("answer", args))

    def undo(
        session: JsonValue = None, max_questions: JsonValue = None, include: JsonValue = None,
        collect: JsonValue = None,
    ) -> Annotated[CallToolResult, Session]:
        args = {k: v for k, v in {"session": session, "max_questions": max_questions,
                                  "include": include, "collect": collect}.items()
                if v is not None}
        return result_of(lambda: call("undo", args))

    def outcome(
        session: JsonValue = None, fixed: JsonValue = None, cause: JsonValue = None,
        max_questions: JsonValue = None, include: JsonValue = None, collect: JsonValue = None,
    ) -> Annotated[CallToolResult, Session]:
        args = {k: v for k, v in {"session": session, "fixed": fixed, "cause": cause,
                                  "max_questions": max_questions, "include": include,
                                  "collect": collect}.items()
                if v is not None}
        return result_of(lambda: call("outcome", args))

    def choose_pack(
        session: JsonValue = None, pack: JsonValue = None, max_questions: JsonValue = None,
        include: JsonValue = None, collect: JsonValue = None,
    ) -> Annotated[CallToolResult, Session]:
        args = {k: v for k, v in {"session": session, "pack": pack,
                                  "max_questions": max_questions, "include": include,
                                  "collect": collect}.items()
                if v is not None}
        return result_of(lambda: call("choose_pack", args))

    def report(session: JsonValue = None, format: JsonValue = None
               ) -> Annotated[CallToolResult, SessionReport]:
        args = {k: v for k, v in {"session": session, "format": format}.items()
                if v is not None}
        return result_of(lambda: call("report", args))

    return {"start_interview": start_interview, "choose_pack": choose_pack, "answer": answer,
            "undo": undo, "outcome": outcome, "report": report}


def interview_tools(
    kb: KnowledgeBase, store: str | None, collectors: Collectors | None = None,
) -> tuple[tuple[ToolSpec, ...], dict[str, Callable[..., CallToolResult]], Caller]:
    """The interview's tool specs, their functions, and the caller every tool goes through.

    ``collectors``: what ``collect: true`` calls fetch with; None refuses them.
    """
    sessions = SessionTools(open_store(store), kb, source="bot", collectors=collectors)

    def call(name: str, arguments: Mapping[str, JsonValue]) -> BaseModel:
        return dispatch(name, arguments, kb=kb, sessions=sessions, collectors=collectors)

    specs = tuple(t for t in TOOLS if t.name in SESSION_TOOLS)
    return specs, _functions(call), call


def add_report_resource(server: MCPServer[object], call: Caller) -> None:
    """The session's report as a resource (Markdown), for a client that attaches resources.

    An unknown session is "not found" (-32602), any other refusal a resource error carrying
    the problem's one-line message: never a traceback, never the store's address.
    """

    @server.resource(REPORT_URI, name="session report", mime_type="text/markdown",
                     description="The ticket report of an interview session, in Markdown "
                     "(the report tool's text).")
    def session_report(session_id: str) -> str:
        try:
            result = call("report", {"session": session_id})
        except SessionNotFound as error:
            raise ResourceNotFoundError(problem_of(error).message) from None
        except SyncdoctorError as error:
            raise ResourceError(problem_of(error).message) from None
        assert isinstance(result, SessionReport)
        return result.text
