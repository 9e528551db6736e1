"""The page's static files: the vendored htmx, the page's own script and style sheet, the icon.

Served from a fixed list read once from the package (no file-system path comes from a request),
with a long cache life: each URL changes only with a release.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

from starlette.responses import Response

__all__ = ["STATIC_FILES", "static_response"]

STATIC_FILES = {
    "htmx.min.js": "text/javascript; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


@cache
def _content(name: str) -> tuple[bytes, str]:
    data = files("syncdoctor.web").joinpath("static", name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def static_response(name: str) -> Response:
    """The file, or 404 for any name not in the list."""
    media = STATIC_FILES.get(name)
    if media is None:
        return Response("no such file", status_code=404, media_type="text/plain")
    data, etag = _content(name)
    return Response(data, media_type=media, headers={
        "cache-control": "public, max-age=3600", "etag": etag,
        "x-content-type-options": "nosniff"})
