"""The errors of the interview layer: session stores and the datetime answer parser.

They extend the tree drawn in :mod:`syncdoctor.errors`::

    SyncdoctorError
    ├── StoreError                  a session store cannot be opened, read or written
    │   ├── StoreInputError         a malformed request: invalid event, nothing to undo, bad page
    │   ├── SessionNotFound         no session with that id (append, load)
    │   ├── SessionExists           create() with an id already taken
    │   └── SchemaVersionError      the store file was written by a newer syncdoctor
    ├── DateTimeTextError           typed text that is not a date-time form we read (a ValueError)
    └── InterviewError              a step the interview cannot take now (nothing to undo, no
                                    pack chosen yet, "not fixed" for a cause not found)

A bad answer (unknown fact, wrong type) is a ``FactError`` from :mod:`syncdoctor.errors`, as in
``diagnose()``.

=====================  =========  ===========
class                  exit_code  http_status
=====================  =========  ===========
StoreError             2          503
StoreInputError        2          422
SessionNotFound        2          404
SessionExists          2          409
SchemaVersionError     2          503
DateTimeTextError      2          422
InterviewError         2          409
=====================  =========  ===========

Like the others, each carries structured fields (``to_dict()``) so that the CLI, the HTTP service
and chatbots can show them without parsing the message. No message ever holds a password from a
store URL (:func:`syncdoctor.interview.store_url.redact_url` is applied first) or a stored fact
value.
"""

from __future__ import annotations

from collections.abc import Sequence

from syncdoctor.errors import SyncdoctorError
from syncdoctor.types import JsonValue


def _shown(text: str, limit: int = 60) -> str:
    """Untrusted text, cut short for a message (its repr, so control characters stay visible)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


class StoreError(SyncdoctorError):
    """A session store that cannot be opened, read or written.

    ``store`` names the store (a redacted URL or a file path); ``hint`` says what to do about it.
    """

    http_status = 503  # the store, not the request, is what failed

    def __init__(self, message: str, *, store: str | None = None, hint: str | None = None) -> None:
        self.store = store
        self.hint = hint
        self.plain = message
        """The message without the store's name and the hint (what a remote caller reads)."""
        # "sqlite:///x.db: no session ..." but "memory: no session ...", not "memory:: ..."
        text = f"{store}{' ' if store.endswith(':') else ': '}{message}" if store else message
        if hint:
            text += f" ({hint})"
        super().__init__(text)

    def _fields(self) -> dict[str, JsonValue]:
        return {"store": self.store, "hint": self.hint}

    def to_client_dict(self) -> dict[str, JsonValue]:
        """Without the store's name (a file path, a server) and the hint.

        They are for whoever runs the store: a chatbot or a remote client reads what went
        wrong, not where.
        """
        # A store that failed (5xx) may say why in its driver's words, a server's address
        # among them: the client reads only that it failed.
        message = self.plain if self.http_status < 500 else (
            "the session store failed; the server's log has the details")
        data = {**self.to_dict(), "message": message}
        data.pop("store", None)
        data.pop("hint", None)
        return data


class StoreInputError(StoreError):
    """A request the store refuses; nothing was written.

    An invalid event, an undo with nothing to undo, a value too large, a listing window out of
    range: the caller's mistake, not the store's.
    """

    http_status = 422


class SessionNotFound(StoreError):
    """No session with that id in the store: it never existed, was deleted, or is malformed."""

    http_status = 404

    def __init__(self, session_id: str, *, store: str | None = None) -> None:
        self.session_id = session_id
        super().__init__(
            f"no session {_shown(session_id)}",
            store=store,
            hint="`syncdoctor sessions list` shows the sessions kept",
        )

    def _fields(self) -> dict[str, JsonValue]:
        return {**super()._fields(), "session": self.session_id[:64]}


class SessionExists(StoreError):
    """``create()`` was given an id that the store already holds."""

    http_status = 409

    def __init__(self, session_id: str, *, store: str | None = None) -> None:
        self.session_id = session_id
        super().__init__(f"a session {_shown(session_id)} already exists", store=store)

    def _fields(self) -> dict[str, JsonValue]:
        return {**super()._fields(), "session": self.session_id[:64]}


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

    def _fields(self) -> dict[str, JsonValue]:
        return {**super()._fields(), "found": self.found, "supported": self.supported}


class DateTimeTextError(SyncdoctorError, ValueError):
    """Text typed for a datetime fact that matches none of the accepted forms.

    A ``ValueError`` too, so that callers validating many kinds of answer can catch one type;
    the Interview turns it into a ``FactError`` naming the fact.
    """

    http_status = 422

    def __init__(self, text: str, reason: str, accepted: Sequence[str]) -> None:
        self.text = text
        self.reason = reason
        self.accepted = tuple(accepted)
        super().__init__(
            f"cannot read {_shown(text)} as a date-time: {reason}; "
            f"accepted forms: {', '.join(self.accepted)}"
        )

    def _fields(self) -> dict[str, JsonValue]:
        return {"text": self.text[:80], "reason": self.reason, "accepted": list(self.accepted)}

class InterviewError(SyncdoctorError):
    """A step the interview cannot take in its current state; nothing was changed or stored.

    ``hint`` says what the caller can do instead.
    """

    http_status = 409

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)

    def _fields(self) -> dict[str, JsonValue]:
        return {"hint": self.hint}
