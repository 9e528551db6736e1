"""Collecting interview sessions through the doors a bot uses: the tools, HTTP and MCP."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from mcp import Client
from pytest_httpserver import HTTPServer
from servers import uvicorn_thread

from syncdoctor import MemoryStore
from syncdoctor.errors import RequestError
from syncdoctor.mcp.server import build_server
from syncdoctor.mcp.sessions import interview_tools
from syncdoctor.service.app import create_app
from syncdoctor.service.config import ApiKeys, ServiceConfig
from syncdoctor.service.sessions import session_routes
from syncdoctor.tools.sessions import SessionTools

from support import CANARY_TOKEN as TOKEN
from support import NOW

STATUS = "/groups/cld-42/sync"
FAILED = {"status": "ERROR", "error": {"message": f"HTTP 503 for Bearer {TOKEN}"},
          "last_success_at": "2024-05-01T08:00:00Z"}
COLLECTED = {"sync.status", "sync.error", "sync.last_at", "api.key"}


def _answer_hub(hub: HTTPServer) -> None:
    hub.expect_request(STATUS).respond_with_json(FAILED)
    hub.expect_request("/groups/cld-42/key").respond_with_json({"api key": "k-123"})
    hub.expect_request("/groups/cld-42/link").respond_with_json({"linked": True})


def _by_collector(session: dict[str, object]) -> set[str]:
    answers = session["answers"]
    assert isinstance(answers, list)
    return {a["fact"] for a in answers if a["source"] == "collector"}


def test_session_tools_collect_at_the_step_that_asks_and_refuse_without_a_runner(
        hub_kb, hub, runner) -> None:
    _answer_hub(hub)
    tools = SessionTools(MemoryStore(), hub_kb, collectors=runner)
    started = tools.start_interview(pack="hub", now=NOW)
    assert started.next_question is not None and started.next_question.fact == "sync.status"
    assert hub.log == []  # this step did not ask to collect: nothing fetched
    answered = tools.answer(started.id, "group.id", "cld-42", collect=True)
    assert _by_collector(answered.model_dump()) >= COLLECTED
    assert answered.diagnosis.cause_ids == ["api"]
    assert TOKEN not in answered.model_dump_json()
    with pytest.raises(RequestError) as refused:
        SessionTools(MemoryStore(), hub_kb).start_interview(pack="hub", now=NOW, collect=True)
    assert refused.value.problems[0].field == "collect"


def test_http_sessions_collect_on_a_server_started_to(hub_kb, hub, monkeypatch) -> None:
    _answer_hub(hub)
    monkeypatch.setenv("TEST_HUB_URL", hub.url_for("/"))
    monkeypatch.setenv("TEST_HUB_TOKEN", TOKEN)
    body = {"pack": "hub", "now": NOW, "facts": {"group.id": "cld-42"}, "collect": True}
    off_config = ServiceConfig(store="memory:")
    off = create_app(off_config, kb=hub_kb, keys=ApiKeys([]), extend=session_routes(off_config))
    with uvicorn_thread(off) as base:
        refused = httpx.post(f"{base}/v1/sessions", json=body, timeout=30)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "collect"
    assert hub.log == []
    on_config = ServiceConfig(store="memory:", collect=True)
    on = create_app(on_config, kb=hub_kb, keys=ApiKeys([]), extend=session_routes(on_config))
    with uvicorn_thread(on) as base:
        started = httpx.post(f"{base}/v1/sessions", json=body, timeout=30)
        assert started.status_code == 201, started.text
        session = started.json()
        read = httpx.get(f"{base}/v1/sessions/{session['id']}", timeout=30).json()
    assert _by_collector(session) >= COLLECTED and _by_collector(read) >= COLLECTED
    assert session["diagnosis"]["causes"][0]["id"] == "api"
    assert TOKEN not in started.text and TOKEN not in json.dumps(read)


def test_mcp_diagnose_and_interview_collect_through_the_sdk_client(hub_kb, hub, runner) -> None:
    _answer_hub(hub)
    extra, functions, call = interview_tools(hub_kb, "memory:", runner)
    server = build_server(hub_kb, extra=extra, extra_functions=functions, call=call)

    async def run() -> tuple[dict, dict]:
        async with Client(server) as client:
            facts = {"group.id": "cld-42", "app.linked": True}
            diagnosed = await client.call_tool("diagnose", {
                "pack": "hub", "now": NOW, "facts": facts, "collect": True})
            started = await client.call_tool("start_interview", {
                "pack": "hub", "now": NOW, "facts": facts, "collect": True})
            assert not diagnosed.is_error and not started.is_error, started.content
            return diagnosed.structured_content, started.structured_content

    diagnosis, session = asyncio.run(run())
    assert diagnosis["collected"]["sync.status"]["value"] == "failed"
    assert _by_collector(session) >= COLLECTED
    assert TOKEN not in json.dumps(diagnosis) and TOKEN not in json.dumps(session)
