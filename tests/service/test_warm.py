"""A service worker builds every pack and compiles every template before it listens."""

from __future__ import annotations

import gc

import pytest

from syncdoctor.engine.knowledge import load_kb
from syncdoctor.service.config import CONFIG_ENV, ServiceConfig
from syncdoctor.service.run import app_from_env


def _renderers(kb):  # type: ignore[no-untyped-def]
    for pack_id in sorted(kb.packs):
        yield from kb.packs[pack_id].templates.renderers


def test_warm_compiles_every_template_of_every_pack() -> None:
    kb = load_kb()
    before = [r for r in _renderers(kb) if r._template is not None]
    ready = kb.warm()
    after = list(_renderers(kb))
    assert before == []  # nothing compiled before the warm-up: it is what did it
    assert ready == len(after) > 100
    assert all(r._template is not None or "{" not in r.source for r in after)


def test_a_worker_is_warm_when_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, ServiceConfig(store="memory:").to_env())
    app = app_from_env()
    kb = app.state.engine.kb
    assert all(r._template is not None or "{" not in r.source
               for r in _renderers(kb))


def test_a_worker_keeps_its_app_out_of_the_collectors_reach(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The app and its warmed templates are frozen: no full collection walks them again."""
    monkeypatch.setenv(CONFIG_ENV, ServiceConfig(store="memory:").to_env())
    app = app_from_env()
    template = next(r._template for r in _renderers(app.state.engine.kb)
                    if r._template is not None)
    # The permanent generation is not listed. The templates are what the warm-up builds last,
    # after the bundled KB froze what it had built (the app among it): they tell.
    assert id(template) not in {id(o) for o in gc.get_objects()}
