"""Each askable fact's readers, as question selection picks them from a case's live marks."""

from __future__ import annotations

from syncdoctor.engine.knowledge import default_kb


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
