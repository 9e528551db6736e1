"""A session named on the command line by its whole id, or by the first characters of it.

Ids are 32 hex digits: nobody types one. As with git's commits, any unambiguous start of at least
:data:`MIN_PREFIX` characters will do; a whole id is always looked up first, so an id that happens
to be the start of another still names itself.
"""

from __future__ import annotations

from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.interview import Interview, SessionNotFound, SessionStore, StoreInputError
from syncdoctor.interview.events import is_session_id

__all__ = ["MIN_PREFIX", "resume_session", "session_id_for", "whole_session_id"]

MIN_PREFIX = 4
"""The fewest characters that may stand for an id."""

_PAGE = 500
_SHOWN = 5
"""How many of the sessions an ambiguous start fits the error names."""


def session_id_for(store: SessionStore, given: str) -> str:
    """The id of the only session whose id starts with ``given``.

    Raises:
        SessionNotFound: none does (or ``given`` is too short to be a start).
        StoreInputError: several do; the message names them.
    """
    if not is_session_id(given):
        raise SessionNotFound(given, store=store.name)
    if len(given) < MIN_PREFIX:
        raise StoreInputError(
            f"no session {given!r}, and {len(given)} character{'s' if len(given) != 1 else ''} "
            f"cannot stand for an id: give {MIN_PREFIX} or more", store=store.name,
            hint="`syncdoctor sessions list` shows the sessions kept")
    found: list[str] = []
    offset = 0
    while len(found) <= _SHOWN:
        page = store.list(limit=_PAGE, offset=offset)
        found.extend(s.id for s in page if s.id.startswith(given))
        if len(page) < _PAGE:
            break
        offset += _PAGE
    if not found:
        raise SessionNotFound(given, store=store.name)
    if len(found) > 1:
        named = ", ".join(found[:_SHOWN]) + (", ..." if len(found) > _SHOWN else "")
        raise StoreInputError(
            f"{given!r} is the start of more than one session ({named}): give more of the id",
            store=store.name, hint="`syncdoctor sessions list` shows the sessions kept")
    return found[0]


def resume_session(given: str, store: SessionStore, kb: KnowledgeBase) -> Interview:
    """The session ``given`` names (a whole id, or the start of one), resumed on ``kb``."""
    try:
        return Interview.resume(given, store=store, kb=kb)
    except SessionNotFound:
        whole = session_id_for(store, given)
    return Interview.resume(whole, store=store, kb=kb)


def whole_session_id(given: str, store: SessionStore) -> str:
    """The id ``given`` names: itself when a session has it, else the one it is the start of.

    Raises:
        SessionNotFound: no session has or starts with it.
        StoreInputError: several start with it (or it is too short to be a start).
    """
    try:
        store.load(given)
    except SessionNotFound:
        return session_id_for(store, given)
    return given
