r"""The examples each command's ``--help`` ends with, kept in one place (a test checks them all).

Click rewraps help paragraphs; a paragraph that starts with ``\\b`` is printed as written, one
example per line.
"""

from __future__ import annotations

__all__ = ["EXAMPLES", "epilog"]

EXAMPLES: dict[str, tuple[str, ...]] = {
    "interview": (
        "syncdoctor interview",
        "syncdoctor interview --pack sage300",
        "syncdoctor interview examples/impac/almost-nothing.yaml",
        "syncdoctor interview --store sqlite:sessions.db --pack impac",
    ),
    "diagnose": (
        "syncdoctor diagnose examples/impac/sync-failed-app-api.yaml",
        "syncdoctor diagnose case.yaml --format markdown > ticket.md",
        "echo '{\"facts\": {\"error.message\": \"1020 - Terms Code F48 is not defined\"}}' "
        "| syncdoctor diagnose -",
    ),
    "packs": ("syncdoctor packs", "syncdoctor packs --format json"),
    "reconcile": (
        "syncdoctor reconcile --ui ui.csv --api api.json --hub hub.json --case case.yaml",
        "syncdoctor reconcile --ui ui.xlsx --api api.ndjson --hub hub.json --report widget.csv "
        "--mapping mapping.yaml --out report.md --case case.yaml",
        "syncdoctor interview --case case.yaml",
    ),
    "facts": (
        "syncdoctor facts sage300",
        "syncdoctor facts --format json | jq '.[] | select(.type == \"enum\") | .id'",
    ),
    "new-case": ("syncdoctor new-case sage300 > case.yaml", "syncdoctor diagnose case.yaml"),
    "sessions list": (
        "syncdoctor sessions list",
        "syncdoctor sessions list --format json --store sqlite:sessions.db",
    ),
    "sessions show": ("syncdoctor sessions show 3f2a9c0d...",),
    "sessions resume": ("syncdoctor sessions resume 3f2a9c0d...",),
    "sessions export": (
        "syncdoctor sessions export 3f2a9c0d... > ticket.md",
        "syncdoctor sessions export 3f2a9c0d... --format json",
    ),
    "sessions delete": ("syncdoctor sessions delete 3f2a9c0d...",),
    "tools": (
        "syncdoctor tools --format openai --pack impac > tools.json",
        "syncdoctor tools --format mcp",
    ),
    "serve": (
        "syncdoctor serve",
        "SYNCDOCTOR_API_KEYS_FILE=/etc/syncdoctor/keys syncdoctor serve --workers 2 "
        "--store sqlite:///srv/syncdoctor/sessions.db",
    ),
    "mcp": (
        "syncdoctor mcp",
        "syncdoctor mcp --transport http --port 8081 --allow-origin https://desk.example",
    ),
    "kb lint": (
        "syncdoctor kb lint",
        "syncdoctor kb lint --kb ./our-kb --no-bundled --fail-on warning --no-figures",
        "syncdoctor kb lint --format json",
    ),
    "kb test": (
        "syncdoctor kb test",
        "syncdoctor kb test --kb ./our-kb --no-bundled",
    ),
    "kb new-pack": (
        "syncdoctor kb new-pack billing_sync --into ./our-kb",
        "syncdoctor kb lint --kb ./our-kb --no-bundled",
    ),
    "kb schema": (
        "syncdoctor kb schema --kind rules",
        "syncdoctor kb schema --out schema",
    ),
    "kb docs": (
        "syncdoctor kb docs --out docs/packs",
        "syncdoctor kb docs --kb ./our-kb --no-bundled --out site/packs",
    ),
    "cache clear": ("syncdoctor cache clear",),
    "cache path": ("syncdoctor cache path",),
}


def epilog(command: str) -> str:
    """The help's last paragraph for ``command``: its examples, one per line."""
    lines = "\n".join(f"  {line}" for line in EXAMPLES[command])
    return f"\b\nExamples:\n{lines}"
