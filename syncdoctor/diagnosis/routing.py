"""Pack choice: the one pack whose catalogue holds every supplied fact, or the candidates.

When several packs hold every fact, the facts are typed against each before any of its error
patterns reads them: a value no candidate accepts is a FactError, and patterns only ever see
typed, length-limited text.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.diagnosis.case import check_ids, type_facts
from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.errors import FactError
from syncdoctor.kb.problems import nearest
from syncdoctor.types import FactValue

__all__ = ["MIN_ROUTE_SCORE", "candidates", "choose_pack"]

MIN_ROUTE_SCORE = 2
"""The least weight of matching patterns that lets a text choose its pack alone: one pattern
of the pack's own wording (weight 3), or two ordinary ones. Below it, or on a tie, the text
names no integration and the Diagnosis asks which, likely packs first."""


def candidates(kb: KnowledgeBase, facts: Mapping[str, object]) -> list[tuple[str, bool]]:
    """The packs that could take these facts (every pack when none holds them all).

    Each with whether its error patterns recognise the supplied text ("likely"): the likely
    packs come first, the best-recognised first; the others follow by id.
    """
    names = sorted(kb.packs)
    holding = [p for p in names if all(f in kb.packs[p].facts for f in facts)]
    if not holding:
        return [(name, False) for name in names]
    typed = _typed(kb, holding, facts)
    if not typed:
        return [(name, False) for name in holding]
    scored = sorted(
        ((route_score(pack, values), pack.id) for pack, values in typed),
        key=lambda item: (-item[0], item[1]),
    )
    return [(pack_id, score > 0) for score, pack_id in scored]


def choose_pack(kb: KnowledgeBase, facts: Mapping[str, object]) -> Pack | None:
    """The pack whose catalogue holds every supplied fact; None when it is ambiguous.

    Raises:
        FactError: an id that is not text, a fact that no pack knows, facts that no single pack
            holds together, or a value that no candidate pack accepts.
    """
    names = check_ids(facts)
    fitting = sorted(p.id for p in kb.packs.values() if all(f in p.facts for f in names))
    if len(fitting) == 1:
        return kb.packs[fitting[0]]  # run_case types the facts before any pattern runs
    if not fitting:
        every = {f for p in kb.packs.values() for f in p.facts}
        for fact in sorted(names):
            if fact not in every:
                raise FactError(fact, "no pack knows this fact", suggestion=nearest(fact, every))
        raise FactError(
            ", ".join(sorted(names)),
            "these facts belong to different packs; say which pack with pack=...",
        )
    typed = _typed(kb, fitting, facts)
    scored = sorted(
        ((route_score(pack, values), pack.id, pack) for pack, values in typed),
        key=lambda item: (-item[0], item[1]),
    )
    if len(scored) == 1:
        return scored[0][2]
    if scored[0][0] >= MIN_ROUTE_SCORE and scored[0][0] > scored[1][0]:
        return scored[0][2]
    return None


def _typed(
    kb: KnowledgeBase, pack_ids: list[str], facts: Mapping[str, object]
) -> list[tuple[Pack, dict[str, FactValue]]]:
    """The packs (of ``pack_ids``) whose catalogue accepts every value, with the typed facts.

    Raises:
        FactError: no pack accepts the values; the error of the first pack, by id.
    """
    accepted: list[tuple[Pack, dict[str, FactValue]]] = []
    first: FactError | None = None
    for pack_id in pack_ids:
        pack = kb.packs[pack_id]
        try:
            accepted.append((pack, type_facts(pack, facts)))
        except FactError as error:
            first = first or error
    if not accepted and first is not None:
        raise first
    return accepted


def route_score(pack: Pack, facts: Mapping[str, FactValue]) -> int:
    """How strongly the pack's error patterns recognise the supplied (typed) text.

    Each matching extractor adds its ``route_weight``: 0 for words any integration writes, so
    that a generic "credit note" or a leading "429:" does not pull a text to a pack.
    """
    score = 0
    matched: dict[str, set[int]] = {}
    for number, source, weight in pack.prepared.routes:  # the extractors of nonzero weight
        text = facts.get(source)
        if not isinstance(text, str):
            continue
        found = matched.get(source)
        if found is None:
            found = matched[source] = pack.scan.matching(source, text)
        if number in found:
            score += weight
    return score
