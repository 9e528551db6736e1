"""Signing in once per browser session, when the service has API keys configured.

The browser types a key; the cookie it gets is HttpOnly, SameSite=Strict, without an expiry (it
ends with the browser session), Secure over TLS, and holds no key (see ``security``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from syncdoctor.web.pages import Pages, is_https
from syncdoctor.web.posts import read_post
from syncdoctor.web.security import AUTH_COOKIE, sign_in_cookie

__all__ = ["safe_next", "sign_in_routes"]


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or a URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


Guarded = Callable[[Request, Callable[[], Awaitable[Response]]], Awaitable[Response]]
"""Runs a route's action, turning refusals and errors into pages."""


def sign_in_routes(router: APIRouter, pages: Pages, *, guarded: Guarded) -> None:
    """Add /sign-in and /sign-out to the router."""

    @router.get("/sign-in")
    async def sign_in(request: Request) -> Response:
        if not pages.keys.enabled:
            return pages.redirect("/")
        return pages.render(request, "signin.html",
                            {"next": safe_next(request.query_params.get("next"))})

    @router.post("/sign-in")
    async def post_sign_in(request: Request) -> Response:
        async def action() -> Response:
            form = await read_post(request, pages, signing_in=True)
            key = form.get("key") or ""
            target = safe_next(form.get("next"))
            if not pages.keys.check(key):
                return pages.render(request, "signin.html", {
                    "next": target, "error": "That key is not one of this service's keys."}, 401)
            response = pages.redirect(target)
            response.set_cookie(AUTH_COOKIE, sign_in_cookie(key), httponly=True,
                                samesite="strict", secure=is_https(request), path="/")
            return response
        return await guarded(request, action)

    @router.post("/sign-out")
    async def post_sign_out(request: Request) -> Response:
        async def action() -> Response:
            await read_post(request, pages)
            response = pages.redirect("/sign-in")
            response.delete_cookie(AUTH_COOKIE, path="/", httponly=True, samesite="strict")
            return response
        return await guarded(request, action)
