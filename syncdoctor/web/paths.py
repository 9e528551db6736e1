"""Which paths are the page's: they sign in with the page's cookie, not an API key header."""

from __future__ import annotations

__all__ = ["BROWSER_PREFIXES", "is_browser_path"]

BROWSER_PREFIXES = ("/s/", "/static/")
BROWSER_PATHS = frozenset({"/", "/start", "/sign-in", "/sign-out"})


def is_browser_path(path: str) -> bool:
    """Whether ``path`` belongs to the web page (which checks its own sign-in cookie)."""
    return path in BROWSER_PATHS or path.startswith(BROWSER_PREFIXES)
