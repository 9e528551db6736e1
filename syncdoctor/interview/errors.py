"""The errors of the interview layer: session stores and the datetime answer parser.

They extend the tree drawn in :mod:`syncdoctor.errors`::

    SyncdoctorError
    ├── StoreError                  a session store cannot be opened, read or written
    │   ├── SessionNotFound         no session with that id (append, load)
    │   ├── SessionExists           create() with an id already taken
    │   └── SchemaVersionError      the store file was written by a newer syncdoctor
    └── DateTimeTextError           typed text that is not a date-time form we read (a ValueError)

Like the others, each carries structured fields so that the CLI, the HTTP service and chatbots can
show them without parsing the message. No message ever holds a password from a store URL
(:func:`syncdoctor.interview.store_url.redact_url` is applied first) or a stored fact value.
"""

from __future__ import annotations

from collections.abc import Sequence

from syncdoctor.errors import SyncdoctorError


def _shown(text: str, limit: int = 60) -> str:
    """Untrusted text, cut short for a message (its repr, so control characters stay visible)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


class StoreError(SyncdoctorError):
    """A session store that cannot be opened, read or written.

    ``store`` names the store (a redacted URL or a file path); ``hint`` says what to do about it.
    """

    def __init__(self, message: str, *, store: str | None = None, hint: str | None = None) -> None:
        self.store = store
        self.hint = hint
        # "sqlite:///x.db: no session ..." but "memory: no session ...", not "memory:: ..."
        text = f"{store}{' ' if store.endswith(':') else ': '}{message}" if store else message
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class SessionNotFound(StoreError):
    """No session with that id in the store: it never existed, was deleted, or is malformed."""

    def __init__(self, session_id: str, *, store: str | None = None) -> None:
        self.session_id = session_id
        super().__init__(
            f"no session {_shown(session_id)}",
            store=store,
            hint="`syncdoctor sessions list` shows the sessions kept",
        )


class SessionExists(StoreError):
    """``create()`` was given an id that the store already holds."""

    def __init__(self, session_id: str, *, store: str | None = None) -> None:
        self.session_id = session_id
        super().__init__(f"a session {_shown(session_id)} already exists", store=store)


class SchemaVersionError(StoreError):
    """The store was written with a schema this syncdoctor does not know (a newer release)."""

    def __init__(self, found: int, supported: int, *, store: str | None = None) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"session store schema version {found} is newer than this syncdoctor reads "
            f"(up to {supported})",
            store=store,
            hint="upgrade syncdoctor, or point --store / SYNCDOCTOR_STORE at another file",
        )


class DateTimeTextError(SyncdoctorError, ValueError):
    """Text typed for a datetime fact that matches none of the accepted forms.

    A ``ValueError`` too, so that callers validating many kinds of answer can catch one type;
    the Interview turns it into a ``FactError`` naming the fact.
    """

    def __init__(self, text: str, reason: str, accepted: Sequence[str]) -> None:
        self.text = text
        self.reason = reason
        self.accepted = tuple(accepted)
        super().__init__(
            f"cannot read {_shown(text)} as a date-time: {reason}; "
            f"accepted forms: {', '.join(self.accepted)}"
        )
