"""Reading a post: signed in, a form, and the CSRF token matching this browser's cookie."""

from __future__ import annotations

from starlette.requests import Request

from syncdoctor.web.forms import Form, parse_form
from syncdoctor.web.pages import Pages
from syncdoctor.web.security import CSRF_COOKIE, CSRF_FIELD, csrf_matches

__all__ = ["FORM_TYPE", "Refused", "read_post"]

FORM_TYPE = "application/x-www-form-urlencoded"


class Refused(Exception):
    """A request the page turns down before doing anything (no token, not signed in)."""

    def __init__(self, status: int, heading: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.heading = heading
        self.message = message


async def read_post(request: Request, pages: Pages, *, signing_in: bool = False) -> Form:
    """The posted form, once the browser is signed in and its token checks.

    Signing in is the one post made before the browser is signed in; its token is checked all
    the same (a forged sign-in could plant someone else's key in this browser).

    Raises:
        Refused: not signed in (401), not a form (415), a missing or wrong token (403).
        FactError: a form that cannot be read (too many fields, not UTF-8).
    """
    if not signing_in and not pages.signed_in(request):
        raise Refused(401, "Sign in first", "This service needs an API key: sign in.")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != FORM_TYPE:
        raise Refused(415, "Not a form", f"Forms are posted as {FORM_TYPE}.")
    form = parse_form(await request.body())
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), form.get(CSRF_FIELD)):
        raise Refused(403, "The form has expired",
                      "This form's security token does not match this browser's: reload the "
                      "page and try again.")
    return form
