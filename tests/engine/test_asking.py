"""Each askable fact's readers, as question selection picks them from a case's live marks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncdoctor import diagnose, load_kb
from syncdoctor.casefile import read_case
from syncdoctor.engine import asking
from syncdoctor.engine.asking import LANES_FROM, _lanes, _picker
from syncdoctor.engine.knowledge import default_kb

from support import REPO


def test_readers_are_the_askers_serving_a_cause_in_rank_order() -> None:
    for pack_id in default_kb().packs:
        pack = default_kb().pack(pack_id)
        index = pack.index
        asking = pack.prepared.asking
        assert list(asking.readers) == list(index.askers)
        for fact, askers in index.askers.items():
            readers = asking.readers[fact]
            serving = sorted((min(index.rule_cause[r]), r) for r in askers if index.rule_cause[r])
            # Marking each reader with its own number picks the readers back, in order.
            marks = bytearray(len(pack.rules))
            for number, (_, rule) in enumerate(serving):
                marks[rule] = number % 251 + 1
            assert list(readers.pick(marks)) == [n % 251 + 1 for n in range(len(serving))]
            assert list(readers.causes) == [cause for cause, _ in serving]
            # In step order, the same readers (ties in rank order), beside their steps.
            by_step = sorted(
                range(len(serving)), key=lambda n: (index.rule_steps[serving[n][1]], n)
            )
            assert list(readers.pick_by_step(marks)) == [n % 251 + 1 for n in by_step]
            assert list(readers.steps) == [index.rule_steps[serving[n][1]] for n in by_step]
            assert list(readers.steps) == sorted(readers.steps)
            assert list(zip(readers.ids, readers.titles, strict=True)) == [
                (index.cause_order[cause], index.cause_titles[cause]) for cause, _ in serving
            ]
        assert all(index.cause_order[n] == cause for cause, n in asking.position.items())
        assert len(asking.position) == len(index.cause_order)


def test_support_marks_are_the_supporting_rules() -> None:
    for pack_id in default_kb().packs:
        pack = default_kb().pack(pack_id)
        marks = pack.prepared.asking.support
        assert len(marks) == len(pack.rules)
        assert {n for n, mark in enumerate(marks) if mark} == set(pack.index.support_rules)
        assert set(marks) <= {0, 1}


@settings(max_examples=300, deadline=None)
@given(
    runs=st.lists(st.integers(min_value=1, max_value=5), min_size=LANES_FROM, max_size=120),
    data=st.data(),
)
def test_many_readers_give_each_live_cause_once_in_rank_order(
    runs: list[int], data: st.DataObject
) -> None:
    # Readers in rank order, those of one cause side by side (runs of 1-5), as Asking builds.
    causes = tuple(rank for rank, run in enumerate(runs) for _ in range(run))
    rules = tuple(range(len(causes)))
    ids = tuple(f"c{cause}" for cause in causes)
    titles = tuple(f"Cause {cause}" for cause in causes)
    lanes = _lanes(_picker(rules), causes, ids, titles)
    assert lanes is not None
    marks = bytearray(data.draw(st.lists(st.integers(0, 1), min_size=len(causes),
                                         max_size=len(causes))))
    live = sorted({cause for cause, mark in zip(causes, marks, strict=True) if mark})
    found = lanes(marks)
    if not live:
        assert found is None
        return
    assert found is not None
    assert list(found[0]) == [f"c{cause}" for cause in live]
    assert list(found[1]) == [f"Cause {cause}" for cause in live]


def test_few_readers_take_the_dict_path() -> None:
    causes = tuple(range(LANES_FROM - 1))
    names = tuple(map(str, causes))
    assert _lanes(_picker(causes), causes, names, names) is None


def test_the_lanes_give_every_example_the_diagnosis_the_dicts_give(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every fact through the lanes (LANES_FROM 1), derivations and raw texts included, on the
    # bundled examples and on each with one fact more the user cannot answer. Packs are built
    # on first use: the dict KB's are built before LANES_FROM changes, the lanes KB's after.
    dict_kb = load_kb(cache=False)
    lanes_kb = None
    try:
        for pack_id in dict_kb.packs:
            assert all(r.lanes is None for r in dict_kb.pack(pack_id).prepared.asking
                       .readers.values() if len(r.causes) < LANES_FROM)
        monkeypatch.setattr(asking, "LANES_FROM", 1)
        lanes_kb = load_kb(cache=False)
        for pack_id in lanes_kb.packs:
            readers = lanes_kb.pack(pack_id).prepared.asking.readers.values()
            assert all(r.lanes is not None for r in readers if r.causes)
        compared = 0
        for path in sorted((REPO / "examples").glob("*/*.yaml")):
            case = read_case(path)
            variants = [list(case.unknown)]
            variants += [[*case.unknown, fact] for fact in sorted(case.facts)[:3]]
            for unknown in variants:
                facts = {k: v for k, v in case.facts.items() if k not in unknown}
                expected = diagnose(facts, pack=case.pack, now=case.now, unknown=unknown,
                                    kb=dict_kb)
                got = diagnose(facts, pack=case.pack, now=case.now, unknown=unknown,
                               kb=lanes_kb)
                assert got.model_dump_json() == expected.model_dump_json(), (path, unknown)
                compared += 1
        assert compared > 300
    finally:
        if lanes_kb is not None:
            lanes_kb.close()
        dict_kb.close()
