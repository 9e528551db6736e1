"""A plain diagnose runs on the event loop: the deadline still refuses one that waited too long."""

from __future__ import annotations

import time

import pytest

from syncdoctor.engine.knowledge import default_kb
from syncdoctor.service.app import DeadlineExceeded, Engine


def test_a_request_that_waited_past_its_deadline_is_not_started() -> None:
    engine = Engine(default_kb(), deadline=0.3)
    ran: list[bool] = []
    with pytest.raises(DeadlineExceeded, match="waited too long"):
        engine.run_here(lambda: ran.append(True), arrived=time.monotonic() - 1.0)
    assert ran == []
    assert engine.run_here(lambda: "done", arrived=time.monotonic()) == "done"
    assert not engine.alive  # it ran here: no engine thread was started for it
    engine.close()
