"""A canary token through every path: it never comes back out, however the hub echoes it."""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from syncdoctor import diagnose
from syncdoctor.cli import app
from syncdoctor.report import render_ticket, ticket_from_case, to_text

from support import CANARY_TOKEN as TOKEN
from support import FIXTURES, NOW


def _echoing(hub: HTTPServer, *, status_body: str, link_status: int, key_body: str) -> None:
    """Every answer repeats the request's Authorization header, as a careless hub might."""

    def status(request: Request) -> Response:
        echo = request.headers.get("Authorization", "")
        token = echo.removeprefix("Bearer ")
        body = (status_body.replace("ECHO_B64", _b64(token)).replace("ECHO_UPPER", token.upper())
                .replace("ECHO_URL", quote(echo, safe="")).replace("ECHO", echo))
        return Response(body, content_type="application/json")

    def link(request: Request) -> Response:
        return Response(f"error for {request.headers.get('Authorization')}", status=link_status)

    def key(request: Request) -> Response:
        echo = request.headers.get("Authorization", "")
        return Response(key_body.replace("ECHO", echo), content_type="application/json")

    hub.expect_request("/groups/cld-42/sync").respond_with_handler(status)
    hub.expect_request("/groups/cld-42/link").respond_with_handler(link)
    hub.expect_request("/groups/cld-42/key").respond_with_handler(key)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


SCENARIOS = {
    # Echoed in other forms than it was sent: base64, upper-cased, URL-encoded.
    "in other forms": dict(
        status_body='{"status": "ERROR", "error": {"message": "denied ECHO_B64 / ECHO_UPPER / '
                    'ECHO_URL"}, "last_success_at": "2024-05-01T08:00:00Z"}',
        link_status=401, key_body='{"api key": "x"}'),
    # Echoed into collected text, into a value of the wrong type, into a 4xx body shown in the
    # reason, and into the value of a secret fact.
    "in values": dict(
        status_body='{"status": "ERROR", "error": {"message": "HTTP 503 for ECHO"}, '
                    '"last_success_at": "ECHO"}',
        link_status=401, key_body='{"api key": "ECHO"}'),
    # Echoed into a 5xx body, malformed JSON, and a key in the JSON.
    "in errors": dict(
        status_body='{"ECHO": 1, "status": "ERROR", "error": {"message": "x"}, '
                    '"last_success_at": "2024-05-01T08:00:00Z"}',
        link_status=500, key_body="ECHO is not JSON"),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_token_never_leaves_through_the_diagnosis_reports_or_logs(
    hub_kb, hub, runner, caplog, scenario: str
) -> None:
    _echoing(hub, **SCENARIOS[scenario])  # type: ignore[arg-type]
    caplog.set_level(logging.DEBUG)  # every logger, httpx and stamina included
    facts = {"group.id": "cld-42"}
    result = diagnose(facts, pack="hub", kb=hub_kb, now=NOW, collect=runner)
    assert len(hub.log) >= 3  # every collector ran and the hub saw the token each time
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r, _ in hub.log)
    outputs = {
        "diagnosis": result.model_dump_json(),
        "text": to_text(result),
        "markdown": render_ticket(ticket_from_case(result, facts)),
        "logs": caplog.text,
    }
    for name, text in outputs.items():
        for form in (TOKEN, _b64(TOKEN), TOKEN.upper()):
            assert form not in text, f"the token leaked through {name}"
        assert "canary" not in text.lower(), f"part of the token leaked through {name}"
    assert result.collected or result.not_collected
    if "api.key" in result.collected:
        assert result.collected["api.key"].value == "***"  # a secret fact stays hidden


def test_the_token_never_leaves_through_the_command_line(hub, monkeypatch) -> None:
    _echoing(hub, **SCENARIOS["in values"])  # type: ignore[arg-type]
    monkeypatch.setenv("TEST_HUB_URL", hub.url_for("/"))
    monkeypatch.setenv("TEST_HUB_TOKEN", TOKEN)
    case = FIXTURES / "collect_kb" / "case.yaml"
    for output in ("text", "markdown", "json"):
        done = CliRunner().invoke(app, ["diagnose", str(case), "--kb",
                                        str(FIXTURES / "collect_kb"), "--collect",
                                        "--format", output])
        assert done.exit_code == 0, done.output
        assert "collected from GET http://127.0.0.1" in done.output or output == "json"
        assert TOKEN not in done.output and "canary" not in done.output
