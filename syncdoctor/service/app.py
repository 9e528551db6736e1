"""The HTTP JSON API: FastAPI routes over the tools contract, errors as problem+json.

durable_rules serialises every engine call in a process, so each worker scales by processes
(``--workers N``). The session routes run on one engine thread of the worker's own
(:class:`Engine`, where the store lives): such a request waits for the engine at most
``deadline_seconds``, and a call whose deadline passed while it queued is not started. A plain
``POST /v1/diagnose`` runs on the event loop itself: handing it to the engine thread and back
cost more CPU than the diagnosis (bench/service.py), and the KB's own bounds (records, template
budgets) bound it; one that waited past its deadline before its turn is not started either.
The Guard answers a well-formed one itself (:class:`DiagnoseFastPath`), before FastAPI's
router (the same bytes, less CPU); the route below answers the rest and documents it in OpenAPI.
Shutdown joins the engine thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response

from syncdoctor._version import __version__
from syncdoctor.diagnosis.result import CauseAccount, Diagnosis
from syncdoctor.engine.knowledge import KnowledgeBase, default_kb, load_kb
from syncdoctor.errors import RequestError, SyncdoctorError
from syncdoctor.interview.errors import StoreError
from syncdoctor.service.accesslog import flush_access_log
from syncdoctor.service.config import ApiKeys, ServiceConfig
from syncdoctor.service.fastpath import DiagnoseFastPath
from syncdoctor.service.guard import Checkpoint, Guard, arrived_at, page_for
from syncdoctor.service.jsonbody import JsonBodyRoute, not_json_problem
from syncdoctor.service.problems import (
    Problem,
    error_problem,
    error_responses,
    http_problem,
    problem_response,
)
from syncdoctor.tools.catalogue import FactCatalogue, PackList
from syncdoctor.tools.contract import (
    collect_argument,
    describe_facts,
    diagnose_request,
    explain,
    list_packs,
)
from syncdoctor.tools.problems import field_problems
from syncdoctor.tools.requests import DiagnoseRequest, ExplainRequest
from syncdoctor.tools.schemas import FORMATS, SchemaFormat, tool_schemas
from syncdoctor.web.security import PAGE_HEADERS

if TYPE_CHECKING:
    from syncdoctor.collectors.runner import Collectors

store_logger = logging.getLogger("syncdoctor.service")

__all__ = ["Engine", "create_app"]

T = TypeVar("T")


class DeadlineExceeded(SyncdoctorError):
    """The engine did not answer within the request's deadline."""

    http_status = 503


class Engine:
    """One thread that runs every engine call of this worker, in order."""

    def __init__(self, kb: KnowledgeBase, deadline: float) -> None:
        self.kb = kb
        self.deadline = deadline
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="syncdoctor-engine")
        self._thread: threading.Thread | None = None
        self.on_close: list[Callable[[], None]] = []
        """Run on the engine thread at shutdown, after the calls in flight (closing a store)."""
        self.collectors: Collectors | None = None
        """The collectors' runner when the service collects (serve --collect)."""

    async def run(self, job: Callable[[], T]) -> T:
        """``job()`` on the engine thread, or DeadlineExceeded once the deadline has passed."""
        until = time.monotonic() + self.deadline

        def guarded() -> T:
            self._thread = threading.current_thread()
            if time.monotonic() > until:
                raise DeadlineExceeded("the request waited too long for the engine")
            return job()

        future = asyncio.wrap_future(self._pool.submit(guarded))
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.deadline)
        except TimeoutError:
            future.add_done_callback(_late)  # its outcome, when it comes, is no one's now
            raise DeadlineExceeded(
                f"the engine did not answer within {self.deadline:g} s") from None

    def run_here(self, job: Callable[[], T], arrived: float) -> T:
        """``job()`` on the calling thread (the event loop), unless its request waited too long.

        ``arrived``: when the request came in (``time.monotonic()``, see ``arrived_at``).

        Raises:
            DeadlineExceeded: the request has already waited past the deadline.
        """
        if time.monotonic() - arrived > self.deadline:
            raise DeadlineExceeded("the request waited too long for the engine")
        return job()

    @property
    def alive(self) -> bool:
        """Whether the engine thread is running (it starts with the first call)."""
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        """Finish the calls already started, run ``on_close``, and join the thread."""
        for action in self.on_close:
            self._pool.submit(action)
        self._pool.shutdown(wait=True, cancel_futures=False)


