"""Running one case through durable_rules, around the traps of durable-rules 2.0.28.

- Its ``Host`` starts two background dispatch timers that race with the caller (missing
  conclusions, error 307, segfaults under threads): :class:`QuietHost` never starts them, and
  every call into the engine is serialised by one lock.
- Each live session id holds memory in proportion to the rule count and at most 1,024 may be
  live; creating one costs as much (about 8 KB cleared per beta node: 10 ms at 5,000 rules).
  So each ruleset keeps one resident session, and a case retracts every message it asserted
  when it ends, leaving the session empty for the next. A run that fails deletes the session
  instead (the next case creates a fresh one), and so does releasing the ruleset.
- ``MessageNotHandledException`` only means that no rule matched a message: not an error here.
- A ruleset name cannot be registered twice, and ``set_rulesets`` mutates its argument: names
  are unique per registration and the definitions are deep-copied.
- Its Python action dispatcher is slow per firing (a Closure, a JSON round trip of the session
  state, a datetime call that warns on Python 3.12) and swallows exceptions into
  ``state["exception"]``. Firings are read here straight from its agenda instead
  (``start_action_for_state`` / ``complete_and_start_action``): matching stays in its Rete
  network, and an exception in our handler propagates. The measured costs of both ways are in
  docs/design-notes.md.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import durable_rules_engine
from durable import engine as durable_engine

from syncdoctor.engine import forkgate
from syncdoctor.errors import EngineError, SyncdoctorError

_NOT_HANDLED = 1
_OBSERVED = 2
_SID = "0"
"""The one session id: at most one case runs at a time (under the lock), and it leaves the
session empty."""
_SID_FIELD = ',"sid":' + json.dumps(_SID) + "}"
"""The end of every message's text: its session id (``_SID``)."""

Message = dict[str, Any]
_message_json = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), check_circular=False
).encode
"""A message as durable_rules reads it: one encoder for every message (json.dumps with options
builds one per call), compact, and without a circularity check (messages are flat)."""
FiringHandler = Callable[[str, str], Iterable[Message]]
"""Called per firing with the durable rule name and the firing's JSON text (decode it only if
its bound messages are needed); returns the messages to assert next (derived facts)."""


class QuietHost(durable_engine.Host):  # type: ignore[misc]
    """durable_rules' Host without the background timers that race with the caller."""

    def _run(self) -> None:
        """Start nothing: every dispatch happens on the caller's thread, under the lock."""


def _never_called(_closure: object) -> None:  # pragma: no cover - see module docstring
    raise EngineError("durable_rules dispatched an action on its own; it never should here")


@dataclass(frozen=True)
class RegisteredRuleset:
    """A ruleset built in the engine."""

    name: str
    handle: int


class RulesetHolder(Protocol):
    """Something whose rulesets may be released while a case waits for the lock."""

    @property
    def rulesets(self) -> tuple[RegisteredRuleset, ...]:
        """The rulesets, read under the lock; empty once released."""
        ...


