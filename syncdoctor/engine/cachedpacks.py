"""The packs of a knowledge base read from the compiled-KB cache, each decoded on first use.

A diagnosis reads one pack; decoding and registering all of them cost most of a warm
``syncdoctor diagnose`` load (about 25 ms a pack on a loaded 2-core machine, the JSON parse of
the whole entry 50 ms more). So an entry holds each pack as JSON text of its own, with its
version beside it (a Diagnosis lists every pack's version), and a pack is parsed, decoded and
registered only when it is first looked up. Listing the ids or the versions decodes nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from syncdoctor._gc import building_for_good
from syncdoctor.engine.codec import CacheFormatError, Decoder
from syncdoctor.engine.compiler import CompiledPack
from syncdoctor.engine.forkgate import between_forks
from syncdoctor.kb.pack import PackSource

if TYPE_CHECKING:
    from syncdoctor.engine.kbcache import CachedKb
    from syncdoctor.engine.knowledge import Pack, Registration

__all__ = ["CachedPacks"]

Build = Callable[[PackSource, CompiledPack, bool], "Pack"]
"""Makes the Pack of a decoded source and compiled pack; False: leave it unregistered."""
Rebuild = Callable[[str], tuple[PackSource, CompiledPack]]
"""A pack from the KB's files: what an entry that no longer decodes falls back to."""


class CachedPacks(Mapping[str, "Pack"]):
    """Pack id -> Pack, each built from its cache text on first lookup (thread-safe)."""

    def __init__(
        self, entry: CachedKb, files: list[tuple[Path, str]], build: Build, rebuild: Rebuild,
    ) -> None:
        self._texts: dict[str, str] = {}
        self.versions: dict[str, str] = {}
        """Pack id -> its version, known without decoding the pack."""
        for pack_id, stored in entry.packs.items():
            if not (isinstance(stored, dict) and isinstance(stored.get("data"), str)
                    and isinstance(stored.get("version"), str)):
                raise CacheFormatError(f"pack {pack_id[:40]!r} is not stored as text")
            self._texts[pack_id], self.versions[pack_id] = stored["data"], stored["version"]
        self._decoder = Decoder(files, entry.classes)
        self._build, self._rebuild = build, rebuild
        self._packs: dict[str, Pack] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.for_good = False
        """Set for a KB kept as long as the process: its packs are built into frozen memory."""
        self.registrations: list[Registration] = []
        """Of the packs built so far: what closing (or the KB's finalizer) releases."""

    def __getitem__(self, pack_id: str) -> Pack:
        pack = self._packs.get(pack_id)
        if pack is not None:
            return pack
        if pack_id not in self._texts:
            raise KeyError(pack_id)
        return self._build_once(pack_id)

    @between_forks  # building holds locks (and imports): a fork waits for it to end
    def _build_once(self, pack_id: str) -> Pack:
        with self._lock:
            pack = self._packs.get(pack_id)
            if pack is None:
                if self.for_good:
                    with building_for_good():
                        pack = self._load(pack_id)
                else:
                    pack = self._load(pack_id)
                self.registrations.append(pack.registration)
                self._packs[pack_id] = pack
        return pack

    def _load(self, pack_id: str) -> Pack:
        try:
            encoded = json.loads(self._texts[pack_id])
            source = self._decoder.decode(encoded["source"])
            compiled = self._decoder.decode(encoded["compiled"])
            if not isinstance(source, PackSource) or not isinstance(compiled, CompiledPack):
                raise CacheFormatError("not a pack")
        except (CacheFormatError, KeyError, TypeError, ValueError, RecursionError):
            # Authenticated and keyed by this code's source, an entry should always decode:
            # if one does not, the pack is built again from the files, never trusted half-read.
            source, compiled = self._rebuild(pack_id)
        return self._build(source, compiled, not self._closed)

    def close(self) -> None:
        """Release the packs built so far; any built later is unregistered (cannot diagnose)."""
        with self._lock:
            self._closed = True
            registrations = list(self.registrations)
        for registration in registrations:
            registration.release()

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, pack_id: object) -> bool:
        return pack_id in self._texts
