"""Several threads and several processes appending to one session: no event lost or reordered."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from syncdoctor.interview import SessionEvent, SessionStore, SqliteStore, open_store

from store_support import STORE_KINDS, make_header

CHILD = Path(__file__).with_name("store_child.py")


def check_interleaving(events: tuple[SessionEvent, ...], writers: dict[str, int]) -> None:
    """Seqs 1..N without a gap, and each writer's events in the order it appended them.

    A value is ``[writer tag, ..., n]``, n counting each writer's appends from 1.
    """
    assert [event.seq for event in events] == list(range(1, sum(writers.values()) + 1))
    for tag, count in writers.items():
        mine = [event.value[-1] for event in events if event.value[0] == tag]  # type: ignore[index]
        assert mine == list(range(1, count + 1)), tag


def run_threads(count: int, work: Callable[[int], None]) -> None:
    failures: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as error:  # reported by the main thread below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_threads_sharing_one_store(kind: str, new_store: Callable[[str], SessionStore]) -> None:
    with new_store(kind) as store:
        header = make_header()
        store.create(header)

        def append_some(index: int) -> None:
            for n in range(1, 26):
                store.append(header.id, "answer", fact="f", value=[f"t{index}", n], source="bot")

        run_threads(8, append_some)
        check_interleaving(store.load(header.id).events, {f"t{index}": 25 for index in range(8)})
        assert store.list()[0].answers == 200


def test_threads_each_with_its_own_connection_to_one_file(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    header = make_header()
    with SqliteStore(path) as store:
        store.create(header)
    stores: list[SessionStore] = [SqliteStore(path) for _ in range(4)]
    try:

        def append_some(index: int) -> None:
            for n in range(1, 21):
                stores[index].append(header.id, "answer", fact="f", value=[f"c{index}", n], source="bot")

        run_threads(4, append_some)
    finally:
        for store in stores:
            store.close()
    with SqliteStore(path) as store:
        check_interleaving(store.load(header.id).events, {f"c{index}": 20 for index in range(4)})


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_two_processes_appending_to_one_store(
    kind: str, tmp_path: Path, shared_store_url: Callable[[str], str]
) -> None:
    url = shared_store_url(kind)
    header = make_header()
    with open_store(url) as store:
        store.create(header)
    ready = tmp_path / "ready"
    ready.mkdir()
    children = [
        subprocess.Popen(
            [sys.executable, str(CHILD), "append", url, header.id, tag, "40", str(ready), "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for tag in ("A", "B")
    ]
    acknowledged = {}
    for tag, child in zip(("A", "B"), children, strict=True):
        with child:
            out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        acknowledged[tag, child.pid] = [tuple(map(int, line.split())) for line in out.splitlines()]
    with open_store(url) as store:
        events = store.load(header.id).events
    check_interleaving(events, {"A": 40, "B": 40})
    for (tag, pid), lines in acknowledged.items():  # each acknowledged seq holds what was written
        assert len(lines) == 40
        assert [events[seq - 1].value for seq, _ in lines] == [[tag, pid, n] for _, n in lines]
