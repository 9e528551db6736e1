"""`syncdoctor mcp` serves a warm knowledge base, frozen out of the collector's reach."""

from __future__ import annotations

import asyncio
import gc

from mcp import Client

from syncdoctor.engine.knowledge import load_kb
from syncdoctor.mcp.server import ready_server


def test_the_server_starts_warm_and_frozen_with_every_tool() -> None:
    kb = load_kb()
    renderers = [r for pack_id in sorted(kb.packs) for r in kb.packs[pack_id].templates.renderers]
    assert all(r._template is None for r in renderers)  # the server's start is what compiles
    server = ready_server(kb, store="memory:", collectors=None)
    assert all(r._template is not None or "{" not in r.source for r in renderers)
    # The permanent generation is not listed: a compiled template there tells it was frozen.
    template = next(r._template for r in renderers if r._template is not None)
    assert id(template) not in {id(o) for o in gc.get_objects()}

    async def names() -> set[str]:
        async with Client(server) as client:
            return {t.name for t in (await client.list_tools()).tools}

    assert {"diagnose", "start_interview", "answer", "undo"} <= asyncio.run(names())
