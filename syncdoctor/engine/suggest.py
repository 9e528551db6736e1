"""'Did you mean' suggestions for misspelt ids."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name``, or None when none is close enough to help."""
    pool = sorted(set(candidates))
    if not pool or len(name) > 200:
        return None
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return matches[0] if matches else None
