"""Pack choice: the one pack whose catalogue holds every supplied fact, or the candidates."""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.errors import FactError
from syncdoctor.kb.problems import nearest

__all__ = ["candidates", "choose_pack"]


def candidates(kb: KnowledgeBase, facts: Mapping[str, object]) -> list[str]:
    """The packs that could take these facts (every pack when none holds them all)."""
    names = sorted(kb.packs)
    return [p for p in names if all(f in kb.packs[p].facts for f in facts)] or names


def choose_pack(kb: KnowledgeBase, facts: Mapping[str, object]) -> Pack | None:
    """The pack whose catalogue holds every supplied fact; None when it is ambiguous.

    Raises:
        FactError: a fact that no pack knows, or facts that no single pack holds together.
    """
    names = [str(f) for f in facts]
    fitting = [p for p in kb.packs.values() if all(f in p.facts for f in names)]
    if len(fitting) == 1:
        return fitting[0]
    if not fitting:
        every = {f for p in kb.packs.values() for f in p.facts}
        for fact in sorted(names):
            if fact not in every:
                raise FactError(fact, "no pack knows this fact", suggestion=nearest(fact, every))
        raise FactError(
            ", ".join(sorted(names)),
            "these facts belong to different packs; say which pack with pack=...",
        )
    scored = sorted(
        ((_extractor_score(p, facts), p.id, p) for p in fitting),
        key=lambda item: (-item[0], item[1]),
    )
    if scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][2]
    return None


def _extractor_score(pack: Pack, facts: Mapping[str, object]) -> int:
    """How many of the pack's error patterns recognise the supplied text."""
    score = 0
    for extractor, pattern in zip(pack.extractors, pack.source.patterns, strict=True):
        text = facts.get(extractor.from_)
        if isinstance(text, str) and pattern.search(text) is not None:
            score += 1
    return score
