"""The fork gate: a fork waits for the cases running, and a case inside a case never waits."""

from __future__ import annotations

import os
import threading
import time

import pytest

from syncdoctor.engine import forkgate


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_fork_waits_for_the_case_running_to_end() -> None:
    started, ended = threading.Event(), []

    @forkgate.between_forks
    def case() -> None:
        started.set()
        time.sleep(0.3)
        ended.append(time.monotonic())

    thread = threading.Thread(target=case)
    thread.start()
    assert started.wait(10)
    pid = os.fork()
    if pid == 0:
        os._exit(0 if ended else 3)  # the case had ended before the copy was made
    forked = time.monotonic()
    _, status = os.waitpid(pid, 0)
    thread.join()
    assert os.waitstatus_to_exitcode(status) == 0
    assert ended and forked >= ended[0]


def test_a_case_started_while_a_fork_waits_waits_for_it() -> None:
    order: list[str] = []
    forkgate.before_fork()  # as os.fork would: nothing running, so the gate closes at once
    thread = threading.Thread(target=forkgate.between_forks(lambda: order.append("case")))
    thread.start()
    time.sleep(0.2)
    order.append("fork done")
    forkgate.in_parent()
    thread.join(10)
    assert order == ["fork done", "case"]


def test_a_case_inside_a_case_does_not_wait_for_a_waiting_fork() -> None:
    inside, closing = threading.Event(), threading.Event()
    finished: list[float] = []

    @forkgate.between_forks
    def inner() -> None:
        pass

    @forkgate.between_forks
    def outer() -> None:
        inside.set()
        closing.wait(10)
        time.sleep(0.1)  # the fork is now waiting for this case
        inner()
        finished.append(time.monotonic())

    def fork_side() -> None:
        assert inside.wait(10)
        closing.set()
        forkgate.before_fork()
        forkgate.in_parent()

    start = time.monotonic()
    threads = [threading.Thread(target=outer), threading.Thread(target=fork_side)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # Without the depth check the inner case would wait for the fork, which waits for the
    # outer case: both held until the fork gave up after FORK_WAIT_SECONDS.
    assert finished and finished[0] - start < forkgate.FORK_WAIT_SECONDS / 2
