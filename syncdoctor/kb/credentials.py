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

import functools
from collections.abc import Callable
from typing import Any, Final

import re2

from syncdoctor.errors import ECHO_LIMIT, REDACTED, bounded, describe

__all__ = ["mask_credentials", "shown_value"]

_NAMES: Final = (
    r"api[_ -]?key|apikey|x-api-key|access[_ -]?key|secret[_ -]?key|access[_ -]?token|"
    r"refresh[_ -]?token|id[_ -]?token|auth[_ -]?token|token|client[_ -]?secret|secret|"
    r"password|passwd|passcode|passphrase|pwd|pw|private[_ -]?key|session[_ -]?id|sessionid|"
    r"account[_ -]?key|shared[_ -]?access[_ -]?key|shared[_ -]?key|sig|signature|credentials?"
)
_GLUED: Final = r"[a-z0-9](?:password|passwd|secret|token)"
"""A name glued to a word before it: PGPASSWORD=, csrftoken=, MYAPPSECRET:."""
_ASSIGNED: Final = r"(?:(?:\b|_)(?:" + _NAMES + r"|pass)|" + _GLUED + r")"
"""Names before ``=``: "pass" too (DB_PASS=), never before ":" ("Checks pass: all")."""
_SAID: Final = r"(?:(?:\b|_)(?:" + _NAMES + r")|" + _GLUED + r")"

_NAME_HINTS: Final = ("key", "token", "secret", "pass", "pw", "session", "sig", "credential")
_VALUE = r"(\"[^\"]{1,200}\"|'[^']{1,200}'|[^\s\"',;<>]+)"
"""A value: quoted (spaces and all), or up to the next blank or separator."""

Match = Any
Replace = Callable[[Match], str]


def _made(value: str) -> bool:
    """Whether a value after ``name:`` looks generated, not like a word of the message.

    "401", "denied", "authentication" are words; "hunter2", "Tr0ub4dor&3", "dXNlcjpw" are
    made. (After ``name=``, or in quotes, a value is always taken for one.)
    """
    if value[:1] in ("'", '"'):
        return True
    if len(value) < 6:
        return False
    if len(value) >= 16 or not value.isalnum():
        return True
    has_digit = any(c.isdigit() for c in value)
    return (has_digit and not value.isdigit()) or (
        any(c.isupper() for c in value[1:]) and any(c.islower() for c in value))


def _always(found: Match) -> str:
    return str(found.group(1)) + _hidden(str(found.group(2)))


_CHOSEN_NAMES: Final = ("pass", "pw", "secret")
"""Names whose value a person chose: "password: correcthorse" is one, though it reads as a word."""

_MESSAGE_WORDS: Final = frozenset((
    "a", "an", "and", "are", "be", "been", "can", "cannot", "could", "did", "does", "doesn't",
    "error", "expired", "expires", "failed", "failure", "false", "field", "for", "given", "has",
    "have", "hidden", "incorrect", "invalid", "is", "locked", "masked", "mismatch", "missing",
    "must", "no", "none", "not", "null", "of", "ok", "omitted", "or", "please", "policy",
    "provided", "redacted", "rejected", "denied", "required", "reset", "should", "supplied", "the",
    "to", "too", "true", "unknown", "unset", "was", "weak", "wrong", "yes", "empty", "blank",
    "changed", "needed", "mandatory", "length", "short", "long", "set", "check", "verify",
    "update", "updated", "disabled", "accepted", "valid", "authentication", "login", "user",
    "username", "value", "out", "being", "now", "still", "currently", "correct", "revoked",
    "stale", "saved", "stored", "encrypted", "sent", "used", "this", "that", "it", "your", "in",
    "on", "at", "by", "with", "from", "without", "only", "also", "will", "may", "unchanged",
    "different", "same", "case-sensitive",
))
"""Words a message puts after "password:" ("Invalid username or password: please check them")."""


def _chosen(value: str) -> bool:
    """Whether a password's or a secret's value, after ``name:``, is one rather than a word."""
    if value.lower().rstrip(".!?") in _MESSAGE_WORDS:
        return False
    if value.isdigit():
        return len(value) >= 4  # a PIN; "password: 3 attempts left" keeps its count
    return True


