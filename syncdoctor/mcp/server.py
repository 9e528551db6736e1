"""The MCP server: the tools contract over the Model Context Protocol (official SDK, MCPServer).

Tools return structured output (the pydantic models' JSON, with their output schemas) and, on a
mistake, an error result whose structured content is the same :class:`ToolProblem` the HTTP
service answers. Input schemas are the generated ones (typed ``facts``, see
:mod:`syncdoctor.tools.schemas`). Resources: the packs, each pack's fact catalogue, and each
pack's page with every cause's remediation; with a store, each session's report.

Over streamable HTTP, Host and Origin are checked (421 / 403): loopback names by default, and the
origins given with ``--allow-origin``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resources import TextResource
from mcp.server.mcpserver.tools import Tool
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from syncdoctor._gc import building_for_good
from syncdoctor._version import __version__
from syncdoctor.authoring.docs import render_pack_docs
from syncdoctor.diagnosis.result import CauseAccount, Diagnosis
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.errors import SyncdoctorError
from syncdoctor.interview.errors import StoreError
from syncdoctor.tools.catalogue import FactCatalogue, PackList, catalogue_of, pack_list
from syncdoctor.tools.contract import call_tool
from syncdoctor.tools.problems import problem_of
from syncdoctor.tools.schemas import TOOLS, ToolSpec, tool_schemas
from syncdoctor.tools.sessions import SESSION_TOOLS
from syncdoctor.types import JsonValue
from syncdoctor.web.security import is_loopback

if TYPE_CHECKING:
    from syncdoctor.collectors.runner import Collectors

__all__ = ["build_server", "ready_server", "result_of", "run_mcp", "transport_security"]

STATEFUL = frozenset(SESSION_TOOLS)
"""Tools offered only when an interview store is given (``extra``)."""

INSTRUCTIONS = (
    "syncdoctor diagnoses data that differs or fails to sync between business applications "
    "and the hubs they feed. Call diagnose with what the user told you; ask the user the first "
    "of the returned questions; call again with the answer added to facts. explain says why a "
    "cause the user expected was not concluded."
)

store_logger = logging.getLogger("syncdoctor.mcp")

Caller = Callable[[str, Mapping[str, JsonValue]], BaseModel]
"""Runs one tool by name with JSON arguments (the contract, or the interview's tools)."""


def result_of(run: Callable[[], BaseModel]) -> CallToolResult:
    """A structured result, or an error result carrying the ToolProblem."""
    try:
        model = run()
    except SyncdoctorError as error:
        problem = problem_of(error).model_dump(mode="json")
        if isinstance(error, StoreError) and error.http_status >= 500:
            # The client reads what failed; the operator reads where (the store, the hint).
            store_logger.error("%s", error)
        return CallToolResult(content=[TextContent(type="text", text=json.dumps(problem))],
                              structured_content=problem, is_error=True)
    data = model.model_dump(mode="json")
    return CallToolResult(content=[TextContent(type="text", text=model.model_dump_json())],
                          structured_content=data)


def _arguments(**given: JsonValue) -> dict[str, JsonValue]:
    return {name: value for name, value in given.items() if value is not None}


def stateless_tools(call: Caller) -> dict[str, Callable[..., CallToolResult]]:
    """The functions behind the stateless tools; arguments are validated by the contract."""
    # Parameters are JSON values at a JSON boundary: the contract's models type them.

    def diagnose(
        facts: JsonValue = None, pack: JsonValue = None, unknown: JsonValue = None,
        now: JsonValue = None, max_questions: JsonValue = None, include: JsonValue = None,
        collect: JsonValue = None,
    ) -> Annotated[CallToolResult, Diagnosis]:
        args = _arguments(facts=facts, pack=pack, unknown=unknown, now=now,
                          max_questions=max_questions, include=include, collect=collect)
        return result_of(lambda: call("diagnose", args))

    def explain(
        cause: JsonValue = None, pack: JsonValue = None, facts: JsonValue = None,
        now: JsonValue = None, session: JsonValue = None,
    ) -> Annotated[CallToolResult, CauseAccount]:
        args = _arguments(cause=cause, pack=pack, facts=facts, now=now, session=session)
        return result_of(lambda: call("explain", args))

    def list_packs() -> Annotated[CallToolResult, PackList]:
        return result_of(lambda: call("list_packs", {}))

    def describe_facts(pack: JsonValue = None) -> Annotated[CallToolResult, FactCatalogue]:
        return result_of(lambda: call("describe_facts", _arguments(pack=pack)))

    return {"diagnose": diagnose, "explain": explain, "list_packs": list_packs,
            "describe_facts": describe_facts}


def _tools(kb: KnowledgeBase, specs: Sequence[ToolSpec],
           functions: dict[str, Callable[..., CallToolResult]]) -> list[Tool]:
    schemas = {s["name"]: s for s in tool_schemas(kb, "mcp", tools=specs)}
    tools = []
    for spec in specs:
        tool = Tool.from_function(functions[spec.name], name=spec.name,
                                  description=spec.description, structured_output=True)
        published = schemas[spec.name]["inputSchema"]
        assert isinstance(published, dict)
        tool.parameters = published  # the typed schema, not the loose signature's
        tools.append(tool)
    return tools


def _resources(kb: KnowledgeBase) -> list[TextResource]:
    pages = render_pack_docs(kb)
    out = [TextResource(uri="syncdoctor://packs", name="packs", mime_type="application/json",
                        description="Every pack, with its causes.",
                        text=pack_list(kb).model_dump_json())]
    for pack_id in sorted(kb.packs):
        pack = kb.packs[pack_id]
        out.append(TextResource(
            uri=f"syncdoctor://packs/{pack_id}/facts", name=f"{pack_id} facts",
            mime_type="application/json", description=f"The fact catalogue of {pack_id}.",
            text=catalogue_of(pack).model_dump_json()))
        out.append(TextResource(
            uri=f"syncdoctor://packs/{pack_id}/page", name=f"{pack_id} page",
            mime_type="text/markdown",
            description=f"{pack.playbook.title}: steps, causes, rules and remediation.",
            text=pages[f"{pack_id}.md"]))
    return out


def build_server(
    kb: KnowledgeBase,
    *,
    extra: Sequence[ToolSpec] = (),
    extra_functions: dict[str, Callable[..., CallToolResult]] | None = None,
    call: Caller | None = None,
    collectors: Collectors | None = None,
) -> MCPServer[object]:
    """The MCP server over ``kb``; ``extra`` tools (the interview's) join the stateless ones.

    ``collectors``: what a ``collect: true`` call fetches with (``syncdoctor mcp --collect``).
    """
    caller: Caller = call or (lambda name, args: call_tool(name, args, kb=kb,
                                                           collectors=collectors))
    functions = {**stateless_tools(caller), **(extra_functions or {})}
    names = {t.name for t in extra}
    stateless = [t for t in TOOLS if t.name not in STATEFUL or t.name in names]
    tools = _tools(kb, stateless, functions)
    return MCPServer("syncdoctor", version=__version__, instructions=INSTRUCTIONS,
                     tools=tools, resources=list(_resources(kb)), log_level="WARNING")


def transport_security(host: str, port: int, origins: Sequence[str]) -> TransportSecuritySettings:
    """Host and Origin checks: loopback names and the bound host, plus the allowed origins."""
    hosts = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=sorted(f"{h}:{port}" for h in hosts),
        allowed_origins=sorted({f"http://{h}:{port}" for h in hosts} | set(origins)),
    )


