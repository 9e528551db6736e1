"""Rendering: the templates (autoescaped), the page headers, the cookies every page sets.

Templates are the package's own files; no value from a case ever becomes template source. Every
value is autoescaped, so a hostile error message shows as the text it is, and its control
characters and bidirectional overrides show as characters (ESC as ␛), as in the terminal and
the Markdown report: a pasted U+202E would make the page read a line out of order.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from syncdoctor._safe_text import shown_safely
from syncdoctor.report.ticket import brief_value
from syncdoctor.web.markdown import markdown_html
from syncdoctor.web.security import (
    AUTH_COOKIE,
    CSRF_COOKIE,
    PAGE_HEADERS,
    KeyRing,
    is_signed_in,
    new_csrf_token,
)
from syncdoctor.web.views import percent

__all__ = ["Pages", "error_page"]

def _visible(value: object) -> object:
    """Each value a template writes, its control characters shown (Markup stays Markup)."""
    return shown_safely(value) if isinstance(value, str) else value


_ENVIRONMENT = Environment(
    loader=PackageLoader("syncdoctor.web", "templates"),
    finalize=_visible,
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
_ENVIRONMENT.globals["percent"] = percent
_ENVIRONMENT.filters["markdown"] = markdown_html
_ENVIRONMENT.filters["brief"] = brief_value  # a fact's value beside a rule's reason
_ENVIRONMENT.filters["bound"] = lambda limit: int(limit) if float(limit).is_integer() else limit
"""A range's bound as the catalogue means it: min="0", not min="0.0"."""


def is_https(request: Request) -> bool:
    """Whether the browser reached us over TLS (then cookies are Secure)."""
    return request.url.scheme == "https"


class Pages:
    """Renders pages and fragments for one request, with the cookies and headers they need."""

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    def signed_in(self, request: Request) -> bool:
        """Whether the browser may use the page (no keys, or a valid sign-in cookie)."""
        return is_signed_in(self.keys, request.cookies.get(AUTH_COOKIE))

    def render(self, request: Request, template: str, context: Mapping[str, object],
               status: int = 200) -> Response:
        """A whole page; gives the browser a CSRF token if it has none."""
        token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        html = _ENVIRONMENT.get_template(template).render(
            {"error": None, "notice": None, "why_open": False, "result_view": False, **context,
             "csrf": token,
             "signed_in_with_key": self.keys.enabled and self.signed_in(request)})
        response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
        if request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict",
                                secure=is_https(request), path="/")
        return response

    def fragment(self, template: str, context: Mapping[str, object], status: int = 200
                 ) -> Response:
        """A piece of a page, for htmx to put in place."""
        html = _ENVIRONMENT.get_template(template).render(
            {"error": None, "result_view": False, **context})
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    def problem(self, request: Request, heading: str, message: str, status: int) -> Response:
        """A page that says what went wrong."""
        return self.render(request, "problem.html", {"heading": heading, "error": message},
                           status)

    @staticmethod
    def redirect(location: str) -> Response:
        """After a post: see the page (303, so a reload does not post again)."""
        return RedirectResponse(location, status_code=303, headers=PAGE_HEADERS)

    def to_sign_in(self, request: Request) -> Response:
        """A browser not signed in: to the sign-in page, coming back here after."""
        return self.redirect(f"/sign-in?next={quote(request.url.path, safe='/')}")


_ERROR_HEADINGS = {
    401: "Sign in first",
    403: "Refused",
    404: "No such page",
    413: "Too much at once",
    421: "Not this address",
}


def _error_words(status: int, detail: str, path: str) -> tuple[str, str]:
    """The heading and the sentence a browser is shown for a problem."""
    path = path if len(path) <= 120 else path[:120] + "..."
    heading = _ERROR_HEADINGS.get(status, "That did not work")
    if status == 404:
        return heading, f"There is no page at {path}."
    if status == 405 and detail.startswith(("GET ", "HEAD ")):  # our 405 detail: "GET is ..."
        return "Not a page to open", (
            f"{path} takes a form's answer, not a visit (a reload after a post asks for it this "
            "way): start or resume a case from the first page.")
    if status == 405:
        return "Not a form", f"{path} is a page to open, not a form to send: open it instead."
    if status == 413:
        sent = detail.replace("the request body is", "what you sent is", 1)
        return heading, (sent[:1].upper() + sent[1:] + ", the most this service takes at once. "
                         "Send fewer rows at a time, or start the service with a larger "
                         "--max-body.")
    if status == 401:
        return heading, "This service needs a key: sign in on the first page."
    return heading, detail[:1].upper() + detail[1:] + ("" if detail.endswith(".") else ".")


def error_page(status: int, detail: str, path: str) -> bytes:
    """The page a browser is shown for an error the service answers itself.

    No route, a method not allowed, a body too large, a refusal: the problem's detail in the
    page's words, instead of the problem+json an API client gets. No cookie is set and no form
    is shown.
    """
    heading, words = _error_words(status, detail, path)
    html = _ENVIRONMENT.get_template("problem.html").render({
        "heading": heading, "error": words, "notice": None, "why_open": False,
        "result_view": False, "csrf": "", "signed_in_with_key": False})
    return html.encode()
