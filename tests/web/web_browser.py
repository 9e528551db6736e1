"""Debian's Chromium under Playwright, for the web page's tests and the screenshot script.

No pytest-playwright (it warns under pytest 9, and ``filterwarnings = error`` makes that a
failure) and no ``playwright install`` (it downloads a browser, which cannot be done here): the
browser is the system's, started with ``executable_path`` and a fresh user-data dir.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import BrowserContext, Playwright, sync_playwright

CHROMIUM = Path(os.environ.get("SYNCDOCTOR_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_ENV = "SYNCDOCTOR_REQUIRE_BROWSER"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}


def why_no_browser() -> str | None:
    """Why no browser can run here, or None when one can."""
    if not CHROMIUM.exists():
        return (f"no Chromium at {CHROMIUM}: apt-get install chromium (make test does so as "
                "root), or set SYNCDOCTOR_CHROMIUM")
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not executable"
    return None


@contextlib.contextmanager
def chromium(playwright: Playwright, *, javascript: bool = True) -> Iterator[BrowserContext]:
    """A fresh Chromium (new user-data dir, 1280x800, UTC) as one browser context."""
    profile = tempfile.mkdtemp(prefix="syncdoctor-chromium-")
    try:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport=VIEWPORT, java_script_enabled=javascript, locale="en-GB",
            timezone_id="UTC", permissions=["clipboard-read", "clipboard-write"])
        try:
            yield context
        finally:
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def driver() -> Iterator[Playwright]:
    """Playwright's driver: one per process (a second sync one in the same thread fails)."""
    with sync_playwright() as playwright:
        yield playwright
