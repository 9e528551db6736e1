"""Collectors in an interview: what they fetch is committed as the collector's answers.

A session that collects (``Interview.start(..., collect=True)``) asks the pack's collectors for
the facts among its questions after every step, before a person is asked. Each fetched fact is
committed like an answer, with source ``collector``: it is stored (redacted like any answer,
never a token) and a resumed session replays it without the network. Where it came from, the
request, is known for the life of the Interview that fetched it; a session resumed later says
"recorded in the session" and when. A collector that fails leaves its facts to the person, with
the reason in ``Diagnosis.not_collected``; it is not tried again by the same Interview.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from syncdoctor.collectors.lazy import finish
from syncdoctor.diagnosis.result import CollectedFact, CollectionFailure, Diagnosis
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.errors import FactError
from syncdoctor.interview.answers import stored_value
from syncdoctor.interview.events import StoredJson
from syncdoctor.interview.replay import SessionState
from syncdoctor.kb.values import iso_moment

if TYPE_CHECKING:
    from syncdoctor.collectors.runner import Collectors

__all__ = ["SessionCollecting", "collecting_for", "session_view"]

RECORDED = "recorded in the session"
"""The source shown for a fact a collector gave before the session was resumed."""


class SessionCollecting:
    """One Interview's collecting: its runner, what it tried, and where each fact came from."""

    def __init__(self, runner: Collectors) -> None:
        self.runner = runner
        self.tried: set[str] = set()
        self.provenance: dict[str, CollectedFact] = {}
        self.failures: dict[str, CollectionFailure] = {}

    def gather(
        self,
        kb: KnowledgeBase,
        state_of: Callable[[], SessionState],
        commit: Callable[[str, StoredJson], object],
    ) -> None:
        """Fetch what the session's questions need and commit each fact (stored redacted)."""
        state = state_of()
        if state.pack is None or state.fixed is not None:
            return  # a closed session fetches nothing (an answer would reopen it)
        pack = kb.packs[state.pack]
        for _ in range(len(pack.source.collectors)):
            diagnosis = state.diagnosis
            wanted = {question.fact for question in diagnosis.questions}
            known = {**diagnosis.inferred, **state.facts}
            plan = self.runner.plan(pack.source, wanted, known, self.tried)
            if not plan.due:
                return
            outcome = self.runner.run(pack.source, plan)
            self.tried.update(collector.id for collector, _ in plan.due)
            self.failures.update(outcome.failures)
            for fact, value in sorted(outcome.values.items()):
                if state_of().facts.get(fact) is None and fact in pack.index.used_facts:
                    self.provenance[fact] = outcome.collected[fact]
                    commit(fact, stored_value(kb, fact, value))
            state = state_of()


def collecting_for(collect: object) -> SessionCollecting | None:
    """The collecting of ``collect``: False, True (a runner of its own) or a ``Collectors``.

    Raises:
        FactError: anything else.
    """
    if collect is False:
        return None
    from syncdoctor.collectors.runner import Collectors  # httpx only once collecting

    if isinstance(collect, Collectors):
        return SessionCollecting(collect)
    if collect is True:
        return SessionCollecting(Collectors())
    raise FactError("collect", "expected true, false or a Collectors runner", expected="bool")


def session_view(
    kb: KnowledgeBase, state: SessionState, collecting: SessionCollecting | None
) -> Diagnosis:
    """The session's Diagnosis, with what collectors gave, why not, and the URL facts first."""
    diagnosis = state.diagnosis
    if state.pack is None:
        return diagnosis
    pack = kb.packs[state.pack]
    collected: dict[str, CollectedFact] = {}
    for answer in state.answers:
        if answer.source != "collector" or answer.unknown:
            continue
        known = collecting.provenance.get(answer.fact) if collecting is not None else None
        if known is None:
            giver = next((c.id for c in pack.source.collectors if answer.fact in c.facts), "")
            known = CollectedFact(value=answer.value, collector=giver, source=RECORDED,
                                  at=iso_moment(answer.at))
        collected[answer.fact] = known
    if collecting is None:
        if not collected:
            return diagnosis
        return diagnosis.model_copy(update={"collected": dict(sorted(collected.items()))})
    known_facts = {**diagnosis.inferred, **state.facts}
    return finish(collecting.runner, pack, diagnosis, collected, collecting.failures,
                  known_facts, collecting.tried)
