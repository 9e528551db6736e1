"""A long-running process (the HTTP and MCP services): forks, closes, leaks and sessions."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable

import durable_rules_engine
import pytest

from syncdoctor import EngineError, KnowledgeBase, diagnose, load_kb
from syncdoctor.engine.runtime import Runtime, runtime

from support import FIXTURES, NOW

CASE = {"sync.status": "failed", "sync.error": "HTTP 503 Internal Server Error"}
HANG_GUARD_SECONDS = 60
"""A child still running after this is hung (a diagnosis takes milliseconds): not a speed goal."""


def _hammer(kb: KnowledgeBase, stop: threading.Event, errors: list[BaseException],
            call: Callable[[], object] | None = None, done: list[int] | None = None,
            ) -> threading.Thread:
    def work() -> None:
        while not stop.is_set():
            try:
                (call or (lambda: diagnose(CASE, kb=kb, now=NOW)))()
                if done is not None:
                    done.append(1)
            except EngineError as error:
                if "closed" not in str(error):
                    errors.append(error)
            except BaseException as error:  # collected and asserted by the test
                errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def _wait_child(pid: int) -> int | None:
    """The child's exit status, or None when it is still running past the guard (killed)."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_while_other_threads_diagnose_never_hangs_the_child(demo_kb) -> None:
    stop = threading.Event()
    errors: list[BaseException] = []
    threads = [_hammer(demo_kb, stop, errors) for _ in range(3)]
    statuses: list[int | None] = []
    try:
        for _ in range(30):
            pid = os.fork()
            if pid == 0:  # the child: one diagnosis, then out without running atexit
                try:
                    ok = diagnose(CASE, kb=demo_kb, now=NOW).cause_ids == ["api"]
                finally:
                    os._exit(0 if ok else 1)
            statuses.append(_wait_child(pid))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert statuses == [0] * 30  # None would be a hung child
    assert not errors


def test_close_during_in_flight_diagnoses_gives_only_clear_errors() -> None:
    for _ in range(3):
        kb = load_kb([FIXTURES / "demo_kb"], bundled=False)
        stop = threading.Event()
        errors: list[BaseException] = []
        threads = [_hammer(kb, stop, errors) for _ in range(4)]
        diagnose(CASE, kb=kb, now=NOW)
        kb.close()
        stop.set()
        for thread in threads:
            thread.join()
        assert not errors  # only "the knowledge base was closed", never durable error 111
        with pytest.raises(EngineError, match="closed"):
            diagnose(CASE, kb=kb, now=NOW)


def test_knowledge_base_is_a_context_manager() -> None:
    with load_kb([FIXTURES / "demo_kb"], bundled=False) as kb:
        assert diagnose(CASE, kb=kb, now=NOW).cause_ids == ["api"]
    with pytest.raises(EngineError, match="closed"):
        diagnose(CASE, kb=kb, now=NOW)


def test_a_knowledge_base_never_closed_frees_its_rulesets_when_collected() -> None:
    engine = runtime()
    # A pack read from the cache registers on first use: each load here uses its pack.
    load_kb([FIXTURES / "demo_kb"], bundled=False).pack("demo")  # warm up, dropped at once
    gc.collect()
    load_kb([FIXTURES / "demo_kb"], bundled=False).pack("demo")
    baseline = len(engine._host._ruleset_list)
    for _ in range(20):
        kb = load_kb([FIXTURES / "demo_kb"], bundled=False)
        diagnose(CASE, kb=kb, now=NOW)
        del kb
    gc.collect()
    # The next call into the engine frees them.
    load_kb([FIXTURES / "demo_kb"], bundled=False).pack("demo")
    assert len(engine._host._ruleset_list) <= baseline


def test_run_deletes_every_session_even_when_one_delete_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = Runtime()
    definitions = [{"sentinel": {"all": [{"c": {"t": "case"}}]}} for _ in range(3)]
    rulesets = own.register(definitions)
    real_delete = durable_rules_engine.delete_state
    deleted: list[int] = []

    def delete(handle: int, sid: str) -> None:
        if handle == rulesets[0].handle:
            raise durable_rules_engine.error("refused on purpose")
        real_delete(handle, sid)
        deleted.append(handle)

    def retract(handle: int, text: str) -> None:
        raise durable_rules_engine.error("refused on purpose")

    monkeypatch.setattr(durable_rules_engine, "delete_state", delete)
    # A session that cannot be emptied is deleted instead (the next run starts afresh).
    monkeypatch.setattr(durable_rules_engine, "retract_fact", retract)
    monkeypatch.setattr(durable_rules_engine, "retract_facts", retract)
    with pytest.raises(EngineError, match="could not delete session"):
        own.run(rulesets, [{"t": "case"}], lambda name, text: [])
    assert deleted == [r.handle for r in rulesets[1:]]  # the others were not left alive
    assert own.live_sessions == 1  # only the one whose delete failed
    own.release(rulesets)


def test_a_run_leaves_each_session_empty_for_the_next() -> None:
    own = Runtime()
    rulesets = own.register([
        {"two": {"all": [{"c": {"t": "case"}}, {"r": {"t": "row"}}]}},
        {"one": {"all": [{"c": {"t": "case", "x": 1}}]}},
    ])
    fired: list[str] = []
    messages = [{"t": "case", "x": 1}, {"t": "row", "n": 1}, {"t": "row", "n": 2}]
    for _ in range(3):
        own.run(rulesets, messages, lambda name, text: fired.append(name) or [])
        assert own.live_sessions == 0
    assert sorted(fired) == ["one", "one", "one", *["two"] * 6]  # nothing left over
    own.run(rulesets, [{"t": "row", "n": 3}], lambda name, text: fired.append(name) or [])
    assert len(fired) == 9  # the case message of the runs before is gone
    own.release(rulesets)
    assert not own._resident  # released rulesets take their sessions with them


def test_the_1025th_live_session_cannot_be_reached_from_the_public_api() -> None:
    # Several knowledge bases, threads hammering each, failing cases and closes among them:
    # sessions live only inside one run, under the engine lock, so at any moment at most one
    # per ruleset of one pack is alive; durable_rules fails at 1,024.
    engine = runtime()
    kbs = [load_kb([FIXTURES / "demo_kb"], bundled=False) for _ in range(3)]
    kbs.append(load_kb([FIXTURES / "hostile_kb"], bundled=False))
    stop = threading.Event()
    errors: list[BaseException] = []
    done: list[int] = []
    threads = [_hammer(kb, stop, errors, done=done) for kb in kbs[:3] for _ in range(2)]
    alpha = kbs[3]
    threads.append(_hammer(alpha, stop, errors, lambda: diagnose(
        {"msg": "error", "a.rows": [{"id": "r", "n": 1}]}, pack="alpha", kb=alpha, now=NOW)))
    threads.append(_hammer(alpha, stop, errors, lambda: _expect_fact_error(alpha), done))
    while len(done) < 1_500 and not errors:  # well past 1,024 sessions, all told
        time.sleep(0.05)
    kbs[1].close()
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors
    widest = max(len(p.registered) for kb in (kbs[0], kbs[2], kbs[3]) for p in kb.packs.values())
    assert 1 <= engine.peak_sessions <= widest
    assert engine.live_sessions == 0


def _expect_fact_error(kb: KnowledgeBase) -> None:
    from syncdoctor import FactError

    try:
        diagnose({"a.count": "many"}, pack="alpha", kb=kb, now=NOW)
    except FactError:
        return
    raise AssertionError("a.count: 'many' should be a FactError")