def _if_made(found: Match) -> str:
    name, value = str(found.group(1)), str(found.group(2))
    lowered = name.lower()
    looks_chosen = _chosen if any(word in lowered for word in _CHOSEN_NAMES) else _made
    return name + (_hidden(value) if looks_chosen(value) else value)


def _header(found: Match) -> str:
    scheme, value = found.group(2), str(found.group(3))
    if scheme:
        return str(found.group(1)) + str(scheme) + REDACTED
    return str(found.group(1)) + (_hidden(value) if _made(value) else value)


def _scheme(found: Match) -> str:
    value = str(found.group(2))
    return f"{found.group(1)} {REDACTED}" if _made(value) else str(found.group(0))


_COOKIE_ATTRIBUTES: Final = frozenset(("path", "domain", "expires", "max-age", "samesite"))


def _cookies(found: Match) -> str:
    """Each cookie's value hidden, its name and a Set-Cookie's attributes kept."""
    header, value = str(found.group(1)), str(found.group(2))
    if "=" not in value:
        return header + (_hidden(value) if _made(value) else value)
    parts = []
    for part in value.split(";"):
        name, equals, cookie = part.partition("=")
        hide = bool(equals and cookie) and name.strip().lower() not in _COOKIE_ATTRIBUTES
        parts.append(f"{name}={REDACTED}" if hide else part)
    return header + ";".join(parts)


def _hidden(value: str) -> str:
    """*** in the value's place, its quotes kept."""
    return f"{value[0]}{REDACTED}{value[0]}" if value[:1] in ("'", '"') else REDACTED


