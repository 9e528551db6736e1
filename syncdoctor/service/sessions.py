"""The interview's routes: /v1/sessions (start, read, pack, answer or skip, undo, outcome, report).

Each worker opens the store the configuration names (``--store URL``, else ``SYNCDOCTOR_STORE``,
else the default SQLite file) and uses it from its engine thread only. Every step is committed to
the store before it is answered, so any worker can take the next request of a session.

On a server started with ``--collect``, a start or an answer with ``collect: true`` lets the
pack's collectors fetch what the next questions need before they are asked. Such a step runs on
the engine thread too (the store lives there), so the collectors' deadlines count against the
request's ``--deadline``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Annotated

from fastapi import FastAPI, Query
from starlette.responses import Response

from syncdoctor.interview import open_store
from syncdoctor.service.app import Engine
from syncdoctor.service.config import ServiceConfig
from syncdoctor.tools.requests import (
    AnswerBody,
    ChoosePackBody,
    OutcomeBody,
    StartInterviewRequest,
    UndoRequest,
)
from syncdoctor.tools.sessions import Session, SessionTools

__all__ = ["session_routes"]


class ReportFormat(enum.StrEnum):
    """How the report is rendered."""

    markdown = "markdown"
    json = "json"


def _json(session: Session, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(session.model_dump_json(), status_code=status, media_type="application/json",
                    headers=headers)


def session_routes(config: ServiceConfig) -> Callable[[FastAPI, Engine], None]:
    """What adds the session routes to an app, over the configured store."""

    def extend(app: FastAPI, engine: Engine) -> None:
        # A write waits for another process's at most half the deadline: a locked store is
        # then a 503 that says so, not the engine's deadline passing.
        store = open_store(config.store, wait=config.deadline_seconds / 2)
        engine.on_close.append(store.close)
        app.state.session_store = store  # the web page (service.browser) shares it
        tools = SessionTools(store, engine.kb, source="bot", collectors=engine.collectors)
        ok: dict[int | str, dict[str, object]] = {200: {"model": Session}}

        @app.post("/v1/sessions", tags=["sessions"], summary="Start an interview",
                  status_code=201, response_model=None, responses={201: {"model": Session}})
        async def post_session(body: StartInterviewRequest) -> Response:
            session = await engine.run(lambda: tools.start_interview(
                pack=body.pack, message=body.message, facts=body.facts, now=body.now,
                max_questions=body.max_questions, include=body.include, collect=body.collect))
            return _json(session, 201, {"location": f"/v1/sessions/{session.id}"})

        @app.get("/v1/sessions/{session_id}", tags=["sessions"], summary="Read a session",
                 response_model=None, responses=ok)
        async def get_session(session_id: str) -> Response:
            return _json(await engine.run(lambda: tools.get(session_id)))

        @app.post("/v1/sessions/{session_id}/answers", tags=["sessions"],
                  summary="Answer the question, or skip it with unknown: true",
                  response_model=None, responses=ok)
        async def post_answer(session_id: str, body: AnswerBody) -> Response:
            return _json(await engine.run(lambda: tools.answer(
                session_id, body.fact, body.value, unknown=body.unknown,
                max_questions=body.max_questions, include=body.include, collect=body.collect)))

        @app.delete("/v1/sessions/{session_id}/answers/last", tags=["sessions"],
                    summary="Undo the last answer or skip", response_model=None, responses=ok)
        async def delete_last_answer(session_id: str) -> Response:
            options = UndoRequest(session=session_id)
            return _json(await engine.run(lambda: tools.undo(
                options.session, max_questions=options.max_questions, include=options.include)))

        @app.post("/v1/sessions/{session_id}/pack", tags=["sessions"],
                  summary="Choose the pack of a session that has none yet",
                  response_model=None, responses=ok)
        async def post_pack(session_id: str, body: ChoosePackBody) -> Response:
            return _json(await engine.run(lambda: tools.choose_pack(
                session_id, body.pack, max_questions=body.max_questions,
                include=body.include, collect=body.collect)))

        @app.post("/v1/sessions/{session_id}/outcome", tags=["sessions"],
                  summary="Say whether a cause's remediation fixed the problem",
                  response_model=None, responses=ok)
        async def post_outcome(session_id: str, body: OutcomeBody) -> Response:
            return _json(await engine.run(lambda: tools.outcome(
                session_id, body.fixed, body.cause, max_questions=body.max_questions,
                include=body.include, collect=body.collect)))

        @app.get("/v1/sessions/{session_id}/report", tags=["sessions"],
                 summary="The ticket report, as Markdown or JSON", response_model=None,
                 responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}},
                                              "application/json": {"schema": {
                                                  "type": "object"}}}}})
        async def get_report(
            session_id: str,
            format: Annotated[ReportFormat, Query(description="markdown or json.")]
            = ReportFormat.markdown,
        ) -> Response:
            text = await engine.run(lambda: tools.report(session_id, format.value))
            if format is ReportFormat.json:
                return Response(text, media_type="application/json")
            return Response(text, media_type="text/markdown; charset=utf-8")

    return extend
