"""Store URLs: which store ``--store URL`` and ``SYNCDOCTOR_STORE`` name, and the default file.

Accepted forms (docs/sessions.md):

- ``sqlite:///absolute/path/sessions.db``: a SQLite file at an absolute path (three slashes: an
  empty host, then the path);
- ``sqlite:relative/path/sessions.db``: a SQLite file relative to the current directory;
- ``memory:``: a fresh in-memory store, gone when the process exits;
- ``postgresql://user:password@host:port/db`` (or ``postgres://``): a PostgreSQL database shared
  by several workers (:class:`~syncdoctor.interview.postgres_store.PostgresStore`; needs the
  ``service`` extra, which brings psycopg).

Paths are percent-decoded (``%20`` is a space); a query or fragment is refused rather than
ignored. With no URL, ``SYNCDOCTOR_STORE`` is read (empty counts as unset), else the default
file under the user data directory. Messages show URLs through :func:`redact_url`, so a
password in a URL never reaches a terminal or a log.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

import platformdirs

from syncdoctor.interview.errors import StoreError
from syncdoctor.interview.sqlite_store import SqliteStore
from syncdoctor.interview.store import MemoryStore, SessionStore
from syncdoctor.kb.credentials import mask_credentials

ENV_VAR = "SYNCDOCTOR_STORE"
FORMS = (
    "sqlite:///absolute/path.db", "sqlite:relative/path.db", "memory:",
    "postgresql://user:password@host/database",
)
_POSTGRES_SCHEMES = ("postgresql", "postgres")
_MAX_SHOWN = 200


def default_store_path() -> Path:
    """The default session file: ``sessions.db`` in the user data directory for syncdoctor.

    On Linux ``$XDG_DATA_HOME/syncdoctor`` (else ``~/.local/share/syncdoctor``); on macOS
    ``~/Library/Application Support/syncdoctor``; on Windows ``%LOCALAPPDATA%/syncdoctor``.
    """
    return platformdirs.user_data_path("syncdoctor", appauthor=False) / "sessions.db"


def open_store(url: str | None = None, *, wait: float | None = None) -> SessionStore:
    """Open the store a URL names; None: ``SYNCDOCTOR_STORE``, else the default file.

    The default file's directory is created, readable by its owner only (mode 0700).
    ``wait``: for a SQLite file, the seconds a write waits for another process's before it
    fails (a service keeps it under its request deadline, so that a locked store is said so).

    Raises:
        StoreError: a URL of an unknown form, a store that is not available, or a file that
            cannot be opened (the message never shows a password).
    """
    origin = "--store"
    if url is None:
        url, origin = os.environ.get(ENV_VAR) or None, ENV_VAR
    if url is None:
        path = default_store_path()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create the session directory: {error.strerror}", store=str(path.parent),
                hint=f"set {ENV_VAR} to a writable place",
            ) from None
        return SqliteStore(path) if wait is None else SqliteStore(path, busy_timeout=wait)
    return _open_url(url, origin, wait)


def parse_sqlite_url(url: str) -> Path:
    """The file a ``sqlite:`` URL names; raises StoreError for a malformed one."""
    rest = url.split(":", 1)[1] if ":" in url else ""
    shown = redact_url(url)
    if "?" in rest or "#" in rest:
        raise StoreError(
            "a sqlite store URL takes no query or fragment", store=shown,
            hint="write '?' as %3F and '#' as %23 in a path",
        )
    if rest.startswith("//"):
        host, slash, path = rest[2:].partition("/")
        if host:
            raise StoreError(
                "a sqlite store URL takes no host", store=shown,
                hint="use sqlite:///absolute/path.db (three slashes) or sqlite:relative/path.db",
            )
        decoded = "/" + unquote(path) if slash else ""
        if os.name == "nt" and len(decoded) > 2 and decoded[2] == ":":
            decoded = decoded[1:]  # sqlite:///C:/sessions.db
    else:
        decoded = unquote(rest)
    if not decoded.strip("/") or "\x00" in decoded:
        raise StoreError("a sqlite store URL needs a file path", store=shown, hint=_forms())
    return Path(decoded)


def redact_url(url: str) -> str:
    """A URL safe to show: the password in its user info becomes ``***``, a query ``?…``.

    The query goes too because libpq URLs may carry ``?password=...``; a text that is no URL
    at all (libpq's ``host=... password=...``) has its credentials masked.
    """
    scheme, sep, rest = url.partition("://")
    if sep:
        cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
        head, tail = rest[:cut], ("?…" if cut < len(rest) else "")
        at = head.rfind("@")
        if at >= 0:
            user, colon, _ = head[:at].partition(":")
            # The last "@" before the query ends any user info, even with "/" in a password.
            shown_user = "***" if "/" in user else user + (":***" if colon else "")
            head = f"{shown_user}@{head[at + 1:]}"
        url = f"{scheme}://{head}{tail}"
    else:
        url = mask_credentials(url)
    return url if len(url) <= _MAX_SHOWN else url[:_MAX_SHOWN] + "…"


def _open_url(url: str, origin: str, wait: float | None) -> SessionStore:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "memory":
        if url.split(":", 1)[1]:
            raise StoreError(
                "a memory store URL is just 'memory:'", store=f"{origin}={redact_url(url)}"
            )
        return MemoryStore()
    if scheme == "sqlite":
        path = parse_sqlite_url(url)
        return SqliteStore(path) if wait is None else SqliteStore(path, busy_timeout=wait)
    if scheme in _POSTGRES_SCHEMES:
        return _open_postgres(url, origin)
    hint = _forms()
    if not scheme or "/" in scheme or "\\" in scheme:
        hint = f"a file is written sqlite:{url}" if url.endswith(".db") else hint
    raise StoreError("not a store URL", store=f"{origin}={redact_url(url)}", hint=hint)


def _open_postgres(url: str, origin: str) -> SessionStore:
    try:
        # Imported here: psycopg is an optional dependency (the service extra).
        from syncdoctor.interview.postgres_store import PostgresStore
    except ImportError as error:
        if not (error.name or "").startswith("psycopg"):
            raise
        raise StoreError(
            "PostgreSQL session stores need psycopg, which is not installed",
            store=f"{origin}={redact_url(url)}",
            hint="pip install 'syncdoctor[service]'",
        ) from None
    return PostgresStore(url)


def _forms() -> str:
    return "accepted: " + ", ".join(FORMS)
