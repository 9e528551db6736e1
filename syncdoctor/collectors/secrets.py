"""Credentials of a source, read at run time, and the redactor that keeps them out of every echo.

A token is read from the environment variable or the file a source's ``auth`` names, only when a
request is about to go out. It lives in the request's header and in the :class:`Redactor`, and
nowhere else: every reason, log line and collected text passes through ``Redactor.text`` first,
so that a hub that echoes the token back (in an error page, in a JSON field) cannot leak it.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Final
from urllib.parse import quote, quote_plus

from syncdoctor.errors import REDACTED
from syncdoctor.kb.collector_spec import AuthSpec, SourceSpec
from syncdoctor.types import JsonValue

__all__ = ["MIN_SECRET", "CollectError", "Redactor", "auth_headers", "base_url"]

MIN_SECRET: Final = 4
"""Shorter tokens are refused: redacting a two-letter token would mangle every message."""
MAX_TOKEN_FILE: Final = 64 * 1024


class CollectError(Exception):
    """A collector that could not give its facts; ``reason`` is safe to show (redacted)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class Redactor:
    """Replaces every known secret by *** in text and in JSON data; shared by threads.

    A hub may echo a token in another form than it was sent: URL-encoded in a link it quotes,
    base64 in a header it reflects, JSON- or HTML-escaped in an error page, upper-cased. Each of
    those forms is redacted too, whatever its case.
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        """Remember a secret (and the forms an echo may take of it)."""
        with self._lock:
            self._secrets.update(form for form in _echo_forms(secret) if len(form) >= MIN_SECRET)
            # Literals only, longest first: one pass over the text, and no pattern to backtrack.
            self._pattern = re.compile("|".join(
                re.escape(form) for form in sorted(self._secrets, key=lambda f: (-len(f), f))),
                re.IGNORECASE)

    def text(self, text: str) -> str:
        """``text`` with every secret, in any of its echoed forms, replaced."""
        with self._lock:
            pattern = self._pattern
        return text if pattern is None else pattern.sub(REDACTED, text)

    def json(self, value: JsonValue) -> JsonValue:
        """JSON data with every secret replaced in its strings (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {self.text(key): self.json(item) for key, item in value.items()}
        return value


def _echo_forms(secret: str) -> set[str]:
    """The secret as sent, and as a server may write it back."""
    raw = secret.encode("utf-8")
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), html.escape(secret),
             json.dumps(secret)[1:-1], secret.replace("/", "\\/")}
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        forms.add(encoded.decode("ascii"))
        forms.add(encoded.decode("ascii").rstrip("="))
    return forms


def _token(auth: AuthSpec, env: Mapping[str, str]) -> str:
    if auth.token_env is not None:
        token = env.get(auth.token_env, "").strip()
        if not token:
            raise CollectError(f"no token: the environment variable {auth.token_env} is not set")
        where = f"${auth.token_env}"
    else:
        assert auth.token_file is not None  # the model requires one of the two
        path = Path(os.path.expanduser(auth.token_file))
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_TOKEN_FILE + 1)
        except OSError as error:
            raise CollectError(f"no token: cannot read {auth.token_file} "
                               f"({error.strerror or type(error).__name__})") from None
        if len(raw) > MAX_TOKEN_FILE:
            raise CollectError(f"no token: {auth.token_file} is larger than a token")
        lines = raw.decode("utf-8", "replace").strip().splitlines()
        token = lines[0].strip() if lines else ""
        if not token:
            raise CollectError(f"no token: {auth.token_file} is empty")
        where = auth.token_file
    if len(token) < MIN_SECRET or any(ord(c) < 32 or ord(c) == 127 for c in token):
        raise CollectError(f"no token: the one in {where} is too short or holds control "
                           "characters")
    return token


def auth_headers(source: SourceSpec, env: Mapping[str, str], redactor: Redactor) -> dict[str, str]:
    """The headers of a request to ``source``: its own, and the credential when it has auth.

    Raises:
        CollectError: the token is not configured or cannot be read (the reason never holds
            any of it).
    """
    headers = dict(source.headers)
    if source.auth is None:
        return headers
    token = _token(source.auth, env)
    redactor.add(token)
    if source.auth.type == "bearer":
        headers["Authorization"] = f"Bearer {token}"
    else:
        assert source.auth.header is not None  # the model requires it for type: header
        headers[source.auth.header] = token
    return headers


def base_url(source: SourceSpec, env: Mapping[str, str]) -> str:
    """The source's base URL: from its environment variable when set, else the file's.

    Raises:
        CollectError: none is configured, or the one configured is not an http(s) URL or
            carries credentials.
    """
    from urllib.parse import urlsplit

    url = env.get(source.base_url_env, "").strip() if source.base_url_env else ""
    url = url or (source.base_url or "")
    if not url:
        raise CollectError(f"no base URL: set the environment variable {source.base_url_env}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CollectError("the base URL is not an absolute http:// or https:// URL")
    if parts.username is not None or parts.password is not None or parts.query:
        raise CollectError("the base URL carries credentials or a query; refused "
                           "(credentials go in auth: token_env or token_file)")
    return url.rstrip("/")
