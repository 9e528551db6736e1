"""The compiled-KB cache on disk: a knowledge base loads from one file instead of its YAML.

Loading the bundled KB from its files (YAML, validation, template checks, compilation) costs
most of a CLI run; the result depends only on the files' names and bytes and on the code that
reads them. So the checked, compiled packs are stored, per key, under the user's cache
directory (``platformdirs``; ``SYNCDOCTOR_CACHE_DIR`` overrides it):

- the key hashes the file names and bytes, this engine's version and the source of the modules
  that read and compile a KB (so an edited checkout never reads a stale entry), and the Python
  and pydantic versions;
- an entry is JSON in the allow-listed format of :mod:`syncdoctor.engine.codec` (no pickle:
  reading it cannot run code), authenticated by an HMAC-SHA256 whose key (32 random bytes,
  mode 0600) is made on first use; a file that is corrupt, foreign (another user's, another
  machine's), of another format, or not owned by this user is ignored and rebuilt;
- writers write a temporary file and rename it into place, so concurrent processes never see
  half a file; any failure to read or write only means a slower load, never an error;
- the durable_rules registration is redone by every process (it is process state).

``load_kb(cache=False)``, ``syncdoctor --no-cache`` or ``SYNCDOCTOR_NO_CACHE=1`` skip it;
``syncdoctor cache clear`` removes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from syncdoctor._version import __version__

__all__ = ["CachedKb", "cache_dir", "cache_enabled", "cache_key", "clear", "read", "write"]

FORMAT = 2
"""Bumped when the layout of an entry changes."""
MAX_ENTRY = 64 << 20
"""A larger file is not read (a bundled entry is well under 1 MB)."""
_KEY_FILE = "hmac.key"
_SUFFIX = ".kb.json"
_PACKAGE = Path(__file__).resolve().parent.parent
_CODE = ("kb", "engine", "_version.py", "errors.py", "types.py")
"""The code a compiled KB depends on, relative to the package: its source is in the key."""
_code_hash: str | None = None


def cache_dir() -> Path:
    """Where entries live: ``SYNCDOCTOR_CACHE_DIR``, else the user cache directory."""
    override = os.environ.get("SYNCDOCTOR_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_cache_path("syncdoctor", appauthor=False) / "kb"


_disabled = False


def disable() -> None:
    """Skip the cache for the rest of the process (``syncdoctor --no-cache``)."""
    global _disabled
    _disabled = True


def cache_enabled() -> bool:
    """Whether load_kb uses the cache by default (not after --no-cache or SYNCDOCTOR_NO_CACHE)."""
    return not _disabled and os.environ.get("SYNCDOCTOR_NO_CACHE", "") in ("", "0")


def _engine_fingerprint() -> str:
    global _code_hash
    if _code_hash is None:
        digest = hashlib.sha256()
        for part in _CODE:
            root = _PACKAGE / part
            for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
                digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
        _code_hash = digest.hexdigest()
    return _code_hash


def cache_key(files: Sequence[tuple[Path, str]]) -> str | None:
    """The key of a KB made of these files (path, display name), None if one is unreadable."""
    import pydantic

    digest = hashlib.sha256()
    for part in (str(FORMAT), __version__, _engine_fingerprint(), sys.version,
                 pydantic.VERSION, str(len(files))):
        digest.update(part.encode() + b"\0")
    for path, display in files:
        try:
            content = path.read_bytes()
        except OSError:
            return None
        digest.update(display.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(str(len(content)).encode() + b"\0" + content)
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class CachedKb:
    """What an entry holds: the KB's checked sources and compiled packs, still encoded."""

    version: str
    overrides: tuple[str, ...]
    packs: Mapping[str, object]
    """Pack id -> ``{"version": ..., "data": ...}``, data the JSON text of its encoded
    ``{"source": ..., "compiled": ...}`` (parsed only when the pack is used)."""
    classes: list[object]
    """The classes the encoded objects name by position (checked when decoding)."""


def _owned(info: os.stat_result) -> bool:
    if not stat.S_ISREG(info.st_mode):
        return False
    getuid = getattr(os, "getuid", None)
    return getuid is None or info.st_uid == getuid()


def _secret(folder: Path, *, create: bool) -> bytes | None:
    """The HMAC key: this user's, private; made on first use. None if it is unsafe."""
    path = folder / _KEY_FILE
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            if not create:
                return None
            key = secrets.token_bytes(32)
            # Whole, then linked into place: a key file created empty and filled afterwards
            # would be read half-written (empty) by a concurrent writer, which then fails.
            descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-key-")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(key)
                os.link(temporary, path)  # never replaces: FileExistsError if another won
            except FileExistsError:
                continue  # another process made it first: read that one
            finally:
                Path(temporary).unlink(missing_ok=True)
            return key
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            private = os.name != "posix" or not info.st_mode & 0o077
            key = handle.read(33)
            return key if _owned(info) and private and len(key) == 32 else None
    return None


def _entry(folder: Path, key: str) -> Path:
    return folder / f"{key}{_SUFFIX}"


def read(key: str) -> CachedKb | None:
    """The entry for ``key``, or None: absent, unreadable, corrupt, foreign or another format."""
    folder = cache_dir()
    try:
        secret = _secret(folder, create=False)
        if secret is None:
            return None
        descriptor = os.open(_entry(folder, key), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not _owned(info) or info.st_size > MAX_ENTRY:
                return None
            blob = handle.read(MAX_ENTRY + 1)
    except OSError:
        return None
    mac, _, body = blob.partition(b"\n")
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
        return None
    version, overrides, packs = data.get("version"), data.get("overrides"), data.get("packs")
    classes = data.get("classes")
    if not (isinstance(version, str) and isinstance(overrides, list)
            and all(isinstance(o, str) for o in overrides) and isinstance(packs, dict)
            and isinstance(classes, list)):
        return None
    return CachedKb(version, tuple(overrides), packs, classes)


def write(
    key: str, version: str, overrides: Sequence[str], packs: Mapping[str, object],
    classes: Sequence[str],
) -> bool:
    """Store an entry (temporary file, then rename); False when it could not be written."""
    folder = cache_dir()
    body = json.dumps(
        {"format": FORMAT, "key": key, "version": version, "overrides": list(overrides),
         "classes": list(classes), "packs": packs},
        ensure_ascii=False, separators=(",", ":"),
    ).encode("utf-8", "surrogatepass")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        secret = _secret(folder, create=True)
        if secret is None:
            return False
        mac = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=_SUFFIX)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(mac + b"\n" + body)
            os.replace(temporary, _entry(folder, key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def clear() -> tuple[Path, int]:
    """Remove every entry (and the HMAC key); the folder and how many entries went."""
    folder = cache_dir()
    removed = 0
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return folder, 0
    for name in names:
        if name.endswith(_SUFFIX) or name == _KEY_FILE:
            try:
                (folder / name).unlink()
            except OSError:
                continue
            removed += name.endswith(_SUFFIX) and not name.startswith(".tmp-")
    return folder, removed
