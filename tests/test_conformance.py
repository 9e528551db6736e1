"""One contract, four doors: every bundled example gives the same Diagnosis JSON through the
Python function, the CLI (--format json), HTTP (a real uvicorn server) and MCP (the SDK's own
client, over stdio and over streamable HTTP)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from mcp import Client, StdioServerParameters
from servers import SYNCDOCTOR, free_port, uvicorn_thread
from typer.testing import CliRunner

from syncdoctor.casefile import CaseFile, read_case
from syncdoctor.cli import app as cli_app
from syncdoctor.engine.knowledge import default_kb
from syncdoctor.mcp.server import build_server, transport_security
from syncdoctor.service.app import create_app
from syncdoctor.tools import diagnose

from support import REPO

EXAMPLES = sorted((REPO / "examples").glob("*/*.yaml"))
CASES: dict[str, CaseFile] = {f"{p.parent.name}/{p.stem}": read_case(p) for p in EXAMPLES}


def _iso(value: object) -> str:
    assert isinstance(value, datetime | date), type(value)
    return value.isoformat()


def _arguments(case: CaseFile) -> dict[str, object]:
    """The case as the JSON a chatbot sends (YAML datetimes as ISO 8601 text)."""
    args = {"facts": case.facts, "pack": case.pack, "now": case.now,
            "unknown": list(case.unknown)}
    return json.loads(json.dumps({k: v for k, v in args.items() if v is not None}, default=_iso))


def _python(case: CaseFile) -> object:
    result = diagnose(case.facts, pack=case.pack, now=case.now, unknown=case.unknown)
    return json.loads(result.model_dump_json())


@pytest.fixture(scope="module")
def over_http() -> Iterator[dict[str, object]]:
    with uvicorn_thread(create_app()) as base, httpx.Client(base_url=base) as client:
        out = {}
        for name, case in CASES.items():
            response = client.post("/v1/diagnose", json=_arguments(case))
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/json"
            out[name] = response.json()
        yield out


async def _mcp_results(client: Client) -> dict[str, object]:
    out = {}
    for name, case in CASES.items():
        result = await client.call_tool("diagnose", _arguments(case))
        assert not result.is_error, result.content
        out[name] = result.structured_content
    return out


@pytest.fixture(scope="module")
def over_mcp_stdio() -> dict[str, object]:
    async def run() -> dict[str, object]:
        params = StdioServerParameters(command=SYNCDOCTOR, args=["mcp", "--store", "memory:"],
                                       cwd=str(REPO))
        async with Client(params) as client:
            return await _mcp_results(client)

    return asyncio.run(run())


@pytest.fixture(scope="module")
def over_mcp_http() -> Iterator[dict[str, object]]:
    port = free_port()
    server = build_server(default_kb())
    app = server.streamable_http_app(transport_security=transport_security("127.0.0.1", port, ()))

    async def run(base: str) -> dict[str, object]:
        async with Client(f"{base}/mcp") as client:
            return await _mcp_results(client)

    with uvicorn_thread(app, port) as base:
        yield asyncio.run(run(base))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_door_gives_the_same_diagnosis(name: str, over_http, over_mcp_stdio,
                                             over_mcp_http) -> None:
    case = CASES[name]
    expected = _python(case)
    path = REPO / "examples" / f"{name}.yaml"
    printed = CliRunner().invoke(cli_app, ["diagnose", str(path), "--format", "json"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == expected, "CLI"
    assert over_http[name] == expected, "HTTP"
    assert over_mcp_stdio[name] == expected, "MCP over stdio"
    assert over_mcp_http[name] == expected, "MCP over streamable HTTP"


def test_the_cli_process_prints_the_python_bytes() -> None:
    path: Path = EXAMPLES[0]
    case = read_case(path)
    result = diagnose(case.facts, pack=case.pack, now=case.now, unknown=case.unknown)
    printed = subprocess.run([SYNCDOCTOR, "diagnose", str(path), "--format", "json"],
                             capture_output=True, check=True, cwd=REPO)
    assert printed.stdout.decode() == result.model_dump_json(indent=2) + "\n"


def test_http_sends_the_python_bytes(over_http) -> None:
    name = sorted(CASES)[0]
    case = CASES[name]
    with uvicorn_thread(create_app()) as base:
        body = httpx.post(f"{base}/v1/diagnose", json=_arguments(case)).content
    python = diagnose(case.facts, pack=case.pack, now=case.now, unknown=case.unknown)
    assert body.decode() == python.model_dump_json()
