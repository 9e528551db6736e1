"""The interview's MCP tools: start_interview, choose_pack, answer, undo, outcome, explain.

Sessions live in the store ``--store`` names (else ``SYNCDOCTOR_STORE``, else the default file),
so a conversation survives the MCP connection, and the HTTP service can read the same sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated

from mcp.types import CallToolResult
from pydantic import BaseModel

from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.interview import open_store
from syncdoctor.mcp.server import Caller, result_of
from syncdoctor.tools.schemas import TOOLS, ToolSpec
from syncdoctor.tools.sessions import Session, SessionTools, dispatch
from syncdoctor.types import JsonValue

if TYPE_CHECKING:
    from syncdoctor.collectors.runner import Collectors

__all__ = ["interview_tools"]

INTERVIEW_TOOLS = ("start_interview", "choose_pack", "answer", "undo", "outcome")


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

    return {"start_interview": start_interview, "choose_pack": choose_pack, "answer": answer,
            "undo": undo, "outcome": outcome}


def interview_tools(
    kb: KnowledgeBase, store: str | None, collectors: Collectors | None = None,
) -> tuple[tuple[ToolSpec, ...], dict[str, Callable[..., CallToolResult]], Caller]:
    """The interview's tool specs, their functions, and the caller every tool goes through.

    ``collectors``: what ``collect: true`` calls fetch with; None refuses them.
    """
    sessions = SessionTools(open_store(store), kb, source="bot", collectors=collectors)

    def call(name: str, arguments: Mapping[str, JsonValue]) -> BaseModel:
        return dispatch(name, arguments, kb=kb, sessions=sessions, collectors=collectors)

    specs = tuple(t for t in TOOLS if t.name in INTERVIEW_TOOLS)
    return specs, _functions(call), call
