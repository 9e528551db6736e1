"""Fixtures for the web page: the real service on uvicorn, and Debian's Chromium under Playwright.

When no browser can run, the browser tests are skipped loudly (the reason is in the report
header and the summary), or fail when SYNCDOCTOR_REQUIRE_BROWSER=1 (as .ci/run sets it).
Every page opened through the ``page`` fixture fails its test on any console error, uncaught
script error or dialog (an injected ``alert``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import BrowserContext, Error, Page, Playwright
from web_browser import REQUIRE_ENV, chromium, driver, why_no_browser
from web_server import serve

_skipped_reason: list[str] = []


def pytest_report_header() -> str:
    reason = why_no_browser()
    return f"web page tests: {'no browser: ' + reason if reason else 'Chromium found'}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_reason:
        terminalreporter.write_line(
            f"WEB PAGE TESTS SKIPPED, NO BROWSER RAN: {_skipped_reason[0]} "
            f"(set {REQUIRE_ENV}=1 to fail instead)", red=True, bold=True)


def _no_browser(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but no browser can run: {reason}", pytrace=False)
    _skipped_reason.append(reason)
    pytest.skip(f"NO BROWSER: {reason}")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service with the page, over a SQLite file of its own, on a free loopback port."""
    path = tmp_path_factory.mktemp("web") / "sessions.sqlite"
    with serve(f"sqlite:///{path}") as url:
        yield url


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it lives, and any later test calling asyncio.run() (the MCP client, the conformance
# checks) would fail in the same worker, as they do when xdist hands a worker such a test
# after a page test. ("package" scope does not end with a folder that has no __init__.py.)
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    reason = why_no_browser()
    if reason:
        _no_browser(reason)
    with driver() as running:
        yield running


def _started(playwright: Playwright, javascript: bool) -> Iterator[BrowserContext]:
    with contextlib.ExitStack() as stack:
        try:
            context = stack.enter_context(chromium(playwright, javascript=javascript))
        except Error as error:  # only the start: a test's own failure is not a skip
            _no_browser(f"Chromium did not start: {str(error).splitlines()[0]}")
        yield context


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[BrowserContext]:
    yield from _started(playwright, javascript=True)


@pytest.fixture(scope="module")
def browser_without_js(playwright: Playwright) -> Iterator[BrowserContext]:
    yield from _started(playwright, javascript=False)


@dataclass
class Watch:
    """What a page said that it should not have: console errors, script errors, dialogs."""

    problems: list[str] = field(default_factory=list)


def _watched(context: BrowserContext) -> Iterator[Page]:
    context.clear_cookies()
    page = context.new_page()
    page.set_default_timeout(15_000)
    watch = Watch()
    page.on("console", lambda m: watch.problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: watch.problems.append(f"page error: {e}"))

    def on_dialog(dialog):  # type: ignore[no-untyped-def]
        watch.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page
        page.wait_for_load_state()
        assert watch.problems == [], watch.problems
    finally:
        page.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    """A new page (cookies cleared); the test fails on any console error or dialog."""
    yield from _watched(browser)


@pytest.fixture
def page_without_js(browser_without_js: BrowserContext) -> Iterator[Page]:
    """The same with JavaScript off: every step is a full page load."""
    yield from _watched(browser_without_js)


