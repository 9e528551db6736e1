"""Credentials inside free text (a pasted error message, a note) masked before anything keeps them.

A fact declared ``secret: true`` is never stored or shown; but a customer's pasted message is an
ordinary text fact, and it often carries what the integration logged with it: an
``Authorization: Bearer ...`` header, an ``api_key=...`` query, a ``password=...`` field, a
Stripe or GitHub token, a URL with a user and password in it. Every text value is read through
:func:`mask_credentials` when it is typed, so the session store, the reports, the titles and the
answers never hold the credential, whatever door the text came in by. The words around it stay:
the rules still read "401 Unauthorized".

The patterns are RE2 (linear time on hostile text) and run only when a cheap substring scan
finds a word they could start at; most messages carry none.
"""

from __future__ import annotations

from typing import Final

import re2

from syncdoctor.errors import REDACTED

__all__ = ["mask_credentials"]

_NAMES: Final = (
    r"api[_ -]?key|apikey|x-api-key|access[_ -]?key|secret[_ -]?key|access[_ -]?token|"
    r"refresh[_ -]?token|id[_ -]?token|auth[_ -]?token|token|client[_ -]?secret|secret|"
    r"password|passwd|passcode|pwd|private[_ -]?key|session[_ -]?id|sessionid|cookie|"
    r"set-cookie|sig|signature|credentials?"
)

_NAME_HINTS: Final = ("key", "token", "secret", "passw", "passcode", "pwd", "session", "cookie",
                     "sig", "credential")

# (the lower-case words a pattern cannot match without, the pattern, its replacement): a pattern
# runs only on a text that holds one of its words, so most messages cost a few substring scans.
_PATTERNS: Final = (
    # An Authorization header's value, whatever its scheme.
    (("authorization",),
     r"(?i)(\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)((?:bearer|basic|token|digest|"
     r"negotiate|hmac|aws4-hmac-sha256)\s+)?([^\s\"',;]+)", r"\1\2" + REDACTED),
    # A bearer or basic token anywhere else ("sent Bearer eyJ...").
    (("bearer", "basic"), r"(?i)\b(bearer|basic)\s+([a-z0-9._~+/=-]{12,})", r"\1 " + REDACTED),
    # name=value and "name": "value": always; name: value only when the value looks made
    # (a digit in it, or 16 characters of a token's alphabet), not a word of the message.
    (_NAME_HINTS, r"(?i)(\b(?:" + _NAMES + r")[\"']?\s*=\s*[\"']?)([^\s\"',;&<>]+)",
     r"\1" + REDACTED),
    (_NAME_HINTS, r"(?i)(\b(?:" + _NAMES + r")[\"']?\s*:\s*[\"']?)([^\s\"',;&<>]*[0-9]"
     r"[^\s\"',;&<>]*|[a-z0-9_\-./+=]{16,})", r"\1" + REDACTED),
    # Tokens by their well-known shapes.
    (("sk_", "pk_", "rk_"), r"\b(?:sk|pk|rk)_(?:live|test)_[0-9A-Za-z]{8,}", REDACTED),
    (("ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"),
     r"\b(?:ghp|gho|ghs|ghu|ghr)_[0-9A-Za-z]{20,}|\bgithub_pat_[0-9A-Za-z_]{20,}", REDACTED),
    (("xox",), r"\bxox[abposr]-[0-9A-Za-z-]{10,}", REDACTED),
    (("akia", "asia"), r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", REDACTED),
    (("aiza",), r"\bAIza[0-9A-Za-z_-]{30,}", REDACTED),
    (("eyj",), r"\beyJ[0-9A-Za-z_-]{6,}\.[0-9A-Za-z_-]{6,}\.[0-9A-Za-z_-]{6,}", REDACTED),
    # A user and password inside a URL.
    (("://",), r"(?i)\b([a-z][a-z0-9+.-]{1,20}://)[^/\s:@]{1,256}:[^/\s@]{1,256}@",
     r"\1" + REDACTED + "@"),
)


def _compiled() -> tuple[tuple[tuple[str, ...], object, str], ...]:
    options = re2.Options()
    options.max_mem = 8 << 20
    options.log_errors = False
    return tuple((hints, re2.compile(pattern, options), replacement)
                 for hints, pattern, replacement in _PATTERNS)


_COMPILED: Final = _compiled()


_ALL_HINTS: Final = tuple(sorted({hint for hints, _, _ in _PATTERNS for hint in hints}))
_SHORTEST: Final = 8
"""No credential the patterns know is shorter ("pwd=1234"): "Xero", "84213" are let through."""


def mask_credentials(text: str) -> str:
    """``text`` with every credential the patterns recognise replaced by ``***``."""
    if len(text) < _SHORTEST:
        return text
    lowered = text.lower()
    if not any(hint in lowered for hint in _ALL_HINTS):
        return text  # most messages: one scan per word, no pattern run
    masked = text
    for hints, pattern, replacement in _COMPILED:
        if any(hint in lowered for hint in hints):
            masked = pattern.sub(replacement, masked)  # type: ignore[attr-defined]
    return masked
