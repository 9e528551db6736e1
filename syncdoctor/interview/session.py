"""``Interview``: one question at a time, every step committed to a session store first.

Usage::

    from syncdoctor import Interview, MemoryStore

    iv = Interview.start(store=MemoryStore(), pack="connectbooster", now="2024-05-01T12:00:00Z")
    while (question := iv.next_question()) is not None:
        iv.answer(question.fact, ask_the_user(question))   # or iv.skip(question.fact)
    print(iv.diagnosis.causes[0].title)

Every step is validated, then committed (the store returns only once it is durable), and only
then does the Interview change: a bad answer raises and changes nothing, and an acknowledged one
survives a crash. The state is never kept apart from the events: each step replays the events in
effect and re-runs the stateless pipeline (see :mod:`syncdoctor.interview.replay`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from syncdoctor.diagnosis.case import clock
from syncdoctor.diagnosis.pipeline import diagnose
from syncdoctor.diagnosis.result import Diagnosis, Question
from syncdoctor.diagnosis.routing import choose_pack
from syncdoctor.engine.knowledge import KnowledgeBase, Pack, default_kb
from syncdoctor.errors import REDACTED, FactError
from syncdoctor.interview.answers import (
    Answer,
    ParsedAnswer,
    check_fact,
    fact_ids,
    held_cause,
    message_fact,
    parse_answer,
    shared_message_fact,
    stored_facts,
    stored_value,
)
from syncdoctor.interview.collecting import SessionCollecting, collecting_for, session_view
from syncdoctor.interview.errors import InterviewError
from syncdoctor.interview.events import (
    EventKind,
    EventSource,
    SessionEvent,
    SessionHeader,
    StoredJson,
    check_source,
    message_title,
    new_session_id,
)
from syncdoctor.interview.replay import SessionState, replay
from syncdoctor.interview.store import SessionStore
from syncdoctor.kb.values import iso_moment

if TYPE_CHECKING:
    from syncdoctor.collectors.runner import Collectors

__all__ = ["Interview"]


class Interview:
    """A guided diagnosis kept in a session store: ask, answer, skip, undo, resume.

    Build one with :meth:`start` or :meth:`resume`, never directly.
    """

    def __init__(
        self, store: SessionStore, kb: KnowledgeBase, header: SessionHeader,
        events: tuple[SessionEvent, ...], collecting: SessionCollecting | None = None,
        held: dict[str, object] | None = None,
    ) -> None:
        self._store = store
        self._kb = kb
        self._header = header
        self._events = events
        self._secrets = held or {}  # secret values, stored as ***: in this process's memory only
        self._state: SessionState = replay(kb, header, events, self._secrets)
        self._collecting = collecting
        self._view = session_view(kb, self._state, collecting)
        self._gather()

    # -- starting and resuming ----------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        store: SessionStore,
        pack: str | None = None,
        facts: Mapping[str, object] | None = None,
        unknown: Iterable[str] = (),
        now: datetime | str | None = None,
        message: str | None = None,
        title: str | None = None,
        kb: KnowledgeBase | None = None,
        collect: bool | Collectors = False,
    ) -> Interview:
        """Start a session and write it to ``store``.

        Args:
            store: where the session lives (``SqliteStore``, ``MemoryStore``).
            pack: the pack; None chooses it from ``facts`` and ``message``. When they do not
                settle it, ``diagnosis.pack_choices`` lists the candidates: call
                :meth:`choose_pack`.
            facts: what is known from the start (a case file's facts); shown as "case" facts.
            unknown: facts known from the start to be unanswerable.
            now: the case clock (ISO text or datetime); None fixes it at the start time, so
                that a session resumed later gives the same Diagnosis.
            message: a pasted error message; it goes into the pack's message fact
                (``error.message``) and helps choose the pack.
            title: what the case is about (a case file's title), for the report and the
                sessions list; None takes the first line of ``message`` (its first
                :data:`TITLE_CHARACTERS` characters), if there is one.
            kb: the knowledge base; None uses the bundled one.
            collect: True (or a ``Collectors``): after every step, the pack's collectors fetch
                what the questions need, each fact committed as the collector's answer.

        Raises:
            FactError: a fact or an unknown id the pack does not have, a value of the wrong
                type, a fact both given and unknown.
            PackError: an unknown pack id.
            StoreError: the store cannot write the session.
        """
        knowledge = kb if kb is not None else default_kb()
        collecting = collecting_for(collect)
        moment = clock(now)
        given = dict(facts or {})
        unknown_ids = sorted(set(fact_ids(unknown)))
        chosen = knowledge.pack(pack) if pack is not None else None
        if message is not None:
            if not isinstance(message, str):
                raise FactError("message", "expected text", expected="text")
            if chosen is None:  # the message itself helps choose the pack
                routed = {**dict.fromkeys(unknown_ids), **given,
                          shared_message_fact(knowledge): message}
                chosen = choose_pack(knowledge, routed)
            target = message_fact(chosen) if chosen is not None else shared_message_fact(
                knowledge)
            given[target] = message
            if title is None:
                title = message_title(message)
        # Check everything exactly as diagnose() would; this raises before anything is stored.
        first_run = diagnose(
            given, pack=chosen.id if chosen else None, kb=knowledge, now=moment,
            unknown=unknown_ids,
        )
        chosen = knowledge.packs[first_run.pack] if first_run.pack is not None else None
        header = SessionHeader(
            id=new_session_id(),
            created_at=datetime.now(UTC),
            pack=chosen.id if chosen is not None else None,
            kb_version=knowledge.version,
            clock=iso_moment(moment),
            facts=stored_facts(knowledge, chosen, given, moment),
            unknown=unknown_ids,
            title=title,
        )
        store.create(header)
        secrets = {name: v for name, v in given.items() if header.facts.get(name) == REDACTED}
        return cls(store, knowledge, header, (), collecting, secrets)

    @classmethod
    def resume(
        cls, session_id: str, *, store: SessionStore, kb: KnowledgeBase | None = None,
        collect: bool | Collectors = False,
    ) -> Interview:
        """The session exactly as it was: its events replayed on ``kb`` (the bundled one).

        ``collect`` as for :meth:`start` (what collectors gave before is replayed, not fetched).
        On another knowledge base version than the session started on, the Diagnosis says so in
        its warnings, and answers that no longer fit are left out with a warning.

        Raises:
            SessionNotFound: no such session in the store.
            StoreError: the store cannot be read.
        """
        collecting = collecting_for(collect)
        stored = store.load(session_id)
        return cls(store, kb if kb is not None else default_kb(), stored.header, stored.events,
                   collecting)

    # -- what the session knows -------------------------------------------------------------

    @property
    def id(self) -> str:
        """The session id, stable for the session's life: give it to :meth:`resume`."""
        return self._header.id

    @property
    def header(self) -> SessionHeader:
        """How the session started: pack, starting facts, unknown ids, clock, KB version."""
        return self._header

    @property
    def diagnosis(self) -> Diagnosis:
        """The current Diagnosis (with ``collected`` and ``not_collected`` when collecting)."""
        return self._view

    @property
    def pack(self) -> str | None:
        """The pack in use; None until one is chosen."""
        return self._state.pack

    @property
    def answers(self) -> tuple[Answer, ...]:
        """Every answer and skip in effect, in order: fact, value or unknown, when, source."""
        return self._state.answers

    @property
    def facts(self) -> dict[str, StoredJson]:
        """Every fact with a value so far (starting facts and answers), as stored."""
        return dict(self._state.facts)

    @property
    def not_fixed_causes(self) -> tuple[str, ...]:
        """The causes reported as "did not fix it", in order."""
        return self._state.not_fixed

    @property
    def fixed_cause(self) -> str | None:
        """The cause whose remediation fixed the problem (:meth:`fixed`); None while open."""
        return self._state.fixed

    @property
    def events(self) -> tuple[SessionEvent, ...]:
        """Every committed event, undone ones and undos included."""
        return self._events

    @property
    def store(self) -> SessionStore:
        """The store the session is kept in."""
        return self._store

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base the session runs on."""
        return self._kb

    @property
    def now(self) -> datetime:
        """The case clock."""
        return clock(self._header.clock)

    def next_question(self) -> Question | None:
        """The best question still worth asking; None once no answer can change the outcome.

        The first of ``diagnosis.questions``: what :func:`syncdoctor.diagnose`, the tools and a
        bot would ask next, too (the list is ordered by value, then playbook step, then cost).

        Also None while no pack is chosen (``diagnosis.pack_choices`` lists those to offer,
        :meth:`choose_pack` takes the choice) and while the session is fixed (:meth:`fixed`).
        Never a fact already known, skipped, or unknown from the start.
        """
        questions = self._view.questions
        return questions[0] if questions and self._state.fixed is None else None

    @property
    def finished(self) -> bool:
        """True once a pack is chosen and no answer can change the outcome, or it is fixed."""
        return self.pack is not None and self.next_question() is None

    # -- steps -------------------------------------------------------------------------------

    def check(self, fact: str, value: object) -> ParsedAnswer:
        """Validate an answer without storing it (for a prompt's validator).

        ``understood`` tells how a datetime phrase such as "3 hours ago" was read.

        Raises:
            InterviewError: no pack is chosen yet.
            FactError: an unknown fact or a value of the wrong type.
        """
        return parse_answer(self._chosen_pack(), fact, value, clock=self.now)

    def answer(self, fact: str, value: object, *, source: EventSource = "agent") -> Diagnosis:
        """Answer a fact; returns the new Diagnosis once the answer is committed.

        A later answer to the same fact replaces an earlier one (an agent correcting a
        mistake); :meth:`undo` takes the latest step back. Datetime facts also accept
        ``now``, ``yesterday 15:00``, ``3 hours ago``..., read against the case clock.

        Raises:
            InterviewError: no pack is chosen yet.
            FactError: an unknown fact, no value, or a value of the wrong type; nothing changes.
            StoreError: the store could not commit; nothing changes.
        """
        pack = self._chosen_pack()
        parsed = parse_answer(pack, fact, value, clock=self.now)
        stored = stored_value(self._kb, parsed.fact, parsed.json)
        if stored == REDACTED and parsed.json != REDACTED:
            self._secrets[parsed.fact] = parsed.json
        return self._commit("answer", source, fact=parsed.fact, value=stored)

    def skip(self, fact: str, *, source: EventSource = "agent") -> Diagnosis:
        """The user does not know: the fact is never asked again and no rule fires on it.

        Raises:
            InterviewError: no pack is chosen yet.
            FactError: a fact the pack does not have, or one the rules work out.
        """
        name = check_fact(self._chosen_pack(), fact, for_skip=True)
        return self._commit("skip", source, fact=name)

    def undo(self, *, source: EventSource = "agent") -> Diagnosis:
        """Take back the latest answer or skip still in effect.

        A pack choice and a "did not fix it" are not taken back by undo.

        Raises:
            InterviewError: there is no answer or skip to take back.
        """
        if not self._state.answers:
            raise InterviewError("nothing to undo", hint="no answer or skip is in effect")
        return self._commit("undo", source)

    def not_fixed(self, cause: str | None = None, *, source: EventSource = "agent") -> Diagnosis:
        """"Did this fix it?" "No.": rule ``cause`` (default: the top cause) out and move on.

        The cause is ruled out with the reason "its remediation did not fix the problem"
        (evidence rule ``agent.not_fixed``); the questions move on to the next hypotheses.

        Raises:
            InterviewError: no pack chosen, or ``cause`` is not among the current causes.
            FactError: a cause the pack does not have.
        """
        return self._commit("not_fixed", source, value=self._held(cause, "not fixed"))

    def fixed(self, cause: str | None = None, *, source: EventSource = "agent") -> Diagnosis:
        """"Did this fix it?" "Yes.": ``cause`` (default: the top cause) fixed the problem.

        The session is closed (``finished``, no question left; the report says what fixed it)
        until a later step reopens it: :meth:`not_fixed` ("it came back"), an answer, an undo.

        Raises:
            InterviewError: no pack chosen, or ``cause`` is not among the current causes.
        """
        return self._commit("fixed", source, value=self._held(cause, "fixed"))

    def _held(self, cause: str | None, said: str) -> str:
        return held_cause(self._chosen_pack(), self._state.diagnosis.cause_ids, cause, said)

    def choose_pack(self, pack: str, *, source: EventSource = "agent") -> Diagnosis:
        """Choose the pack (the answer to "which integration?") and go on in it.

        Raises:
            PackError: an unknown pack id.
            FactError: the facts given so far do not belong to that pack; nothing changes.
        """
        chosen = self._kb.pack(pack)
        # The facts so far must fit the new pack: diagnose() says so before anything is stored.
        diagnose(self._state.facts, pack=chosen.id, kb=self._kb, now=self.now,
                 unknown=self._state.unknown)
        return self._commit("choose_pack", source, value=chosen.id)

    # -- internals ---------------------------------------------------------------------------

    def _chosen_pack(self) -> Pack:
        if self._state.pack is None:
            choices = ", ".join(c.id for c in self._state.diagnosis.pack_choices)
            raise InterviewError("no pack is chosen yet", hint=f"choose one (choose_pack; over "
                                 f"HTTP, POST /v1/sessions/ID/pack): {choices}")
        return self._kb.packs[self._state.pack]

    def _commit(
        self, kind: EventKind, source: EventSource, *, fact: str | None = None,
        value: StoredJson = None,
    ) -> Diagnosis:
        check_source(source)
        at = datetime.now(UTC)
        draft = SessionEvent(seq=len(self._events) + 1, kind=kind, fact=fact, value=value,
                             at=at, source=source)
        # Run the pipeline on the new state first: if it fails, nothing is stored.
        state = replay(self._kb, self._header, (*self._events, draft), self._secrets)
        event = self._store.append(self._header.id, kind, source=source, fact=fact,
                                   value=value, at=at)
        if event.seq != draft.seq:  # another process appended to this session meanwhile
            self._events = self._store.load(self._header.id).events
            self._state = replay(self._kb, self._header, self._events, self._secrets)
        else:
            self._events = (*self._events, event)
            self._state = state
        self._view = session_view(self._kb, self._state, self._collecting)
        if source != "collector":
            self._gather()
        return self._view

    def _gather(self) -> None:
        if self._collecting is not None:  # fetch what the questions need, commit as answers
            self._collecting.gather(self._kb, lambda: self._state, lambda fact, value: (
                self._commit("answer", "collector", fact=fact, value=value)))
            self._view = session_view(self._kb, self._state, self._collecting)

