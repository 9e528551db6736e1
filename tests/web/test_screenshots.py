"""The screenshots in docs/agents.md show the page as it is (compared by HTML hash, not pixels)."""

from __future__ import annotations

from playwright.sync_api import Playwright
from screens import recorded, scenario
from web_browser import chromium
from web_server import serve


def test_the_screenshots_are_not_stale(playwright: Playwright) -> None:
    with serve("memory:") as base, chromium(playwright) as context:
        first = scenario(context, base)
    assert first == recorded(), (
        "the page changed since docs/images/web-*.png were taken: run `make screenshots` "
        "and commit the new pictures")