def _late(future: asyncio.Future[Any]) -> None:
    """A call that ended after its request gave up: one log line, never a traceback."""
    if future.cancelled():
        return
    error = future.exception()  # retrieved, so asyncio does not report it as lost
    if error is not None:
        logging.getLogger("syncdoctor.service").warning(
            "a call that ran past the deadline then failed: %s", type(error).__name__)


def _json(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


def _request_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def _body_problem(request: Request, error: RequestValidationError) -> Response:
    problems = field_problems(error.errors())
    unread = not_json_problem(request.headers.get("content-type"),
                              any(p.field == "body" for p in problems))
    return _our_problem(request, RequestError([unread] if unread else problems))


def _our_problem(request: Request, error: SyncdoctorError) -> Response:
    problem = error_problem(error, request.url.path)
    problem.request_id = _request_id(request)
    if isinstance(error, StoreError) and error.http_status >= 500:
        # The client reads what failed, not where (StoreError.to_client_dict): the operator
        # reads the store and the hint here. A store's message holds no fact value.
        store_logger.error(json.dumps({"event": "store_failed", "request_id": problem.request_id,
                                       "error": type(error).__name__, "message": str(error)}))
    return problem_response(problem)


def _http_problem(request: Request, error: StarletteHTTPException) -> Response:
    detail = error.detail if isinstance(error.detail, str) else "error"
    if error.status_code == 404:
        detail = f"no route {request.url.path}"
    elif error.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    headers = dict(error.headers or {})
    problem = http_problem(error.status_code, detail, request.url.path,
                           request_id=_request_id(request))
    checkpoint = getattr(request.app.state, "checkpoint", None)
    page = None if checkpoint is None else page_for(checkpoint, request.headers, problem)
    if page is not None:  # a browser's visit: a page, not the API's problem+json
        return HTMLResponse(page, status_code=problem.status,
                            headers={**PAGE_HEADERS, **headers})
    return problem_response(problem, headers=headers or None)


ERRORS = (400, 401, 403, 404, 405, 409, 413, 421, 422, 500, 503)
"""Every error status a route can answer: all declared in the OpenAPI document."""


def create_app(
    config: ServiceConfig | None = None,
    *,
    kb: KnowledgeBase | None = None,
    keys: ApiKeys | None = None,
    extend: Callable[[FastAPI, Engine], None] | None = None,
) -> FastAPI:
    """The service as an ASGI app; ``extend`` adds routes (the interview's) before it starts."""
    settings = config or ServiceConfig()
    knowledge = kb or (load_kb(list(settings.kb)) if settings.kb else default_kb())
    engine = Engine(knowledge, settings.deadline_seconds)
    api_keys = keys or ApiKeys.from_env()
    if settings.collect:
        from syncdoctor.collectors.runner import Collectors

        engine.collectors = Collectors()  # one per worker: each source's limit holds across
        engine.on_close.append(engine.collectors.close)  # requests, connections are reused

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.close()
            # uvicorn ends a worker stopped by a signal by raising that signal again, once the
            # server has shut down: no atexit hook runs, so held log lines are written here.
            flush_access_log()

    app = FastAPI(
        title="syncdoctor", version=__version__, lifespan=lifespan, docs_url=None,
        redoc_url=None, openapi_url="/openapi.json", responses=error_responses(*ERRORS),
        description="Diagnose data that differs or fails to sync between business "
        "applications and hubs. Errors are RFC 9457 application/problem+json.",
        # FastAPI's native OpenTelemetry is off: it asked the environment for its providers on
        # every request (a tenth of the service's own cost a request, bench/service.py), and
        # its exception events would carry exception messages, which may hold fact values.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.router.route_class = JsonBodyRoute  # every route after this line reads bodies so
    app.state.engine = engine
    app.state.api_keys = api_keys  # the web page signs browsers in with the same keys
    app.add_exception_handler(RequestValidationError, _body_problem)  # type: ignore[arg-type]
    app.add_exception_handler(SyncdoctorError, _our_problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_problem)  # type: ignore[arg-type]
    checkpoint = Checkpoint(settings, api_keys, fast=DiagnoseFastPath(engine))
    app.state.checkpoint = checkpoint  # the protocol's direct door (service.protocol)
    app.add_middleware(Guard, checkpoint=checkpoint)
    _stateless_routes(app, engine)
    if extend is not None:
        extend(app, engine)
    _declare_problem(app)
    return app


def _stateless_routes(app: FastAPI, engine: Engine) -> None:
    kb = engine.kb

    @app.post("/v1/diagnose", tags=["diagnose"], summary="Diagnose one case",
              response_model=None, responses={200: {"model": Diagnosis}})
    async def post_diagnose(body: DiagnoseRequest, request: Request) -> Response:
        collect = collect_argument(body.collect, engine.collectors)

        def job() -> Diagnosis:
            return diagnose_request(body, kb, collect)

        if collect is False:
            result = engine.run_here(job, arrived_at(request))
        else:
            # Off the engine thread: the requests must not hold up other diagnoses. The
            # collectors' own deadlines and retries bound it, not --deadline.
            result = await asyncio.to_thread(job)
        return _json(result)

    @app.post("/v1/explain", tags=["diagnose"], summary="HOW, or WHY NOT, for one cause",
              response_model=None, responses={200: {"model": CauseAccount}})
    async def post_explain(body: ExplainRequest) -> Response:
        if body.session is not None:
            raise RequestError(field_problems([{
                "loc": ("session",), "msg": "use GET /v1/sessions/{id} facts; not here"}]))
        return _json(await engine.run(lambda: explain(
            body.cause, body.facts, pack=body.pack, now=body.now, kb=kb)))

    @app.get("/v1/packs", tags=["knowledge"], summary="The packs", response_model=None,
             responses={200: {"model": PackList}})
    async def get_packs() -> Response:
        return _json(list_packs(kb=kb))

    @app.get("/v1/packs/{pack}/facts", tags=["knowledge"], summary="A pack's fact catalogue",
             response_model=None, responses={200: {"model": FactCatalogue}})
    async def get_facts(pack: str) -> Response:
        return _json(describe_facts(pack, kb=kb))

    tool_bodies: dict[tuple[str, str | None], str] = {}

    @app.get("/v1/tools", tags=["knowledge"], summary="Tool schemas for language models",
             response_model=None)
    async def get_tools(
        format: Annotated[SchemaFormat, Query(description=f"One of {', '.join(FORMATS)}.")]
        = "json-schema",
        pack: Annotated[str | None, Query(description="Narrow the facts to one pack.")] = None,
    ) -> Response:
        key = (format, pack)
        body = tool_bodies.get(key)
        if body is None:
            import json

            # Building them is tens of milliseconds on the event loop; the KB is fixed for the
            # app's life, so each (format, pack) is built once. A bad pack raises, not cached.
            body = json.dumps(tool_schemas(kb, format, pack=pack), sort_keys=False)
            tool_bodies[key] = body
        return Response(body, media_type="application/json")

    @app.get("/v1/health", tags=["service"], summary="Whether the service is up",
             response_model=None)
    async def get_health() -> Response:
        import json

        return Response(json.dumps({"status": "ok", "version": __version__,
                                    "kb_version": kb.version, "worker": os.getpid()}),
                        media_type="application/json")


def _declare_problem(app: FastAPI) -> None:
    """Put the Problem schema into the OpenAPI components the error responses refer to."""
    build = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in problem.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components["Problem"] = problem
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
