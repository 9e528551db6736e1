"""The tool loops in docs/chatbots.md run as written (no model is called: a script answers)."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from support import REPO

PAGE = (REPO / "docs" / "chatbots.md").read_text(encoding="utf-8")
RUNNABLE = re.findall(r"<!-- test: run -->\n```python\n(.*?)```", PAGE, flags=re.S)


def test_the_page_has_both_loops() -> None:
    assert len(RUNNABLE) == 2
    assert '"openai"' in RUNNABLE[0] and '"anthropic"' in RUNNABLE[1]


@pytest.mark.parametrize("code", RUNNABLE, ids=["openai", "anthropic"])
def test_the_loop_runs_to_an_answer(code: str) -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "docs/chatbots.md", "exec"), {})
    assert printed.getvalue().strip()
    if "openai" in code:
        assert printed.getvalue().startswith("Found it: ")
    else:
        assert "ruled out" in printed.getvalue()


def test_every_route_of_the_service_is_documented() -> None:
    from syncdoctor.service.app import create_app
    from syncdoctor.service.config import ApiKeys, ServiceConfig
    from syncdoctor.service.sessions import session_routes

    config = ServiceConfig(store="memory:")
    app = create_app(config, keys=ApiKeys([]), extend=session_routes(config))
    paths = {route.path for route in app.routes if route.path.startswith("/v1/")}
    for path in paths:
        shown = path.replace("{session_id}", "{id}").replace("{pack}", "{id}")
        assert f"{shown}`" in PAGE or f"{shown}?" in PAGE or f"{shown} " in PAGE, path