# (the lower-case words a pattern cannot match without, the pattern, its replacement): a pattern
# runs only on a text that holds one of its words, so most messages cost a few substring scans.
# A name may follow an underscore (DB_PASSWORD=, aws_secret_access_key=).
_PATTERNS: Final[tuple[tuple[tuple[str, ...], str, str | Replace], ...]] = (
    # An Authorization header's value: after a scheme, always; alone, when it looks made.
    (("authorization",),
     r"(?i)(\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)((?:bearer|basic|token|digest|"
     r"negotiate|hmac|aws4-hmac-sha256|apikey|api-key|key|sso-key|sharedkey|oauth|bot|ssws)\s+)?"
     r"([^\s\"',;]+)", _header),
    # A bearer or basic token anywhere else ("sent Bearer eyJ..."), not "Basic authentication".
    (("bearer", "basic"), r"(?i)\b(bearer|basic)\s+([a-z0-9._~+/=-]{8,})", _scheme),
    # Every cookie of a Cookie or Set-Cookie header, its name kept ("Cookie: sid=***; lang=***").
    (("cookie",), r"(?i)(\b(?:set-)?cookie\b[\"']?\s*[:=]\s*)((?:[^\s=;,\"']+=[^\s;,\"']*"
     r"(?:;\s*)?)+|[^\s;,\"']+)", _cookies),
    # "name": "value" in JSON ('name': 'value' in a Python or JavaScript mapping),
    # <name>value</name> in XML, and name=value: always.
    ((*_NAME_HINTS, "cookie"), r"(?i)([\"'][a-z0-9_-]*(?:" + _NAMES + r"|cookie|pass)[\"']\s*:\s*)"
     r"(\"[^\"]{0,200}\"|'[^']{0,200}'|[^\s,}]+)", _always),
    (_NAME_HINTS, r"(?i)(<[a-z0-9_:-]*(?:" + _NAMES + r")>)[^<]{1,500}(</)",
     r"\1" + REDACTED + r"\2"),
    (_NAME_HINTS, r"(?i)(" + _ASSIGNED + r"[\"']?\s*=\s*)" + _VALUE, _always),
    # A query parameter whose name says little (?key=, &code=, ?auth=), when its value looks made.
    (("key=", "code=", "auth="), r"(?i)([?&](?:key|code|auth)=)([^&\s#\"']+)", _if_made),
    # A command line's option: --password hunter2, mysql -phunter2.
    (("--",), r"(?i)((?:^|\s)--(?:" + _NAMES + r"|pass)\s+)([^\s\"'-][^\s\"']*|\"[^\"]{1,200}\"|"
     r"'[^']{1,200}')", _always),
    (("mysql",), r"(\bmysql(?:dump|admin|sh)?\b[^\r\n]{0,200}?\s-p)[^\s\"']+", r"\1" + REDACTED),
    # name: value and "name is value", only when the value looks made ("Invalid token: 401" and
    # "the token is expired" keep their words).
    (_NAME_HINTS, r"(?i)(" + _SAID + r"\s*:\s*)" + _VALUE, _if_made),
    (_NAME_HINTS, r"(?i)(" + _SAID + r"\s+(?:is|was)\s+)" + _VALUE, _if_made),
    # Tokens by their well-known shapes.
    (("sk_", "pk_", "rk_"), r"\b(?:sk|pk|rk)_(?:live|test)_[0-9A-Za-z]{8,}", REDACTED),
    (("sk-",), r"\bsk-(?:proj-|ant-|live-|test-)?[0-9A-Za-z_-]{20,}", REDACTED),
    (("ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"),
     r"\b(?:ghp|gho|ghs|ghu|ghr)_[0-9A-Za-z]{20,}|\bgithub_pat_[0-9A-Za-z_]{20,}", REDACTED),
    (("glpat-",), r"\bglpat-[0-9A-Za-z_-]{20,}", REDACTED),
    (("whsec_",), r"\bwhsec_[0-9A-Za-z+/=]{20,}", REDACTED),
    (("sg.",), r"\bSG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{16,}", REDACTED),
    (("xox",), r"\bxox[abposr]-[0-9A-Za-z-]{10,}", REDACTED),
    (("ya29.",), r"\bya29\.[0-9A-Za-z_-]{20,}", REDACTED),
    (("gocspx-",), r"\bGOCSPX-[0-9A-Za-z_-]{20,}", REDACTED),
    (("hooks.slack.com",),
     r"(?i)(hooks\.slack\.com/(?:services|workflows|triggers)/)[0-9A-Za-z/_-]+", r"\1" + REDACTED),
    (("discord",), r"(?i)(discord(?:app)?\.com/api/webhooks/[0-9]{1,30}/)[0-9A-Za-z_-]+",
     r"\1" + REDACTED),
    (("akia", "asia"), r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", REDACTED),
    (("aiza",), r"\bAIza[0-9A-Za-z_-]{30,}", REDACTED),
    (("eyj",), r"\beyJ[0-9A-Za-z_-]{6,}\.[0-9A-Za-z_-]{6,}\.[0-9A-Za-z_-]{6,}", REDACTED),
    (("private key",), r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[\s\S]*?-----END "
     r"[A-Z ]{0,40}PRIVATE KEY-----", REDACTED),
    # A user and password inside a URL (up to its last @: a password may hold one).
    (("://",), r"(?i)\b([a-z][a-z0-9+.-]{1,20}://)[^/\s:@]{0,256}:[^/\s]{0,256}@",
     r"\1" + REDACTED + "@"),
)


@functools.cache  # compiled at the first text that needs them: a CLI run rarely does (4 ms)
def _compiled() -> tuple[tuple[tuple[str, ...], Any, str | Replace], ...]:
    options = re2.Options()
    options.max_mem = 8 << 20
    options.log_errors = False
    return tuple((hints, re2.compile(pattern, options), replacement)
                 for hints, pattern, replacement in _PATTERNS)


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
    for hints, pattern, replacement in _compiled():
        if any(hint in lowered for hint in hints):
            masked = pattern.sub(replacement, masked)
    return masked


def shown_value(value: object, limit: int = ECHO_LIMIT) -> str:
    """A caller's value as an error may echo it: short, its credentials masked.

    "expected a number; got 'password=***'", in at most ``limit`` characters.

    The description is masked before it is cut: a token at the cut was masked whole.
    """
    return bounded(mask_credentials(describe(value, limit * 4)), limit)