class Runtime:
    """The process-wide durable_rules host, and the lock that serialises every call into it.

    A case's messages live inside one :meth:`run`, under the lock, and are retracted (or the
    session deleted) before the lock is let go: each ruleset has at most one session, always the
    same id (durable_rules fails past 1,024).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._host = QuietHost()
        self._names = itertools.count(1)
        self._doomed: list[RegisteredRuleset] = []
        self._resident: set[int] = set()
        """Handles of the rulesets whose session (``_SID``) exists, empty between runs."""
        self.live_sessions = 0
        """Sessions holding a case's messages (0 whenever no case is running)."""
        self.peak_sessions = 0
        """The most sessions ever live at once in this process."""

    def register(self, definitions: Sequence[Mapping[str, Any]]) -> tuple[RegisteredRuleset, ...]:
        """Build rulesets from their JSON definitions; each gets a never-reused name."""
        built: list[RegisteredRuleset] = []
        with self._lock:
            self._release_doomed()
            for definition in definitions:
                name = f"syncdoctor_{next(self._names)}"
                # A JSON round trip copies these plain-JSON definitions several times faster
                # than copy.deepcopy (durable_rules mutates what it is given).
                rules = json.loads(json.dumps(definition))
                for rule in rules.values():
                    rule["run"] = _never_called
                try:
                    self._host.set_rulesets({name: rules})
                except Exception as error:  # durable raises bare Exception / its own error
                    raise EngineError(f"durable_rules could not build a ruleset: {error}") from (
                        error
                    )
                built.append(RegisteredRuleset(name, self._host.get_ruleset(name)._handle))
        return tuple(built)

    def release(self, rulesets: Iterable[RegisteredRuleset]) -> None:
        """Free rulesets that are no longer used (a closed or reloaded knowledge base)."""
        with self._lock:
            self._doomed.extend(rulesets)
            self._release_doomed()

    def release_later(self, rulesets: Iterable[RegisteredRuleset]) -> None:
        """Free rulesets at the next call into the engine, without waiting for the lock.

        For finalizers: the garbage collector may run one on a thread that already holds the
        lock, where :meth:`release` would deadlock. ``list.extend`` is atomic under the GIL.
        """
        self._doomed.extend(rulesets)

    def _release_doomed(self) -> None:
        doomed, self._doomed[:] = list(self._doomed), []
        for ruleset in doomed:
            if ruleset.handle in self._resident:
                # delete_ruleset does not free its sessions' memory.
                self._resident.discard(ruleset.handle)
                with contextlib.suppress(durable_rules_engine.error):
                    durable_rules_engine.delete_state(ruleset.handle, _SID)
            try:
                durable_rules_engine.delete_ruleset(ruleset.handle)
            except durable_rules_engine.error:
                continue
            self._host._ruleset_directory.pop(ruleset.name, None)
            self._host._ruleset_list[:] = [
                r for r in self._host._ruleset_list if r._handle != ruleset.handle
            ]

    def run(
        self,
        rulesets: Sequence[RegisteredRuleset] | RulesetHolder,
        messages: Sequence[Message],
        on_fire: FiringHandler,
    ) -> None:
        """Assert ``messages`` into every ruleset's session, until nothing fires; then retract.

        Messages returned by ``on_fire`` (derived facts) are asserted into every ruleset in
        turn: forward chaining across the rulesets a large pack is split into. A holder's
        rulesets are read under the lock, so that a knowledge base closed meanwhile gives a
        clear EngineError, never durable_rules' own error on a freed ruleset.

        Raises:
            EngineError: the rulesets were released, or durable_rules failed.
        """
        with self._lock:
            self._release_doomed()
            if isinstance(rulesets, Sequence):
                current: Sequence[RegisteredRuleset] = rulesets
            else:
                current = rulesets.rulesets
                if not current:
                    raise EngineError("the knowledge base was closed; it cannot diagnose")
            pending: list[deque[str]] = [deque() for _ in current]
            started = [False] * len(current)
            seen: dict[str, None] = {}  # insertion-ordered: retracted in the order asserted

            def enqueue(message: Message) -> None:
                text = _message_json(message)
                # The session id goes last, spliced into the text: the same text as encoding
                # a copy of the message with it, without copying the message.
                if "sid" in message or len(text) < 3:
                    text = _message_json({**message, "sid": _SID})
                else:
                    text = text[:-1] + _SID_FIELD
                if text in seen:
                    return
                seen[text] = None
                for queue in pending:
                    queue.append(text)

            for message in messages:
                enqueue(message)
            failed = True
            retracted = False
            try:
                while any(pending):
                    for index, ruleset in enumerate(current):
                        queue = pending[index]
                        while queue:
                            text = queue.popleft()
                            if not started[index]:
                                started[index] = True
                                self._resident.add(ruleset.handle)
                                self.live_sessions += 1
                                self.peak_sessions = max(self.peak_sessions, self.live_sessions)
                            for produced in self._assert(ruleset.handle, text, on_fire):
                                enqueue(produced)
                failed = False
                retracted = self._retract_all(current, started, seen)
            finally:
                if not retracted:  # the sessions left are deleted: the next run starts afresh
                    self._delete_all(current, started, _SID, raise_failure=not failed)

    def _retract_all(
        self, rulesets: Sequence[RegisteredRuleset], started: list[bool], texts: Iterable[str]
    ) -> bool:
        """Empty every session the run reached, keeping it for the next run.

        False when a retraction failed or fired something (no rule here negates, so none
        should): the caller then deletes the sessions that are left.
        """
        # One call per ruleset retracts them all (a JSON array: durable_rules retracts each
        # message of it, matched or not, in any order).
        every = "[" + ",".join(texts) + "]"
        for index, ruleset in enumerate(rulesets):
            if not started[index]:
                continue
            handle = ruleset.handle
            try:
                result = durable_rules_engine.retract_facts(handle, every)
                if result[0] not in (_NOT_HANDLED, _OBSERVED) and (
                    durable_rules_engine.start_action_for_state(handle, result[1])
                ):
                    return False
            except durable_rules_engine.error:
                return False
            started[index] = False
            self.live_sessions -= 1
        return True

    def _delete_all(
        self,
        rulesets: Sequence[RegisteredRuleset],
        started: Sequence[bool],
        sid: str,
        *,
        raise_failure: bool,
    ) -> None:
        """Delete the session from every ruleset it reached; the first failure is raised last.

        Stopping at the first failure would leave the other rulesets' sessions alive, and
        durable_rules fails for good past 1,024 of them.
        """
        failures: list[EngineError] = []
        for ruleset, was_started in zip(rulesets, started, strict=True):
            if not was_started:
                continue
            try:
                self._delete(ruleset.handle, sid)
            except EngineError as error:
                failures.append(error)
            else:
                self.live_sessions -= 1
            self._resident.discard(ruleset.handle)
        if failures and raise_failure:
            raise failures[0]  # when the run itself failed, its own error is the one to see

    @staticmethod
    def _assert(handle: int, text: str, on_fire: FiringHandler) -> list[Message]:
        try:
            result = durable_rules_engine.assert_fact(handle, text)
        except durable_rules_engine.error as error:
            raise EngineError(f"durable_rules refused a fact: {error}") from error
        if result[0] in (_NOT_HANDLED, _OBSERVED):
            return []
        state = result[1]
        produced: list[Message] = []
        try:
            action = durable_rules_engine.start_action_for_state(handle, state)
            while action:
                text = action[1]
                # The firing is {"<rule name>": {...}}; most firings need only the name.
                rule_name = text[2 : text.index('"', 2)]
                try:
                    produced.extend(on_fire(rule_name, text))
                except SyncdoctorError:
                    raise
                except Exception as error:
                    # durable_rules would bury this in state["exception"]; say it aloud.
                    raise EngineError(
                        f"the action of rule {rule_name} failed: {type(error).__name__}: {error}"
                    ) from error
                following = durable_rules_engine.complete_and_start_action(handle, state)
                action = (None, following) if following else None
        except durable_rules_engine.error as error:
            raise EngineError(f"durable_rules failed while firing rules: {error}") from error
        return produced

    @staticmethod
    def _delete(handle: int, sid: str) -> None:
        try:
            durable_rules_engine.delete_state(handle, sid)
        except durable_rules_engine.error as error:
            raise EngineError(f"durable_rules could not delete session {sid}: {error}") from error


_RUNTIME: Runtime | None = None
_RUNTIME_LOCK = threading.Lock()


def runtime() -> Runtime:
    """The process-wide runtime (durable_rules keeps global state, so there is one)."""
    global _RUNTIME
    found = _RUNTIME  # once made it never changes: no lock to take on every case
    if found is not None:
        return found
    with _RUNTIME_LOCK:
        if _RUNTIME is None:
            _RUNTIME = Runtime()
        return _RUNTIME


def _acquire_engine_locks() -> None:
    # Fork only between two cases (forkgate), and so between two calls into the engine: a child
    # that inherited a held lock (another thread was inside diagnose()) would wait for it
    # forever, and durable_rules' state would be half-updated.
    _RUNTIME_LOCK.acquire()
    if _RUNTIME is not None:
        _RUNTIME._lock.acquire()


def _release_engine_locks() -> None:
    if _RUNTIME is not None:
        _RUNTIME._lock.release()
    _RUNTIME_LOCK.release()


forkgate.also_hold(_acquire_engine_locks, _release_engine_locks)
