"""diagnose(collect=...): lazy collection, provenance, failures left to a person, no crash."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syncdoctor import diagnose
from syncdoctor.collectors.runner import Collectors

from support import CANARY_TOKEN as TOKEN
from support import NOW

STATUS = "/groups/cld-42/sync"
LINK = "/groups/cld-42/link"
KEY = "/groups/cld-42/key"
FAILED = {"status": "ERROR", "error": {"message": "Xero answered HTTP 503"},
          "last_success_at": "2024-05-01T08:00:00Z"}


def _paths(server: HTTPServer) -> list[str]:
    return [request.path for request, _ in server.log]


def test_collected_facts_decide_the_cause_and_say_where_they_came_from(hub_kb, hub, runner):
    hub.expect_request(STATUS, query_string="view=summary").respond_with_json(FAILED)
    result = diagnose({"group.id": "cld-42", "app.linked": True, "api.key": "given"},
                      pack="hub", kb=hub_kb, now=NOW, collect=runner)
    assert result.cause_ids == ["api"]
    assert set(result.collected) == {"sync.status", "sync.error", "sync.last_at"}
    status = result.collected["sync.status"]
    assert status.value == "failed"  # mapped from ERROR, typed like any fact
    assert status.collector == "hub.status"
    assert status.source == f"GET {hub.url_for(STATUS)}?view=summary"
    assert status.at.endswith("Z")
    assert result.collected["sync.last_at"].value == "2024-05-01T08:00:00Z"
    evidence = result.causes[0].evidence[0]
    assert evidence.facts["sync.status"] == "failed"
    assert result.not_collected == []
    assert hub.log[0][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_only_the_facts_a_live_question_needs_are_fetched(hub_kb, hub, runner):
    hub.expect_request(STATUS).respond_with_json(FAILED)
    hub.expect_request(LINK).respond_with_json({"linked": True})
    hub.expect_request(KEY).respond_with_json({"api key": "k-1"})
    # The link is known and the key is not needed once the cause is settled either way:
    diagnose({"group.id": "cld-42", "app.linked": True, "api.key": "given"}, pack="hub",
             kb=hub_kb, now=NOW, collect=runner)
    assert _paths(hub) == [STATUS]


def test_nothing_is_fetched_when_no_question_is_left(hub_kb, hub, runner):
    hub.expect_request(STATUS).respond_with_json(FAILED)
    result = diagnose(
        {"group.id": "cld-42", "app.linked": False, "sync.status": "pending", "api.key": "x"},
        pack="hub", kb=hub_kb, now=NOW, collect=runner,
    )
    assert result.questions == [] or all(q.fact not in {"sync.status"} for q in result.questions)
    assert _paths(hub) == []
    assert result.collected == {}


def test_collect_off_makes_no_request_at_all(hub_kb, hub, monkeypatch):
    monkeypatch.setenv("TEST_HUB_URL", hub.url_for("/"))
    monkeypatch.setenv("TEST_HUB_TOKEN", TOKEN)
    hub.expect_request(STATUS).respond_with_json(FAILED)
    result = diagnose({"group.id": "cld-42"}, pack="hub", kb=hub_kb, now=NOW)
    assert _paths(hub) == []
    assert "sync.status" in {q.fact for q in result.questions}
    assert result.collected == {} and result.not_collected == []


def test_collect_true_reads_the_environment(hub_kb, hub, monkeypatch):
    monkeypatch.setenv("TEST_HUB_URL", hub.url_for("/"))
    monkeypatch.setenv("TEST_HUB_TOKEN", TOKEN)
    hub.expect_request(STATUS).respond_with_json(FAILED)
    hub.expect_request(LINK).respond_with_json({"linked": True})
    result = diagnose({"group.id": "cld-42"}, pack="hub", kb=hub_kb, now=NOW, collect=True)
    assert result.collected["app.linked"].value is True
    assert "not_linked" in {r.id for r in result.ruled_out}


def test_the_callers_facts_win_over_a_collector(hub_kb, hub, runner):
    hub.expect_request(STATUS).respond_with_json({**FAILED, "status": "OK"})
    result = diagnose({"group.id": "cld-42", "app.linked": True, "sync.error": "HTTP 502",
                       "api.key": "given"},
                      pack="hub", kb=hub_kb, now=NOW, collect=runner)
    assert "sync.error" not in result.collected
    assert result.collected["sync.status"].value == "success"


def test_a_failed_collector_leaves_its_facts_to_ask_with_the_reason(hub_kb, hub, runner):
    hub.expect_request(STATUS).respond_with_data("down", status=503)
    hub.expect_request(LINK).respond_with_data("{not json", content_type="application/json")
    result = diagnose({"group.id": "cld-42"}, pack="hub", kb=hub_kb, now=NOW, collect=runner)
    reasons = {f.collector: f.reason for f in result.not_collected}
    assert reasons["hub.status"].startswith("503 SERVICE UNAVAILABLE after 2 attempts")
    assert reasons["hub.link"].startswith("malformed JSON")
    asked = {q.fact for q in result.questions}
    assert {"sync.status", "app.linked"} <= asked  # a person is asked instead
    assert _paths(hub).count(STATUS) == 2 and _paths(hub).count(LINK) == 1
    failure = next(f for f in result.not_collected if f.collector == "hub.status")
    assert failure.facts == ["sync.error", "sync.last_at", "sync.status"]


def test_a_missing_field_fails_that_fact_only(hub_kb, hub, runner):
    hub.expect_request(STATUS).respond_with_json({"status": "ERROR", "error": {}})
    result = diagnose({"group.id": "cld-42", "app.linked": True, "api.key": "k"}, pack="hub",
                      kb=hub_kb,
                      now=NOW, collect=runner)
    assert set(result.collected) == {"sync.status"}
    (failure,) = result.not_collected
    assert failure.facts == ["sync.error", "sync.last_at"]
    assert "sync.error: missing field (the response has no $.error.message)" in failure.reason
    assert "sync.last_at: missing field" in failure.reason


def test_a_value_of_the_wrong_type_is_not_collected(hub_kb, hub, runner):
    hub.expect_request(STATUS).respond_with_json({**FAILED, "status": "EXPLODED"})
    result = diagnose({"group.id": "cld-42", "app.linked": True, "api.key": "k"}, pack="hub",
                      kb=hub_kb,
                      now=NOW, collect=runner)
    assert "sync.status" not in result.collected
    (failure,) = result.not_collected
    assert failure.facts == ["sync.status"] and "(at $.status)" in failure.reason


def test_a_collector_waiting_for_a_url_fact_asks_for_it_first(hub_kb, hub, runner):
    result = diagnose({}, pack="hub", kb=hub_kb, now=NOW, collect=runner)
    assert _paths(hub) == []
    first = result.questions[0]
    assert first.fact == "group.id"
    assert "Lets the collectors fetch" in first.why and "app.linked" in first.why
    reasons = {f.collector: f.reason for f in result.not_collected}
    assert reasons["hub.link"] == "waits for group.id (its URL needs it)"


def test_a_collected_error_message_is_read_by_the_extractors(hub_kb, hub, runner):
    hub.expect_request(STATUS).respond_with_json(FAILED)
    result = diagnose({"group.id": "cld-42", "app.linked": True, "api.key": "k"}, pack="hub",
                      kb=hub_kb, now=NOW, collect=runner)
    assert result.inferred["err.code"] == 503  # read out of the collected error message
    assert result.cause_ids == ["api"]


def test_no_base_url_or_no_token_is_a_reason_not_a_crash(hub_kb, hub):
    with Collectors(env={}) as bare:
        result = diagnose({"group.id": "cld-42"}, pack="hub", kb=hub_kb, now=NOW, collect=bare)
    reasons = {f.reason for f in result.not_collected}
    assert reasons == {"no base URL: set the environment variable TEST_HUB_URL"}
    with Collectors(env={"TEST_HUB_URL": hub.url_for("/")}) as tokenless:
        result = diagnose({"group.id": "cld-42"}, pack="hub", kb=hub_kb, now=NOW,
                          collect=tokenless)
    assert {f.reason for f in result.not_collected} == {
        "no token: the environment variable TEST_HUB_TOKEN is not set"}
    assert _paths(hub) == []


def test_a_bad_collect_argument_is_a_fact_error(hub_kb):
    from syncdoctor import FactError

    with pytest.raises(FactError, match="collect"):
        diagnose({}, pack="hub", kb=hub_kb, now=NOW, collect="yes")  # type: ignore[arg-type]


def _measuring(server: HTTPServer, delay: float) -> dict[str, int]:
    state = {"now": 0, "max": 0, "count": 0}
    lock = threading.Lock()

    def handler(request: Request) -> Response:
        with lock:
            state["now"] += 1
            state["count"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(delay)
        with lock:
            state["now"] -= 1
        body = {"linked": True, "api key": "k", **FAILED}
        return Response(json.dumps(body), content_type="application/json")

    server.expect_request("/groups/cld-42/sync").respond_with_handler(handler)
    server.expect_request("/groups/cld-42/link").respond_with_handler(handler)
    server.expect_request("/groups/cld-42/key").respond_with_handler(handler)
    return state


def test_the_per_source_limit_holds_requests_in_flight(hub_kb, hub, runner):
    state = _measuring(hub, 0.3)  # long enough for the control to overlap on a loaded machine
    pack = hub_kb.pack("hub").source
    known = {"group.id": "cld-42"}
    plan = runner.plan(pack, {"sync.status", "app.linked", "api.key"}, known, ())
    assert len(plan.due) == 3
    runner.run(pack, plan)
    assert state == {"now": 0, "max": 1, "count": 3}  # concurrency: 1
    # The control: the same three requests with a limit of 3 do overlap on this server.
    wide = replace(pack, sources={"hub": pack.sources["hub"].model_copy(
        update={"concurrency": 3})})
    state.update(now=0, max=0, count=0)
    runner.run(wide, runner.plan(wide, {"sync.status", "app.linked", "api.key"}, known, ()))
    assert state["count"] == 3 and state["max"] > 1
