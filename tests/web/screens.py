"""The screenshots in docs/agents.md: one scenario, and the hash of the HTML each was taken from.

``scripts/screenshots.py`` runs the scenario and writes the PNGs and ``web-screenshots.json``;
``test_screenshots.py`` runs it again and compares the hashes, so that a change to the page
that the pictures no longer show fails until they are regenerated. The hash is of the page's
HTML with what changes from run to run (session ids, tokens, times, the port) masked: never of
pixels, which differ between machines.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from agent import TERMS_MESSAGE, skip_to_result, start_with_message
from playwright.sync_api import BrowserContext, Page

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "docs" / "images"
RECORD = IMAGES / "web-screenshots.json"
SHOTS = ("start", "question", "result")

_VOLATILE = [
    (re.compile(r'name="csrf" value="[^"]*"'), 'name="csrf" value="TOKEN"'),
    (re.compile(r"\b[0-9a-f]{32}\b"), "SESSION"),
    (re.compile(r"127\.0\.0\.1:\d+"), "HOST"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|\+00:00| UTC)?"), "MOMENT"),
    (re.compile(r"knowledge base [0-9a-f]{12}"), "knowledge base KB"),
]


def normalised(html: str) -> str:
    """The page's HTML with what differs between two runs of the scenario masked."""
    for pattern, mask in _VOLATILE:
        html = pattern.sub(mask, html)
    return html


def _shot(page: Page, name: str, out: Path | None, hashes: dict[str, str], *,
          full_page: bool = False) -> None:
    hashes[name] = hashlib.sha256(normalised(page.content()).encode()).hexdigest()
    if out is not None:
        page.screenshot(path=str(out / f"web-{name}.png"), full_page=full_page)


def scenario(context: BrowserContext, base: str, out: Path | None = None) -> dict[str, str]:
    """Start from the terms-code message, skip to the result, then the start page with it.

    Needs a server over an empty store (the start page lists its sessions). Returns each
    screenshot's HTML hash; writes the PNGs into ``out`` when given.
    """
    context.clear_cookies()
    page = context.new_page()
    try:
        hashes: dict[str, str] = {}
        start_with_message(page, base, TERMS_MESSAGE)
        _shot(page, "question", out, hashes)
        skip_to_result(page)
        _shot(page, "result", out, hashes, full_page=True)
        page.goto(f"{base}/")
        _shot(page, "start", out, hashes)
        return hashes
    finally:
        page.close()


def recorded() -> dict[str, str]:
    """The hashes the committed screenshots were taken from."""
    data = json.loads(RECORD.read_text(encoding="utf-8"))
    return {name: data[name]["html_sha256"] for name in SHOTS}


def record(hashes: dict[str, str]) -> None:
    """Write the hashes next to the screenshots."""
    data = {name: {"file": f"web-{name}.png", "html_sha256": hashes[name]} for name in SHOTS}
    RECORD.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
