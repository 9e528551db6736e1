"""Collectors in the interview, the CLI and the service: fetched, stored redacted, replayed."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from pytest_httpserver import HTTPServer
from servers import uvicorn_thread
from typer.testing import CliRunner

from syncdoctor import Interview, MemoryStore, SqliteStore
from syncdoctor.cli import app
from syncdoctor.report import render_ticket
from syncdoctor.report.ticket import ticket_from_interview
from syncdoctor.service.app import create_app
from syncdoctor.service.config import ApiKeys, ServiceConfig

from support import CANARY_TOKEN as TOKEN
from support import FIXTURES, NOW

STATUS = "/groups/cld-42/sync"
ECHOED = {"status": "ERROR", "error": {"message": f"HTTP 503 for Bearer {TOKEN}"},
          "last_success_at": "2024-05-01T08:00:00Z"}


def _paths(server: HTTPServer) -> list[str]:
    return [request.path for request, _ in server.log]


def test_the_interview_commits_what_collectors_fetch_before_asking(hub_kb, hub, runner,
                                                                   tmp_path: Path) -> None:
    hub.expect_request(STATUS).respond_with_json(ECHOED)
    hub.expect_request("/groups/cld-42/key").respond_with_json({"api key": TOKEN})
    path = tmp_path / "sessions.db"
    with SqliteStore(path) as store:
        iv = Interview.start(store=store, kb=hub_kb, pack="hub", now=NOW,
                             facts={"group.id": "cld-42", "app.linked": True}, collect=runner)
        sources = {a.fact: a.source for a in iv.answers}
        assert sources == {"sync.status": "collector", "sync.error": "collector",
                           "sync.last_at": "collector", "api.key": "collector"}
        assert iv.diagnosis.cause_ids == ["api"]
        got = iv.diagnosis.collected["sync.status"]
        assert got.value == "failed" and got.source.startswith("GET http://127.0.0.1:")
        assert iv.diagnosis.collected["api.key"].value == "***"
        asked = iv.next_question()
        assert asked is None or asked.fact not in sources
        report = render_ticket(ticket_from_interview(iv))
        assert "collected from GET http://127.0.0.1" in report
        session_id = iv.id
    stored = path.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("sessions.db-*"))
    assert b"cld-42" in stored  # the session is really in this file
    assert TOKEN.encode() not in stored and b"canary" not in stored
    assert TOKEN not in report
    requests_made = len(hub.log)
    with SqliteStore(path) as store:  # resumed without collecting: no request, same facts
        again = Interview.resume(session_id, store=store, kb=hub_kb)
        assert again.diagnosis.cause_ids == ["api"]
        assert again.diagnosis.collected["sync.status"].source == "recorded in the session"
        assert again.diagnosis.collected["sync.status"].collector == "hub.status"
    assert len(hub.log) == requests_made


def test_a_url_fact_answered_by_the_agent_sets_the_collectors_off(hub_kb, hub, runner) -> None:
    hub.expect_request(STATUS).respond_with_json({**ECHOED, "error": {"message": "HTTP 500"}})
    hub.expect_request("/groups/cld-42/link").respond_with_json({"linked": True})
    hub.expect_request("/groups/cld-42/key").respond_with_json({"api key": "k-123"})
    iv = Interview.start(store=MemoryStore(), kb=hub_kb, pack="hub", now=NOW, collect=runner)
    first = iv.next_question()
    assert first is not None and first.fact == "group.id"
    assert _paths(hub) == []
    iv.answer("group.id", "cld-42")
    assert sorted(set(_paths(hub))) == ["/groups/cld-42/key", "/groups/cld-42/link", STATUS]
    assert iv.diagnosis.cause_ids == ["api"]
    assert {a.fact for a in iv.answers if a.source == "collector"} == {
        "sync.status", "sync.error", "sync.last_at", "app.linked", "api.key"}


def test_a_failed_collector_leaves_the_question_to_the_agent(hub_kb, hub, runner) -> None:
    hub.expect_request(STATUS).respond_with_data("down", status=503)
    hub.expect_request("/groups/cld-42/key").respond_with_data("no", status=404)
    iv = Interview.start(store=MemoryStore(), kb=hub_kb, pack="hub", now=NOW,
                         facts={"group.id": "cld-42", "app.linked": True}, collect=runner)
    reasons = {f.collector: f.reason for f in iv.diagnosis.not_collected}
    assert reasons["hub.status"] == "503 SERVICE UNAVAILABLE after 2 attempts"
    question = iv.next_question()
    assert question is not None and question.fact in {"sync.status", "api.key"}
    tried = len(hub.log)
    iv.answer("sync.status", "pending")  # the agent answers; the collector is not tried again
    assert len(hub.log) == tried
    assert iv.diagnosis.cause_ids == ["pending"]


def test_interview_collect_on_the_command_line(hub, tmp_path: Path, monkeypatch) -> None:
    hub.expect_request(STATUS).respond_with_json(ECHOED)
    hub.expect_request("/groups/cld-42/link").respond_with_json({"linked": False})
    hub.expect_request("/groups/cld-42/key").respond_with_json({"api key": "k-123"})
    monkeypatch.setenv("TEST_HUB_URL", hub.url_for("/"))
    monkeypatch.setenv("TEST_HUB_TOKEN", TOKEN)
    store = f"sqlite:///{tmp_path / 's.db'}"
    done = CliRunner().invoke(app, [
        "interview", str(FIXTURES / "collect_kb" / "case.yaml"), "--kb",
        str(FIXTURES / "collect_kb"), "--store", store, "--collect"], input="quit\n")
    assert done.exit_code == 0, done.output
    assert "collected sync.status = failed (from GET http://127.0.0.1:" in done.output
    assert "collected app.linked = no (from GET" in done.output
    assert TOKEN not in done.output and "canary" not in done.output


def test_the_service_collects_only_when_started_to(hub_kb, hub, monkeypatch) -> None:
    hub.expect_request(STATUS).respond_with_json(ECHOED)
    hub.expect_request("/groups/cld-42/key").respond_with_json({"api key": "k-123"})
    monkeypatch.setenv("TEST_HUB_URL", hub.url_for("/"))
    monkeypatch.setenv("TEST_HUB_TOKEN", TOKEN)
    body = {"pack": "hub", "now": NOW, "facts": {"group.id": "cld-42", "app.linked": True},
            "collect": True}
    off = create_app(ServiceConfig(store="memory:"), kb=hub_kb, keys=ApiKeys([]))
    with uvicorn_thread(off) as base:
        refused = httpx.post(f"{base}/v1/diagnose", json=body, timeout=30)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "collect"
    assert _paths(hub) == []
    on = create_app(ServiceConfig(store="memory:", collect=True), kb=hub_kb, keys=ApiKeys([]))
    with uvicorn_thread(on) as base:
        answered = httpx.post(f"{base}/v1/diagnose", json=body, timeout=30)
        plain = httpx.post(f"{base}/v1/diagnose", json={**body, "collect": False}, timeout=30)
    assert answered.status_code == 200, answered.text
    result = answered.json()
    assert result["collected"]["sync.status"]["value"] == "failed"
    assert result["causes"][0]["id"] == "api"
    assert TOKEN not in answered.text and TOKEN not in json.dumps(plain.json())
    assert plain.json()["collected"] == {}
