"""The MCP server through the SDK's own client: tools, resources, errors, Origin and Host."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from mcp import Client, StdioServerParameters
from servers import SYNCDOCTOR, free_port, uvicorn_thread

from syncdoctor.engine.knowledge import default_kb
from syncdoctor.mcp.server import build_server, transport_security
from syncdoctor.service.app import create_app
from syncdoctor.service.config import ApiKeys, ServiceConfig
from syncdoctor.service.sessions import session_routes

from support import NOW, REPO, reply

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "probe", "version": "1"}}}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.fixture(scope="module")
def mcp_http() -> Iterator[str]:
    port = free_port()
    server = build_server(default_kb())
    app = server.streamable_http_app(
        transport_security=transport_security("127.0.0.1", port, ["https://desk.example"]))
    with uvicorn_thread(app, port, http="auto") as base:  # as `syncdoctor mcp` serves it
        yield f"{base}/mcp"


def test_origin_and_host_are_checked(mcp_http: str) -> None:
    evil = httpx.post(mcp_http, json=INIT, headers={**HEADERS, "origin": "https://evil.example"})
    assert evil.status_code == 403
    rebound = httpx.post(mcp_http, json=INIT, headers={**HEADERS, "host": "evil.example:80"})
    assert rebound.status_code == 421
    allowed = httpx.post(mcp_http, json=INIT,
                         headers={**HEADERS, "origin": "https://desk.example"})
    assert allowed.status_code == 200


def test_tools_resources_and_structured_errors(mcp_http: str) -> None:
    async def run() -> None:
        async with Client(mcp_http) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert {"diagnose", "explain", "list_packs", "describe_facts"} <= set(tools)
            facts = tools["diagnose"].input_schema["properties"]["facts"]["properties"]
            assert facts["sync.status"]["enum"][:2] and "failed" in facts["sync.status"]["enum"]
            assert tools["diagnose"].output_schema["title"] == "Diagnosis"
            error = await client.call_tool("diagnose", {"pack": "impac",
                                                        "facts": {"sync.stauts": "failed"}})
            assert error.is_error and error.structured_content["code"] == "FactError"
            assert error.structured_content["suggestion"] == "sync.status"
            why = await client.call_tool("explain", {"cause": "sync_in_progress", "now": NOW,
                                                     "facts": {"sync.status": "failed"}})
            assert why.structured_content["status"] == "ruled_out"
            uris = [str(r.uri) for r in (await client.list_resources()).resources]
            assert "syncdoctor://packs" in uris and "syncdoctor://packs/impac/facts" in uris
            page = await client.read_resource("syncdoctor://packs/impac/page")
            assert "Remediation" in page.contents[0].text

    asyncio.run(run())


def _comparable(session: dict) -> dict:
    """A session without what two runs cannot share: the id and when each answer came."""
    return {**session, "id": None, "answers": [{**a, "at": None} for a in session["answers"]]}


async def _script(step) -> list[dict]:
    """The same interview, whatever the door: start, choose the pack, answer four, skip one,
    undo one, say it did not fix it, then that it did."""
    sessions = [await step("start_interview", {
        "message": "Invoice INV-0042 could not be found", "now": NOW})]
    sid = sessions[0]["id"]
    assert sessions[0]["pack"] is None, "the message settles no pack: the bot chooses it"
    sessions.append(await step("choose_pack", {"session": sid, "pack": "impac"}))
    sessions.append(await step("answer", {"session": sid, "fact": "sync.status",
                                          "value": "failed"}))
    for index in range(6):
        question = sessions[-1]["next_question"]
        if index == 4:
            sessions.append(await step("answer", {"session": sid, "fact": question["fact"],
                                                  "unknown": True}))
        else:
            sessions.append(await step("answer", {"session": sid, **reply(question)}))
    sessions.append(await step("undo", {"session": sid}))
    held = sessions[-1]["diagnosis"]["causes"]
    assert held, "the script reaches a cause, to say whether it fixed it"
    sessions.append(await step("outcome", {"session": sid, "fixed": False,
                                           "cause": held[0]["id"]}))
    sessions.append(await step("outcome", {"session": sid, "fixed": True}))
    assert sessions[-1]["fixed"] is not None and sessions[-1]["finished"]
    return [_comparable(s) for s in sessions]


def test_an_interview_over_http_and_over_mcp_gives_identical_sessions(tmp_path) -> None:
    config = ServiceConfig(store="memory:")
    app = create_app(config, keys=ApiKeys([]), extend=session_routes(config))
    params = StdioServerParameters(command=SYNCDOCTOR, cwd=str(REPO), args=[
        "mcp", "--store", f"sqlite:///{tmp_path / 'mcp.db'}"])

    async def run(base: str) -> tuple[list[dict], list[dict]]:
        async with httpx.AsyncClient(base_url=base) as http:

            async def over_http(tool: str, args: dict) -> dict:
                if tool == "start_interview":
                    response = await http.post("/v1/sessions", json=args)
                elif tool == "answer":
                    body = {k: v for k, v in args.items() if k != "session"}
                    response = await http.post(f"/v1/sessions/{args['session']}/answers",
                                               json=body)
                elif tool in ("outcome", "choose_pack"):
                    body = {k: v for k, v in args.items() if k != "session"}
                    route = "outcome" if tool == "outcome" else "pack"
                    response = await http.post(f"/v1/sessions/{args['session']}/{route}",
                                               json=body)
                else:
                    response = await http.delete(f"/v1/sessions/{args['session']}/answers/last")
                assert response.status_code in (200, 201), response.text
                return response.json()

            via_http = await _script(over_http)
        async with Client(params) as client:  # stdio, a real SQLite store

            async def over_mcp(tool: str, args: dict) -> dict:
                result = await client.call_tool(tool, args)
                assert not result.is_error, result.content
                return result.structured_content

            via_mcp = await _script(over_mcp)
        return via_http, via_mcp

    with uvicorn_thread(app) as base:
        via_http, via_mcp = asyncio.run(run(base))
    assert len(via_mcp) == len(via_http) == 12
    assert via_mcp == via_http
    assert via_http[1]["pack"] == "impac" and via_http[1]["next_question"] is not None
    assert via_http[7]["answers"][-1]["unknown"] is True
    undone, before = via_http[9], via_http[8]  # the undo, and the step before it
    assert len(undone["answers"]) == len(before["answers"]) - 1 == 6
    assert via_http[-1]["fixed"] and via_http[-2]["fixed"] is None  # no, then yes


def test_the_http_server_logs_one_plain_line_a_record(tmp_path) -> None:
    """`syncdoctor mcp --transport http` logs as `serve` does, not in rich's wrapped columns."""
    import subprocess
    import time

    port = free_port()
    log = tmp_path / "stderr.txt"
    with log.open("w") as sink:
        server = subprocess.Popen([SYNCDOCTOR, "mcp", "--transport", "http", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=sink, cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                refused = httpx.post(f"http://127.0.0.1:{port}/mcp", json=INIT,
                                     headers={**HEADERS, "origin": "https://evil.example"})
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert refused.status_code == 403
    finally:
        server.terminate()
        server.wait(30)
    lines = log.read_text().splitlines()
    assert "WARNING mcp.server.transport_security: Invalid Origin header: https://evil.example" \
        in lines
    assert not any(line.startswith(("[", " ")) for line in lines)  # no columns, no wrapping


def test_the_report_is_the_same_bytes_over_mcp_http_and_python(tmp_path) -> None:
    """The report tool, the report resource, GET /v1/sessions/ID/report and session_report
    read one SQLite store and give the same text; an unknown session is a clear refusal."""
    from syncdoctor.interview import Interview, open_store
    from syncdoctor.report import session_report

    store = f"sqlite:///{tmp_path / 'shared.db'}"
    params = StdioServerParameters(command=SYNCDOCTOR, cwd=str(REPO), args=["mcp", "--store", store])

    async def over_mcp() -> tuple[str, dict, dict, str, str]:
        async with Client(params) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert tools["report"].output_schema["title"] == "SessionReport"
            start = await client.call_tool("start_interview", {
                "pack": "impac", "now": NOW, "facts": {"sync.status": "failed"}})
            sid = start.structured_content["id"]
            await client.call_tool("answer", {"session": sid,
                                              **reply(start.structured_content["next_question"])})
            markdown = await client.call_tool("report", {"session": sid})
            as_json = await client.call_tool("report", {"session": sid, "format": "json"})
            missing = await client.call_tool("report", {"session": "no-such-session"})
            assert not markdown.is_error and not as_json.is_error and missing.is_error
            resource = await client.read_resource(f"syncdoctor://sessions/{sid}/report")
            assert resource.contents[0].mime_type == "text/markdown"
            with pytest.raises(Exception, match="no session 'no-such-session'"):
                await client.read_resource("syncdoctor://sessions/no-such-session/report")
            return (sid, markdown.structured_content, as_json.structured_content,
                    resource.contents[0].text, missing.structured_content["code"])

    sid, markdown, as_json, resource_text, missing_code = asyncio.run(over_mcp())
    assert missing_code == "SessionNotFound"
    assert markdown["session"] == sid and markdown["format"] == "markdown"
    assert "## Facts" in markdown["text"] and "`sync.status`" in markdown["text"]
    assert resource_text == markdown["text"]
    assert json.loads(as_json["text"])["session"] == sid

    opened = open_store(store)
    try:
        interview = Interview.resume(sid, store=opened, kb=default_kb())
        assert session_report(interview, "markdown") == markdown["text"]
        assert session_report(interview, "json") == as_json["text"]
    finally:
        opened.close()
    config = ServiceConfig(store=store)
    app = create_app(config, keys=ApiKeys([]), extend=session_routes(config))
    with uvicorn_thread(app) as base:
        over_http = httpx.get(f"{base}/v1/sessions/{sid}/report")
        over_http_json = httpx.get(f"{base}/v1/sessions/{sid}/report", params={"format": "json"})
    assert over_http.status_code == 200 and over_http.text == markdown["text"]
    assert over_http_json.text == as_json["text"]
