"""How the service is set up: limits, allowed origins and hosts, the store, API keys.

API keys are never given on the command line (they would show in ``ps``): they come from the
environment variable ``SYNCDOCTOR_API_KEYS`` (comma-separated) or from a file named by
``SYNCDOCTOR_API_KEYS_FILE`` (one key a line, ``#`` comments). The configuration itself travels to
worker processes as JSON in ``SYNCDOCTOR_SERVICE_CONFIG``; it never holds a key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from syncdoctor.errors import SyncdoctorError

__all__ = [
    "CONFIG_ENV", "KEYS_ENV", "KEYS_FILE_ENV", "LOOPBACK_HOSTS", "ApiKeys", "ServiceConfig",
    "ServiceError",
]

CONFIG_ENV = "SYNCDOCTOR_SERVICE_CONFIG"
KEYS_ENV = "SYNCDOCTOR_API_KEYS"
KEYS_FILE_ENV = "SYNCDOCTOR_API_KEYS_FILE"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
"""The names a service bound to loopback is reached by (a Host header's port aside)."""


class ServiceError(SyncdoctorError):
    """The service cannot start as configured (a bad key file, a bad setting)."""


@dataclass(frozen=True)
class ServiceConfig:
    """Everything a worker needs to build the app, as JSON-able data."""

    kb: tuple[str, ...] = ()
    """Knowledge-base folders layered over the bundled one."""
    store: str | None = None
    """The session store URL (None: SYNCDOCTOR_STORE, else the default file)."""
    max_body_bytes: int = 1_000_000
    """The largest request body accepted (413 beyond)."""
    deadline_seconds: float = 10.0
    """How long one request may wait for the engine (503 beyond)."""
    allowed_origins: tuple[str, ...] = ()
    """Browser origins allowed to call (an Origin header not listed gets 403)."""
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    """Host names the service answers for (a Host header naming another gets 421): a page on
    another site whose name an attacker re-points at 127.0.0.1 (DNS rebinding) sends its own."""
    access_log: bool = True
    """Write one JSON line per request to stderr."""
    collect: bool = False
    """Whether ``collect: true`` diagnoses fetch facts with the KB's collectors (--collect)."""

    def to_env(self) -> str:
        """The configuration as JSON, for ``SYNCDOCTOR_SERVICE_CONFIG``."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceConfig:
        """The configuration a parent process left in the environment (defaults if none)."""
        text = (environ if environ is not None else os.environ).get(CONFIG_ENV)
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            kb=tuple(data.get("kb", ())), store=data.get("store"),
            max_body_bytes=int(data.get("max_body_bytes", 1_000_000)),
            deadline_seconds=float(data.get("deadline_seconds", 10.0)),
            allowed_origins=tuple(data.get("allowed_origins", ())),
            allowed_hosts=tuple(data.get("allowed_hosts", LOOPBACK_HOSTS)),
            access_log=bool(data.get("access_log", True)),
            collect=bool(data.get("collect", False)),
        )


class ApiKeys:
    """The accepted API keys; ``check`` compares in constant time and never reveals a key."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = tuple(k.encode("utf-8") for k in keys if k)

    def __repr__(self) -> str:
        return f"ApiKeys({len(self._keys)} keys)"  # never the keys themselves

    @property
    def enabled(self) -> bool:
        """Whether any key is configured (then every request but /v1/health needs one)."""
        return bool(self._keys)

    def check(self, presented: str | None) -> bool:
        """Whether ``presented`` is one of the keys; every key is compared, whatever matches."""
        if presented is None:
            return False
        candidate = presented.encode("utf-8", "replace")
        found = False
        for key in self._keys:
            found |= hmac.compare_digest(candidate, key)
        return found

    def macs(self, message: bytes) -> tuple[bytes, ...]:
        """HMAC-SHA256 of ``message`` under each key (the web page's sign-in cookie holds none)."""
        return tuple(hmac.new(key, message, hashlib.sha256).digest() for key in self._keys)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiKeys:
        """Keys from SYNCDOCTOR_API_KEYS and the file SYNCDOCTOR_API_KEYS_FILE names.

        Raises:
            ServiceError: the key file cannot be read (its contents are never shown).
        """
        env = environ if environ is not None else os.environ
        keys = [k.strip() for k in env.get(KEYS_ENV, "").split(",") if k.strip()]
        path = env.get(KEYS_FILE_ENV)
        if path:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise ServiceError(
                    f"{KEYS_FILE_ENV}: cannot read the key file {path!r} "
                    f"({type(error).__name__})") from None
            keys.extend(line.strip() for line in text.splitlines()
                        if line.strip() and not line.lstrip().startswith("#"))
        return cls(keys)
