"""Which paths are the page's: they sign in with the page's cookie, not an API key header."""

from __future__ import annotations

__all__ = ["BROWSER_PREFIXES", "is_browser_path", "wants_a_page"]

BROWSER_PREFIXES = ("/s/", "/static/")
BROWSER_PATHS = frozenset({"/", "/start", "/sign-in", "/sign-out"})


def is_browser_path(path: str) -> bool:
    """Whether ``path`` belongs to the web page (which checks its own sign-in cookie)."""
    return path in BROWSER_PATHS or path.startswith(BROWSER_PREFIXES)


_API_PREFIXES = ("/v1/", "/docs", "/openapi.json")


def wants_a_page(path: str, accept: str | None, htmx: bool) -> bool:
    """Whether an error on ``path`` should be a page: a browser's visit or form post.

    A browser asks for ``text/html``; an API client, the API's paths and htmx's requests for a
    fragment (which put what they get into the page) keep the problem+json.
    """
    if htmx or path == "/v1" or path.startswith(_API_PREFIXES):
        return False
    return accept is not None and "text/html" in accept.lower()
