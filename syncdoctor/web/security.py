"""The page's locks: CSRF tokens, the sign-in cookie, and the headers every page carries.

- **CSRF**: a double-submit token. The browser gets a random token in an HttpOnly,
  SameSite=Strict cookie; every form carries the same token in a hidden field, and a post whose
  field does not match its cookie is refused. No server secret, so every worker checks it alike.
- **Sign-in**: with API keys configured, a browser signs in once per browser session by typing a
  key. The cookie holds a random nonce and the HMAC of it under that key, never the key itself;
  any worker checks it against every key, and removing a key signs its browsers out.
- **Headers**: a Content-Security-Policy that allows scripts and styles from this origin only
  (no inline script, no eval), no framing, no referrer to other sites (session ids are in the
  URLs), no caching of pages (they hold case facts).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from typing import Protocol

__all__ = [
    "AUTH_COOKIE",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "PAGE_HEADERS",
    "KeyRing",
    "csrf_matches",
    "is_signed_in",
    "new_csrf_token",
    "sign_in_cookie",
]

CSRF_COOKIE = "syncdoctor_csrf"
CSRF_FIELD = "csrf"
AUTH_COOKIE = "syncdoctor_auth"
_SIGN_IN = b"syncdoctor web sign-in:"
"""What the sign-in MAC covers (with the nonce): a MAC made for anything else never matches."""

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
))
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",  # "no-referrer" makes a form post's Origin "null"
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    """Whether a bind address keeps a service on this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


class KeyRing(Protocol):
    """The service's API keys, as the page needs them (``ApiKeys`` is one)."""

    @property
    def enabled(self) -> bool:
        """Whether any key is configured (then the page asks for one)."""
        ...

    def check(self, presented: str | None) -> bool:
        """Whether ``presented`` is one of the keys."""
        ...

    def macs(self, message: bytes) -> tuple[bytes, ...]:
        """HMAC-SHA256 of ``message`` under each key."""
        ...


def new_csrf_token() -> str:
    """A fresh random token for a browser that has none."""
    return secrets.token_urlsafe(32)


def csrf_matches(cookie: str | None, field: str | None) -> bool:
    """Whether a post's field carries its cookie's token (compared in constant time)."""
    if not cookie or not field:
        return False
    return hmac.compare_digest(cookie.encode("utf-8", "replace"), field.encode("utf-8", "replace"))


def sign_in_cookie(key: str) -> str:
    """The cookie value for a browser that typed ``key`` (checked by the caller first)."""
    nonce = secrets.token_hex(16)
    mac = hmac.new(key.encode("utf-8"), _SIGN_IN + nonce.encode(), hashlib.sha256).hexdigest()
    return f"{nonce}.{mac}"


def is_signed_in(keys: KeyRing, cookie: str | None) -> bool:
    """Whether the browser may use the page: no keys configured, or a valid sign-in cookie."""
    if not keys.enabled:
        return True
    if not cookie or cookie.count(".") != 1:
        return False
    nonce, _, mac = cookie.partition(".")
    try:
        presented = bytes.fromhex(mac)
    except ValueError:
        return False
    found = False
    for expected in keys.macs(_SIGN_IN + nonce.encode("utf-8", "replace")):
        found |= hmac.compare_digest(presented, expected)
    return found