def run_mcp(
    kb: KnowledgeBase,
    *,
    transport: str,
    host: str = "127.0.0.1",
    port: int = 8081,
    store: str | None = None,
    allowed_origins: Sequence[str] = (),
    collectors: Collectors | None = None,
) -> None:
    """Serve over stdio or streamable HTTP until the client goes away or SIGINT.

    ``collectors``: what ``collect: true`` calls fetch with; None refuses them.
    """
    plain_log_lines()
    server = ready_server(kb, store=store, collectors=collectors)
    if transport == "stdio":
        server.run("stdio")
        return
    import uvicorn

    if not is_loopback(host):
        logging.getLogger("syncdoctor.mcp").warning(
            "listening on %s: MCP over HTTP has no API key, so anyone who reaches this address "
            "can call every tool; bind 127.0.0.1 and put an authenticating proxy in front", host)
    app = server.streamable_http_app(
        transport_security=transport_security(host, port, allowed_origins), host=host)
    # log_config=None: uvicorn's lines go to the handler above, in the same format.
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                server_header=False, log_config=None)


def ready_server(kb: KnowledgeBase, *, store: str | None,
                 collectors: Collectors | None) -> MCPServer:
    """The server `syncdoctor mcp` runs: every tool, over a warm knowledge base.

    As a service worker does (``syncdoctor.service.run``): every pack is built and every
    template compiled before the first call, which would otherwise pay for its pack's; and what
    lives as long as the process is frozen out of the collector's reach (syncdoctor._gc).
    """
    from syncdoctor.mcp.sessions import add_report_resource, interview_tools

    with building_for_good():
        kb.warm()
        extra, functions, call = interview_tools(kb, store, collectors)
        server = build_server(kb, extra=extra, extra_functions=functions, call=call)
        add_report_resource(server, call)
        return server


def plain_log_lines() -> None:
    """Log on stderr one line a record, ``LEVEL logger: message``, as `syncdoctor serve` does.

    Left alone, the SDK sets up rich's console handler, whose columns wrap a message over
    several lines with the time and the source file: hard to read in a log collector, and
    unlike the service's. Its set-up is ``logging.basicConfig``, which does nothing once the
    root logger has a handler.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
