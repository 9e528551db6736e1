"""The page's routes: start, interview, result, sign-in, and the static files.

Every step goes through :class:`syncdoctor.Interview` on the service's engine thread (``run``),
over the same store as ``/v1/sessions``: a session started in the browser can be resumed over
HTTP, MCP or in the terminal, and the other way round. Posts answer 303 to the page to show, so
that a page works without JavaScript (full page loads) and a reload never posts twice; htmx only
fills in HOW / WHY NOT and what a datetime phrase means.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar
from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.errors import FactError, SyncdoctorError
from syncdoctor.interview import Interview, SessionNotFound, SessionStore
from syncdoctor.interview.errors import StoreError
from syncdoctor.interview.events import is_session_id
from syncdoctor.report import session_report
from syncdoctor.web.forms import Form, answer_value
from syncdoctor.web.pages import Pages
from syncdoctor.web.posts import Refused, read_post
from syncdoctor.web.security import KeyRing
from syncdoctor.web.signin import sign_in_routes
from syncdoctor.web.static import static_response
from syncdoctor.web.views import SessionPage, session_page, start_page

__all__ = ["Runner", "web_router"]

T = TypeVar("T")

page_logger = logging.getLogger("syncdoctor.web")


class Runner(Protocol):
    """Runs a job on the engine thread (the service's ``Engine.run``)."""

    def __call__(self, job: Callable[[], T]) -> Awaitable[T]:
        """``job()``'s result, computed on the engine thread."""
        ...


def said(error: SyncdoctorError) -> str:
    """An error in the page's words: a fact's problem without the fact id in front.

    As a client reads it (``to_client_dict``): a store's path and a failed store's own words
    are for the server's log, where a failed store is written.
    """
    text = str(error.to_client_dict()["message"])
    if isinstance(error, StoreError) and error.http_status >= 500:
        page_logger.error("%s", error)  # a store's message holds no fact value
    if isinstance(error, FactError):
        # A record's field (txn[1].hub) is said as the table shows it: row 2, hub.
        text = _RECORD_FIELD.sub(lambda m: f"row {int(m.group(1)) + 1}, {m.group(2)}: ", text)
        text = text.removeprefix(f"fact {error.fact!r}: ")
    return text[:1].upper() + text[1:]


_RECORD_FIELD = re.compile(r"fact '[^'\[]+\[(\d+)\]\.([^']+)': ")


MOVED_ON = ("The session had moved on meanwhile (in another tab, or someone else on it), so "
            "your answer was not kept. This is where the session stands now.")


def ruled_out_notice(title: str) -> str:
    """What the page says once after "No, still broken"."""
    return (f"Ruled out: {title}, since its remediation did not fix the problem. The causes "
            "and questions below are what is left.")


def web_router(*, store: SessionStore, kb: KnowledgeBase, run: Runner, keys: KeyRing
               ) -> APIRouter:
    """The page's routes over ``store``, for the service to include at ``/``."""
    router = APIRouter(include_in_schema=False)
    pages = Pages(keys)

    async def posted(request: Request) -> Form:
        return await read_post(request, pages)

    async def guarded(request: Request, action: Callable[[], Awaitable[Response]]) -> Response:
        """Run a route; a refusal or a SyncdoctorError becomes a page that says so."""
        try:
            return await action()
        except Refused as refusal:
            return pages.problem(request, refusal.heading, refusal.message, refusal.status)
        except SessionNotFound:
            return pages.problem(request, "No such session",
                                 "This session is not in the store (it may have been deleted).",
                                 404)
        except SyncdoctorError as error:
            return pages.problem(request, "That did not work", said(error), error.http_status)

    def resume(session_id: str) -> Interview:
        if not is_session_id(session_id):
            raise SessionNotFound(session_id[:40])
        return Interview.resume(session_id, store=store, kb=kb)

    def show(request: Request, page: SessionPage, *, status: int = 200, error: str | None = None,
             result: bool = False, **extra: object) -> Response:
        context = {"page": page, "error": error, **extra}
        if page.pack is None:
            return pages.render(request, "choose.html", context, status)
        if result or page.question is None:
            resume_url = str(request.base_url).rstrip("/") + f"/s/{page.id}"
            return pages.render(request, "result.html", {
                **context, "resume_url": resume_url, "result_view": True,
                "fixed": page.fixed}, status)
        return pages.render(request, "question.html", context, status)

    def _notice(request: Request, pack: str | None) -> str | None:
        """The one-time notice the address asks for (?moved=1, ?ruled=cause), if any."""
        if request.query_params.get("moved") == "1":
            return MOVED_ON
        ruled = request.query_params.get("ruled")
        causes = kb.packs[pack].playbook.causes if pack is not None and pack in kb.packs else {}
        return ruled_out_notice(causes[ruled].title) if ruled in causes else None

    @router.get("/")
    async def start(request: Request) -> Response:
        if not pages.signed_in(request):
            return pages.to_sign_in(request)
        page = await run(lambda: start_page(kb, store))
        return pages.render(request, "start.html", {"page": page, "message": ""})

    @router.post("/start")
    async def post_start(request: Request) -> Response:
        async def action() -> Response:
            form = await posted(request)
            message = form.get("message") or ""
            pack = form.text("pack") or None
            if not message.strip() and pack is None:
                page = await run(lambda: start_page(kb, store))
                return pages.render(request, "start.html", {
                    "page": page, "message": message,
                    "error": "Paste an error message, or choose the integration."}, 422)
            try:
                interview = await run(lambda: Interview.start(  # titled by the message's line
                    store=store, pack=pack, message=message if message.strip() else None, kb=kb))
            except SyncdoctorError as error:
                page = await run(lambda: start_page(kb, store))
                return pages.render(request, "start.html", {
                    "page": page, "message": message, "error": said(error)},
                    error.http_status)
            return pages.redirect(f"/s/{interview.id}")
        return await guarded(request, action)

    @router.get("/s/{session_id}")
    async def session(request: Request, session_id: str) -> Response:
        return await view(request, session_id, result=False)

    @router.get("/s/{session_id}/result")
    async def result(request: Request, session_id: str) -> Response:
        return await view(request, session_id, result=True)

    async def view(request: Request, session_id: str, *, result: bool) -> Response:
        if not pages.signed_in(request):
            return pages.to_sign_in(request)

        async def action() -> Response:
            explain = request.query_params.get("explain")
            page = await run(lambda: session_page(resume(session_id), explain=explain,
                                                  result=result))
            return show(request, page, result=result,
                        why_open=request.query_params.get("why") == "1",
                        notice=_notice(request, page.pack))
        return await guarded(request, action)

    @router.post("/s/{session_id}/answer")
    async def post_answer(request: Request, session_id: str) -> Response:
        async def action() -> Response:
            form = await posted(request)
            verb = form.text("action") or "answer"
            fact = form.text("fact")

            def step() -> SessionPage | str:
                interview = resume(session_id)
                question = interview.next_question()
                if question is None or question.fact != fact:
                    # Answered elsewhere meanwhile (another tab, a colleague): show what is next,
                    # saying that this answer was not kept.
                    return f"/s/{session_id}?moved=1"
                if verb == "skip":
                    interview.skip(fact, source="agent")
                    return f"/s/{session_id}"
                if verb == "rows":
                    return session_page(interview, form=form, extra_rows=3)
                value = answer_value(question, form)
                if verb == "check":
                    parsed = interview.check(fact, value)
                    return session_page(interview, form=form,
                                        understood=understood_text(parsed.understood,
                                                                   parsed.json))
                interview.answer(fact, value, source="agent")
                return f"/s/{session_id}"

            try:
                outcome = await run(step)
            except FactError as error:
                page = await run(lambda: session_page(resume(session_id), form=form))
                return show(request, page, status=422, error=said(error))
            if isinstance(outcome, str):
                return pages.redirect(outcome)
            return show(request, outcome)
        return await guarded(request, action)

    @router.post("/s/{session_id}/back")
    async def post_back(request: Request, session_id: str) -> Response:
        async def action() -> Response:
            await posted(request)

            def step() -> None:
                interview = resume(session_id)
                if interview.answers:
                    interview.undo(source="agent")
            await run(step)
            return pages.redirect(f"/s/{session_id}")
        return await guarded(request, action)

    @router.post("/s/{session_id}/pack")
    async def post_pack(request: Request, session_id: str) -> Response:
        async def action() -> Response:
            form = await posted(request)
            pack = form.text("pack")
            await run(lambda: resume(session_id).choose_pack(pack, source="agent"))
            return pages.redirect(f"/s/{session_id}")
        return await guarded(request, action)

    @router.post("/s/{session_id}/outcome")
    async def post_outcome(request: Request, session_id: str) -> Response:
        async def action() -> Response:
            form = await posted(request)
            cause = form.text("cause")
            fixed = form.text("fixed")
            if fixed not in ("yes", "no"):  # anything else would be kept as "did not fix it"
                raise FactError("fixed", "say whether the remediation fixed it: yes or no",
                                expected="yes or no")
            def step() -> str:
                interview = resume(session_id)
                if cause not in interview.diagnosis.cause_ids:
                    return f"/s/{session_id}/result?moved=1"  # changed meanwhile: not kept
                if fixed == "yes":  # kept: the session is closed, its report says so
                    interview.fixed(cause, source="agent")
                    return f"/s/{session_id}/result#report-heading"
                interview.not_fixed(cause, source="agent")
                return f"/s/{session_id}?ruled={quote(cause, safe='')}"  # says so, once

            return pages.redirect(await run(step))
        return await guarded(request, action)

    @router.get("/s/{session_id}/explain/{cause}")
    async def explain(request: Request, session_id: str, cause: str) -> Response:
        if not pages.signed_in(request):
            return pages.fragment("_fragment_problem.html", {"error": "Sign in first."}, 401)
        from syncdoctor.web.views import explain_cause

        try:
            account = await run(lambda: explain_cause(resume(session_id), cause))
        except SyncdoctorError as error:
            return pages.fragment("_fragment_problem.html", {"error": said(error)},
                                  error.http_status)
        return pages.fragment("_account.html", {"account": account})

    @router.get("/s/{session_id}/understood/{fact}")
    async def understood(request: Request, session_id: str, fact: str) -> Response:
        if not pages.signed_in(request):
            return pages.fragment("_fragment_problem.html", {"error": "Sign in first."}, 401)
        value = request.query_params.get("value", "").strip()
        if not value:
            return pages.fragment("_understood.html", {"understood": None, "problem": None})
        try:
            parsed = await run(lambda: resume(session_id).check(fact, value))
        except SyncdoctorError as error:
            return pages.fragment("_understood.html", {"understood": None,
                                                       "problem": said(error)})
        return pages.fragment("_understood.html", {
            "understood": understood_text(parsed.understood, parsed.json), "problem": None})

    @router.get("/s/{session_id}/report.md")
    async def report(request: Request, session_id: str) -> Response:
        if not pages.signed_in(request):
            return pages.to_sign_in(request)

        async def action() -> Response:
            text = await run(lambda: session_report(resume(session_id)))
            return Response(text, media_type="text/markdown; charset=utf-8",
                            headers={"cache-control": "no-store",
                                     "x-content-type-options": "nosniff"})
        return await guarded(request, action)

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        return static_response(name)

    sign_in_routes(router, pages, guarded=guarded)
    return router


def understood_text(understood: str | None, value: object) -> str:
    """How a datetime answer was read: the phrase's reading, or the moment itself."""
    text = understood or f"understood as {value}"
    return text[:1].upper() + text[1:]
