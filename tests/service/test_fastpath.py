"""POST /v1/diagnose answered below FastAPI's routing: the same bytes as the route, or the route.

A body sent as ``application/json; x=y`` is not one the fast path takes (it passes on any
content type but plain JSON), so it reaches the FastAPI route: comparing the two answers compares
the two ways through the service, on a real uvicorn server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import uvicorn_thread

import syncdoctor.service.fastpath as fastpath
from syncdoctor.casefile import read_case
from syncdoctor.service.app import create_app
from syncdoctor.service.config import ApiKeys, ServiceConfig

REPO = Path(__file__).resolve().parents[2]
FAST = {"content-type": "application/json"}
ROUTE = {"content-type": "application/json; x=route"}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    app = create_app(ServiceConfig(store="memory:", max_body_bytes=50_000), keys=ApiKeys([]))
    with uvicorn_thread(app) as url:
        yield url


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The packs the fast path diagnosed (the FastAPI route calls its own binding)."""
    calls: list[str] = []
    real = fastpath.diagnose_request

    def counted(request: Any, *args: Any) -> Any:
        calls.append(str(request.pack))
        return real(request, *args)

    monkeypatch.setattr(fastpath, "diagnose_request", counted)
    return calls


def _body(path: Path) -> bytes:
    case = read_case(path)
    payload = {"facts": case.facts, "pack": case.pack, "now": case.now or "2024-05-01T12:00:00Z",
               "unknown": list(case.unknown)}
    return json.dumps(payload, default=str).encode()


def _post(base: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{base}/v1/diagnose", content=body, headers=headers, timeout=30)


@pytest.mark.parametrize("example", sorted((REPO / "examples").glob("*/*.yaml"))[::7],
                         ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_the_fast_path_answers_the_routes_bytes(base: str, taken: list[str],
                                                example: Path) -> None:
    body = _body(example)
    fast = _post(base, body, FAST)
    assert len(taken) == 1  # answered by the fast path
    routed = _post(base, body, ROUTE)
    assert len(taken) == 1  # ... and this one by FastAPI's route
    assert fast.status_code == routed.status_code == 200
    assert fast.content == routed.content
    assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert fast.headers["content-length"] == routed.headers["content-length"]
    assert fast.headers["x-request-id"] != routed.headers["x-request-id"]


@pytest.mark.parametrize(("payload", "code"), [
    ({"pack": "no_such_pack", "facts": {}}, "PackError"),
    ({"pack": "impac", "facts": {"no.such": [[[[[[[[]]]]]]]]}}, "FactError"),
])
def test_our_errors_are_the_same_problem_both_ways(base: str, taken: list[str],
                                                   payload: dict[str, Any], code: str) -> None:
    body = json.dumps(payload).encode()
    fast, routed = _post(base, body, FAST), _post(base, body, ROUTE)
    assert taken == [payload["pack"]]
    assert fast.status_code == routed.status_code >= 400
    assert fast.headers["content-type"] == "application/problem+json"
    first, second = fast.json(), routed.json()
    assert first.pop("request_id") != second.pop("request_id")
    assert first == second and first["code"] == code


@pytest.mark.parametrize("body", [
    b'{"facts": {"sync.status": "failed"}, "max_questions": -1}',  # invalid: a field at fault
    b'{"facts": ',                                                  # not JSON
    b'{"facts": {}, "surprise": 1}',                                # an unknown key
    b'{"facts": {}, "collect": true}',                              # collecting: the route's
    b"",
], ids=["invalid", "malformed", "unknown-key", "collect", "empty"])
def test_anything_else_goes_to_the_route(base: str, taken: list[str], body: bytes) -> None:
    fast, routed = _post(base, body, FAST), _post(base, body, ROUTE)
    assert taken == []
    assert fast.status_code == routed.status_code
    assert fast.status_code >= 400
    first, second = fast.json(), routed.json()
    first.pop("request_id", None)
    second.pop("request_id", None)
    assert first == second


def test_other_routes_and_methods_are_untouched(base: str, taken: list[str]) -> None:
    assert httpx.get(f"{base}/v1/diagnose", timeout=30).status_code == 405
    assert httpx.post(f"{base}/v1/diagnose/", content=b"{}", headers=FAST,
                      timeout=30).status_code in (307, 404)
    assert taken == []
