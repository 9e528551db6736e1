"""Regenerate the web page's screenshots in docs/images/ (``make screenshots``).

Starts the service on a free loopback port over a memory store, drives Debian's Chromium
through the scenario of ``tests/web/screens.py``, and writes web-start.png, web-question.png,
web-result.png and web-screenshots.json (the hash of the HTML of each, which
tests/web/test_screenshots.py checks for staleness). Prints the hashes as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "web")]

from screens import IMAGES, record, scenario  # noqa: E402
from web_browser import chromium, driver, why_no_browser  # noqa: E402
from web_server import serve  # noqa: E402


def main() -> int:
    """Take the screenshots; 1 when no browser can run."""
    reason = why_no_browser()
    if reason:
        print(f"no browser: {reason}", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with serve("memory:") as base, driver() as playwright, chromium(playwright) as context:
        hashes = scenario(context, base, IMAGES)
    record(hashes)
    print(json.dumps(hashes, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
