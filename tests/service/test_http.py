"""The HTTP service on a real uvicorn server: routes, problem+json, limits, keys, logs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from servers import uvicorn_thread

from syncdoctor.interview.errors import StoreError
from syncdoctor.service.app import Engine, create_app
from syncdoctor.service.config import ApiKeys, ServiceConfig
from syncdoctor.service.guard import host_name
from syncdoctor.service.sessions import session_routes

from support import NOW, reply

PROBLEM = "application/problem+json"
SECRET_VALUE = "Xero API returned HTTP 500 for group cld-SECRET-4f2a"


def _faulty(app: FastAPI, engine: Engine) -> None:
    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("password=hunter2 in an exception message")

    @app.get("/v1/store-down")
    async def store_down() -> None:
        raise StoreError("database disk image is malformed", store="sqlite:///srv/kept.db",
                         hint="restore the file from a backup")

    @app.get("/v1/slow")
    async def slow() -> dict[str, str]:
        await engine.run(lambda: time.sleep(1.0))
        return {"done": "yes"}


def _extend(config: ServiceConfig):
    sessions = session_routes(config)

    def both(app: FastAPI, engine: Engine) -> None:
        sessions(app, engine)
        _faulty(app, engine)

    return both


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    config = ServiceConfig(store="memory:", max_body_bytes=50_000,
                           allowed_origins=("https://desk.example",))
    app = create_app(config, keys=ApiKeys([]), extend=_extend(config))
    with uvicorn_thread(app) as url:
        yield url


def _problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"] and body["code"]
    return body


def test_diagnose_packs_facts_tools_health(base: str) -> None:
    diagnosis = httpx.post(f"{base}/v1/diagnose", json={
        "pack": "impac", "now": NOW, "facts": {"sync.status": "failed"}, "max_questions": 2,
        "include": []}).json()
    assert diagnosis["pack"] == "impac" and len(diagnosis["questions"]) == 2
    assert "impac" in [p["id"] for p in httpx.get(f"{base}/v1/packs").json()["packs"]]
    facts = httpx.get(f"{base}/v1/packs/impac/facts").json()
    assert facts["pack"] == "impac" and facts["facts"]
    tools = httpx.get(f"{base}/v1/tools", params={"format": "openai", "pack": "impac"}).json()
    assert tools[0]["function"]["strict"] is True
    assert httpx.get(f"{base}/v1/health").json()["status"] == "ok"
    explained = httpx.post(f"{base}/v1/explain", json={
        "cause": "sync_in_progress", "facts": {"sync.status": "failed"}, "now": NOW}).json()
    assert explained["status"] == "ruled_out"


def test_a_session_over_http(base: str) -> None:
    started = httpx.post(f"{base}/v1/sessions", json={
        "pack": "impac", "facts": {"sync.status": "failed"}, "now": NOW})
    assert started.status_code == 201
    session = started.json()
    assert started.headers["location"] == f"/v1/sessions/{session['id']}"
    question = session["next_question"]
    answered = httpx.post(f"{base}/v1/sessions/{session['id']}/answers",
                          json=reply(question)).json()
    assert [a["fact"] for a in answered["answers"]] == [question["fact"]]
    skipped = httpx.post(f"{base}/v1/sessions/{session['id']}/answers",
                         json={"fact": answered["next_question"]["fact"], "unknown": True}).json()
    assert skipped["answers"][-1]["unknown"] is True
    undone = httpx.delete(f"{base}/v1/sessions/{session['id']}/answers/last").json()
    assert len(undone["answers"]) == 1
    assert httpx.get(f"{base}/v1/sessions/{session['id']}").json() == undone
    report = httpx.get(f"{base}/v1/sessions/{session['id']}/report")
    assert report.headers["content-type"].startswith("text/markdown") and "#" in report.text
    as_json = httpx.get(f"{base}/v1/sessions/{session['id']}/report", params={"format": "json"})
    assert as_json.headers["content-type"] == "application/json" and as_json.json()
    missing = _problem(httpx.get(f"{base}/v1/sessions/0123456789abcdef0123456789abcdef"), 404)
    assert "memory:" not in missing["detail"] and "store" not in missing["details"]
    bad = _problem(httpx.post(f"{base}/v1/sessions/{session['id']}/answers",
                              json={"fact": "app.linkd", "value": True}), 422)
    assert bad["suggestion"] == "app.linked" and bad["errors"][0]["field"] == "fact"
    mistyped = _problem(httpx.post(f"{base}/v1/sessions/{session['id']}/answers",
                                   json={"fact": "app.linked", "value": "maybe"}), 422)
    assert mistyped["errors"][0]["field"] == "value"


def test_router_and_validation_errors_are_problems(base: str) -> None:
    _problem(httpx.get(f"{base}/v1/nowhere"), 404)
    assert _problem(httpx.put(f"{base}/v1/health"), 405)["code"] == "HTTP405"
    invalid = _problem(httpx.post(f"{base}/v1/diagnose", json={"facts": [], "colour": 1}), 422)
    assert {e["field"] for e in invalid["errors"]} == {"facts", "colour"}
    broken = _problem(httpx.post(f"{base}/v1/diagnose", content=b'{"facts": {"a": 1,}}',
                                 headers={"content-type": "application/json"}), 422)
    assert [e["field"] for e in broken["errors"]] == ["body"]
    assert broken["detail"].startswith("body: the body is not valid JSON: Expecting property")
    assert "(at character 18)" in broken["detail"]
    fact = _problem(httpx.post(f"{base}/v1/diagnose", json={
        "pack": "impac", "facts": {"sync.stauts": "failed"}}), 422)
    assert fact["fact"] == "sync.stauts" and fact["suggestion"] == "sync.status"
    assert fact["errors"][0]["field"] == "facts.sync.stauts"
    facts = _problem(httpx.post(f"{base}/v1/diagnose", json={
        "facts": {"sync.stauts": "failed", "app.nam": "Xero"}}), 422)
    assert [e["field"] for e in facts["errors"]] == ["facts.app.nam", "facts.sync.stauts"]
    pack = _problem(httpx.get(f"{base}/v1/packs/impak/facts"), 404)
    assert pack["code"] == "PackError" and pack["suggestion"] == "impac"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_a_body_not_sent_as_json_says_so(base: str, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = _problem(httpx.post(f"{base}/v1/diagnose", content=b'{"facts": {}}', headers=headers),
                    422)
    assert [e["field"] for e in body["errors"]] == ["body"]
    assert "send the body as JSON, with Content-Type: application/json" in body["detail"]
    assert (repr(content_type) if content_type else "with none") in body["detail"]


def test_a_wrong_value_comes_back_with_its_credentials_masked(base: str) -> None:
    wrong = httpx.post(f"{base}/v1/diagnose", json={
        "pack": "mambu_xero", "facts": {"journal.date": "DB_PASSWORD=hunter2"}})
    body = _problem(wrong, 422)
    assert "DB_PASSWORD=***" in body["detail"] and "hunter2" not in wrong.text


def test_a_failed_store_tells_the_client_what_and_the_operator_where(base: str,
                                                                     caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="syncdoctor.service"):
        body = _problem(httpx.get(f"{base}/v1/store-down"), 503)
    assert body["detail"] == "the session store failed; the server's log has the details"
    assert body["request_id"] and body["code"] == "StoreError"
    for hidden in ("/srv/kept.db", "backup", "malformed"):
        assert hidden not in json.dumps(body)
    logged = [json.loads(r.getMessage()) for r in caplog.records
              if r.name == "syncdoctor.service" and "store_failed" in r.getMessage()]
    assert logged and logged[-1]["request_id"] == body["request_id"]
    assert "sqlite:///srv/kept.db" in logged[-1]["message"] and "backup" in logged[-1]["message"]
    assert "malformed" in logged[-1]["message"]


def test_an_unexpected_error_is_a_500_that_leaks_nothing(base: str, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="syncdoctor.service"):
        body = _problem(httpx.get(f"{base}/v1/boom"), 500)
    assert "hunter2" not in json.dumps(body) and body["request_id"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert body["request_id"] in logged and "RuntimeError" in logged
    assert "hunter2" not in logged


def test_the_deadline_answers_503() -> None:
    config = ServiceConfig(deadline_seconds=0.3)
    with uvicorn_thread(create_app(config, keys=ApiKeys([]), extend=_faulty)) as url:
        assert _problem(httpx.get(f"{url}/v1/slow"), 503)["code"] == "DeadlineExceeded"
        # the engine is still busy for a while: a queued call that outlives its deadline is
        # refused too, and the server stays up
        assert _problem(httpx.get(f"{url}/v1/slow"), 503)["code"] == "DeadlineExceeded"
        assert httpx.get(f"{url}/v1/health").status_code == 200


def test_the_body_limit(base: str) -> None:
    big = {"pack": "impac", "facts": {"error.message": "x" * 60_000}}
    assert _problem(httpx.post(f"{base}/v1/diagnose", json=big), 413)["code"] == "BodyTooLarge"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what arrives
        yield b'{"facts": {"error.message": "'
        for _ in range(20):
            yield b"y" * 5_000
        yield b'"}}'

    _problem(httpx.post(f"{base}/v1/diagnose", content=chunks(),
                        headers={"content-type": "application/json"}), 413)


def test_origins(base: str) -> None:
    _problem(httpx.get(f"{base}/v1/packs", headers={"origin": "https://evil.example"}), 403)
    allowed = httpx.get(f"{base}/v1/packs", headers={"origin": "https://desk.example"})
    assert allowed.status_code == 200


def test_a_rebound_host_name_is_refused(base: str) -> None:
    # DNS rebinding: evil.example re-pointed at 127.0.0.1, its page calling "its own" server
    # (same-origin, so Origin matches Host and the origin check alone would let it through).
    port = base.rsplit(":", 1)[1]
    rebound = {"host": f"evil.example:{port}", "origin": f"http://evil.example:{port}"}
    body = _problem(httpx.get(f"{base}/v1/sessions", headers=rebound), 421)
    assert body["code"] == "HostNotAllowed" and "--allow-host" in body["detail"]
    for name in ("localhost", "[::1]", "LOCALHOST"):
        assert httpx.get(f"{base}/v1/health", headers={"host": f"{name}:{port}"}
                         ).status_code == 200, name


@pytest.mark.parametrize(("header", "name"), [
    ("127.0.0.1:8080", "127.0.0.1"), ("[::1]:8080", "::1"), ("Example.COM", "example.com"),
    ("::1", "::1"), ("host:notaport", "host:notaport"), ("", ""), ("[::1]", "::1"),
    ("[::1].evil.com", "[::1].evil.com"), ("[::1]evil:80", "[::1]evil:80"), ("[::1", "[::1"),
])
def test_host_header_names(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1", True), ("127.3.4.5", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
    ("example.com", False),
])
def test_which_bind_addresses_keep_a_service_local(host: str, local: bool) -> None:
    from syncdoctor.web.security import is_loopback

    assert is_loopback(host) is local


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_access_log_lines_hold_no_fact_value(base: str) -> None:
    logger = logging.getLogger("syncdoctor.access")
    handler, was = _Lines(), (logger.level, logger.disabled)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.disabled = False  # another test's logging set-up may have switched it off
    try:
        httpx.post(f"{base}/v1/diagnose?facts={SECRET_VALUE}", json={
            "pack": "impac", "facts": {"error.message": SECRET_VALUE}})
        # The line is written once the response is sent: the client may read it first.
        deadline = time.monotonic() + 10
        while not handler.lines and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(was[0])
        logger.disabled = was[1]
    lines = [json.loads(line) for line in handler.lines]
    assert lines and lines[-1]["path"] == "/v1/diagnose" and lines[-1]["status"] == 200
    assert not any("SECRET" in line for line in handler.lines)


def test_api_keys_are_required_compared_and_never_logged(caplog) -> None:
    key = "sk-test-6f1d2c"
    with caplog.at_level(logging.INFO), uvicorn_thread(create_app(keys=ApiKeys([key]))) as url:
        assert _problem(httpx.get(f"{url}/v1/packs"), 401)["code"] == "Unauthorized"
        _problem(httpx.get(f"{url}/v1/packs", headers={"x-api-key": key + "x"}), 401)
        _problem(httpx.get(f"{url}/v1/packs", headers={"authorization": "Basic " + key}), 401)
        assert httpx.get(f"{url}/v1/packs", headers={"x-api-key": key}).status_code == 200
        bearer = httpx.get(f"{url}/v1/packs", headers={"authorization": f"Bearer {key}"})
        assert bearer.status_code == 200
        assert httpx.get(f"{url}/v1/health").status_code == 200  # load balancers need no key
    assert key not in caplog.text and key not in repr(ApiKeys([key]))


def test_keys_come_from_the_environment_or_a_file(tmp_path) -> None:
    keyfile = tmp_path / "keys"
    keyfile.write_text("# team keys\nk-one\n\nk-two\n", encoding="utf-8")
    keys = ApiKeys.from_env({"SYNCDOCTOR_API_KEYS": "k-env", "SYNCDOCTOR_API_KEYS_FILE":
                             str(keyfile)})
    assert all(keys.check(k) for k in ("k-env", "k-one", "k-two"))
    assert not keys.check("# team keys") and not keys.check(None) and not keys.check("")


def test_the_openapi_document_declares_every_error_as_a_problem(base: str) -> None:
    document = httpx.get(f"{base}/openapi.json").json()
    assert document["components"]["schemas"]["Problem"]["properties"]["errors"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "404", "405", "413", "422", "500", "503"):
                declared = operation["responses"].get(status)
                assert declared and PROBLEM in declared["content"], (method, path, status)
    # No page that loads a script from a CDN on the API's origin: the document is the interface.
    assert httpx.get(f"{base}/docs").status_code == 404


def test_api_answers_are_never_cached_or_sniffed(base: str) -> None:
    for answer in (httpx.get(f"{base}/v1/packs"),
                   httpx.post(f"{base}/v1/diagnose", json={"pack": "impac", "facts": {}}),
                   httpx.post(f"{base}/v1/diagnose", json={"facts": 5})):
        assert answer.headers["cache-control"] == "no-store", answer.url
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_shutdown_joins_the_engine_thread() -> None:
    app = create_app(keys=ApiKeys([]))
    with uvicorn_thread(app) as url:
        # explain runs on the engine thread (a plain diagnose runs on the event loop)
        httpx.post(f"{url}/v1/explain", json={"cause": "sync_in_progress", "pack": "impac",
                                               "facts": {}})
        assert app.state.engine.alive
    assert not app.state.engine.alive  # joined by the lifespan's shutdown, not left behind


def test_serve_binds_loopback_by_default() -> None:
    import inspect

    from syncdoctor.cli.services import serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


def test_a_store_locked_by_another_process_is_said_so_within_the_deadline(
        tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    path = tmp_path / "sessions.db"
    config = ServiceConfig(store=f"sqlite:{path}", deadline_seconds=2.0)
    app = create_app(config, keys=ApiKeys([]), extend=_extend(config))
    with uvicorn_thread(app) as url:
        assert httpx.post(f"{url}/v1/sessions", json={"pack": "impac"}).status_code == 201
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process's long write
        try:
            with caplog.at_level(logging.WARNING):
                answer = httpx.post(f"{url}/v1/sessions", json={"pack": "impac"}, timeout=10)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        body = _problem(answer, 503)
        assert body["code"] == "StoreError" and "session store" in body["detail"], body
        assert httpx.post(f"{url}/v1/sessions", json={"pack": "impac"}).status_code == 201
    assert "stayed locked by another writer for 1 s" in caplog.text  # the operator reads why
    assert "Traceback" not in caplog.text and "never retrieved" not in caplog.text


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"facts": {"a": ' + b"[" * 3000 + b"]" * 3000 + b"}}", "it is nested too deep"),
    (b'{"facts": {"a": ' + b"9" * 5000 + b"}}", "a number in it has more than 4,300 digits"),
    (b'{"facts": "\xff"}', "it is not UTF-8 text (byte 11)"),
])
@pytest.mark.parametrize("path", ["/v1/diagnose", "/v1/sessions"])
def test_a_body_that_cannot_be_decoded_names_the_body_and_why(
        base: str, path: str, body: bytes, reason: str) -> None:
    answer = httpx.post(f"{base}{path}", content=body,
                        headers={"content-type": "application/json"})
    problem = _problem(answer, 422)
    assert problem["errors"] == [{"field": "body", "expected": "a JSON object",
                                  "message": f"the body is not valid JSON: {reason}"}]


def test_a_session_its_message_did_not_settle_gets_its_pack_over_http(base: str) -> None:
    started = httpx.post(f"{base}/v1/sessions",
                         json={"message": "Invoice INV-0042 could not be found"})
    assert started.status_code == 201
    session = started.json()
    assert session["pack"] is None and session["diagnosis"]["pack_choices"]
    stuck = _problem(httpx.post(f"{base}/v1/sessions/{session['id']}/answers",
                                json={"fact": "sync.status", "value": "failed"}), 409)
    assert "POST /v1/sessions/ID/pack" in (stuck.get("details", {}).get("hint", "")
                                           + stuck["detail"] + json.dumps(stuck))
    wrong = _problem(httpx.post(f"{base}/v1/sessions/{session['id']}/pack",
                                json={"pack": "sage30"}), 404)
    assert wrong["suggestion"] == "sage300", wrong
    chosen = httpx.post(f"{base}/v1/sessions/{session['id']}/pack", json={"pack": "sage300"})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["pack"] == "sage300" and chosen.json()["next_question"] is not None
