"""``syncdoctor tools``, ``syncdoctor serve`` and ``syncdoctor mcp``: the doors for chatbots."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from syncdoctor.cli._common import KbOption, ServeCollectOption, StoreOption, fail, open_kb
from syncdoctor.errors import SyncdoctorError

__all__ = ["mcp", "serve", "tools"]


class ToolFormat(enum.StrEnum):
    """Which tool-schema dialect to print."""

    openai = "openai"
    anthropic = "anthropic"
    mcp = "mcp"
    json_schema = "json-schema"


class Transport(enum.StrEnum):
    """How the MCP server talks."""

    stdio = "stdio"
    http = "http"


def _service_missing(error: ImportError) -> None:
    typer.echo(f"error: this command needs the service extra: pip install 'syncdoctor[service]' "
               f"({error.name} is missing)", err=True)
    raise typer.Exit(2)


def tools(
    output: Annotated[ToolFormat, typer.Option("--format", "-f", help="Schema dialect.")
                      ] = ToolFormat.json_schema,
    pack: Annotated[str | None, typer.Option(help="Narrow the facts to one pack.")] = None,
    kb: KbOption = None,
) -> None:
    """Print the tool schemas a language model needs (OpenAI strict mode, Anthropic, MCP)."""
    from syncdoctor.tools.schemas import tool_schemas

    try:
        schemas = tool_schemas(open_kb(kb), output.value, pack=pack)
    except SyncdoctorError as error:
        fail(error)
    sys.stdout.write(json.dumps(schemas, indent=2, ensure_ascii=False) + "\n")


OriginOption = Annotated[list[str] | None, typer.Option(
    "--allow-origin", help="A browser origin allowed to call (repeat); others get 403.")]
HostOption = Annotated[list[str] | None, typer.Option(
    "--allow-host", help="A host name clients reach the service by, besides 127.0.0.1, "
    "localhost, ::1 and --host (repeat; '*' for any, e.g. behind a proxy that checks it); "
    "others get 421.")]


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 keeps it local.")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    store: StoreOption = None,
    allow_origin: OriginOption = None,
    allow_host: HostOption = None,
    max_body: Annotated[int, typer.Option(help="Largest request body, in bytes.")
                        ] = 1_000_000,
    deadline: Annotated[float, typer.Option(help="Seconds a request may wait for the engine.")
                        ] = 10.0,
    kb: KbOption = None,
    collect: ServeCollectOption = False,
) -> None:
    """Serve the HTTP JSON API, and the agents' web page at /. Keys: SYNCDOCTOR_API_KEYS(_FILE)."""
    try:
        from syncdoctor.service.config import LOOPBACK_HOSTS, ServiceConfig
        from syncdoctor.service.run import run_service
    except ImportError as error:
        _service_missing(error)
    config = ServiceConfig(
        kb=tuple(str(Path(p).resolve()) for p in kb or ()), store=store,
        max_body_bytes=max_body, deadline_seconds=deadline,
        allowed_origins=tuple(allow_origin or ()), collect=collect,
        allowed_hosts=(*LOOPBACK_HOSTS, host, *(allow_host or ())),
    )
    try:
        run_service(config, host=host, port=port, workers=workers)
    except SyncdoctorError as error:
        fail(error)


def mcp(
    transport: Annotated[Transport, typer.Option(help="stdio (a desktop client starts it) or "
                                                 "http (streamable HTTP).")] = Transport.stdio,
    host: Annotated[str, typer.Option(help="Address to bind, for http.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port, for http.")] = 8081,
    store: StoreOption = None,
    allow_origin: OriginOption = None,
    kb: KbOption = None,
    collect: ServeCollectOption = False,
) -> None:
    """Serve the tools over MCP (Model Context Protocol)."""
    try:
        from syncdoctor.mcp.server import run_mcp
    except ImportError as error:
        _service_missing(error)
    from syncdoctor.cli.interview import collectors

    try:
        with collectors(collect) as runner:
            run_mcp(open_kb(kb), transport=transport.value, host=host, port=port, store=store,
                    allowed_origins=tuple(allow_origin or ()), collectors=runner)
    except SyncdoctorError as error:
        fail(error)
