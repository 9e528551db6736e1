"""The session store contract: the same test bodies run against every store kind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncdoctor.errors import SyncdoctorError
from syncdoctor.interview import (
    SessionExists,
    SessionNotFound,
    SessionStore,
    StoreError,
    answers_in_effect,
)
from syncdoctor.interview.store import MAX_EVENT_BYTES, MAX_EVENTS

from store_support import STARTED, STORE_KINDS, make_header

NewStore = Callable[[str], SessionStore]


def at(minutes: int) -> datetime:
    return STARTED + timedelta(minutes=minutes)


def test_a_created_session_loads_as_written_with_no_events(store: SessionStore) -> None:
    header = make_header(facts={"a": [1, 2.5, None, True, "é"], "b": {"c": 10**30}})
    store.create(header)
    loaded = store.load(header.id)
    assert loaded.header == header
    assert loaded.header.facts == {"a": [1, 2.5, None, True, "é"], "b": {"c": 10**30}}
    assert loaded.events == ()


def test_appends_are_numbered_from_one_and_load_in_order(store: SessionStore) -> None:
    header = make_header()
    store.create(header)
    committed = [
        store.append(header.id, "answer", fact="sync.error_code", value="E42", source="agent", at=at(1)),
        store.append(header.id, "skip", fact="payment.method", source="agent", at=at(2)),
        store.append(header.id, "undo", source="agent", at=at(3)),
        store.append(header.id, "not_fixed", value="cause.token_expired", source="bot", at=at(4)),
        store.append(header.id, "choose_pack", value="impac", source="agent", at=at(5)),
        store.append(header.id, "answer", fact="records", value=[{"id": 1}], source="collector", at=at(6)),
    ]
    assert [event.seq for event in committed] == [1, 2, 3, 4, 5, 6]
    assert store.load(header.id).events == tuple(committed)
    assert committed[0].value == "E42" and committed[3].value == "cause.token_expired"


def test_sessions_number_their_events_independently(store: SessionStore) -> None:
    first, second = make_header(), make_header()
    store.create(first)
    store.create(second)
    store.append(first.id, "skip", fact="a", source="agent")
    store.append(first.id, "skip", fact="b", source="agent")
    assert store.append(second.id, "skip", fact="a", source="agent").seq == 1
    assert [event.fact for event in store.load(first.id).events] == ["a", "b"]


def test_times_are_kept_in_utc(store: SessionStore) -> None:
    header = make_header(created_at=datetime(2026, 11, 20, 11, 0, tzinfo=timezone(timedelta(hours=2))))
    store.create(header)
    event = store.append(header.id, "skip", fact="a", source="agent",
                         at=datetime(2026, 11, 20, 12, 0, tzinfo=timezone(timedelta(hours=-5))))
    loaded = store.load(header.id)
    assert loaded.header.created_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert loaded.header.created_at.utcoffset() == timedelta(0)
    assert loaded.events[0].at == datetime(2026, 11, 20, 17, 0, tzinfo=UTC) == event.at
    assert loaded.events[0].at.utcoffset() == timedelta(0)


def test_an_event_without_a_time_is_stamped_now(store: SessionStore) -> None:
    header = make_header()
    store.create(header)
    before = datetime.now(UTC)
    event = store.append(header.id, "skip", fact="a", source="agent")
    assert before <= event.at <= datetime.now(UTC)


def test_a_missing_session_is_a_clear_error(store: SessionStore) -> None:
    with pytest.raises(SessionNotFound, match="no session 'feedc0de'") as raised:
        store.load("feedc0de")
    assert raised.value.session_id == "feedc0de"
    assert isinstance(raised.value, SyncdoctorError)
    with pytest.raises(SessionNotFound):
        store.append("feedc0de", "skip", fact="a", source="agent")
    assert store.list() == ()


@pytest.mark.parametrize("bad_id", ["", "-rf", "../../etc/passwd", "a b", "x" * 5000, "é", "a\x00"])
def test_a_malformed_id_is_a_session_that_is_not_there(store: SessionStore, bad_id: str) -> None:
    with pytest.raises(SessionNotFound) as raised:
        store.load(bad_id)
    assert "x" * 61 not in str(raised.value)  # a hostile id is cut short in the message
    assert store.delete(bad_id) is False


def test_an_id_is_taken_once(store: SessionStore) -> None:
    header = make_header()
    store.create(header)
    store.append(header.id, "skip", fact="a", source="agent")
    with pytest.raises(SessionExists):
        store.create(make_header(id=header.id, title="another"))
    assert store.load(header.id).header.title == header.title
    assert len(store.load(header.id).events) == 1


@pytest.mark.parametrize(
    ("kind", "fields", "says"),
    [
        ("answer", {"value": 1}, "needs fact"),
        ("answer", {"fact": "a"}, "needs a value"),
        ("skip", {"fact": "a", "value": 3}, "takes no value"),
        ("undo", {"fact": "a"}, "takes no fact"),
        ("not_fixed", {}, "cause id"),
        ("choose_pack", {"value": 7}, "pack id"),
        ("answer", {"fact": "a", "value": float("nan")}, "not a JSON value"),
        ("answer", {"fact": "a", "value": {1: "int key"}}, "not a JSON value"),
        ("answer", {"fact": "a", "value": b"bytes"}, "not a JSON value"),
        ("answer", {"fact": "a", "value": [10**1000]}, "not a JSON value"),
        ("answer", {"fact": "", "value": 1}, "fact"),
        ("shout", {"fact": "a", "value": 1}, "kind"),
    ],
)
def test_a_malformed_event_is_refused_and_nothing_is_kept(
    store: SessionStore, kind: str, fields: dict[str, object], says: str
) -> None:
    header = make_header()
    store.create(header)
    with pytest.raises(StoreError, match=says):
        store.append(header.id, kind, source="agent", **fields)  # type: ignore[arg-type]
    assert store.load(header.id).events == ()
    assert store.append(header.id, "skip", fact="a", source="agent").seq == 1


def test_a_title_leaves_control_characters_out_so_every_store_keeps_it(
        store: SessionStore) -> None:
    header = make_header(title="a\x00b\tc\x1b")
    assert header.title == "ab c"
    store.create(header)
    assert store.list()[0].title == "ab c"


@pytest.mark.parametrize(
    "header_fields", [{"pack": "sage\x00"}, {"title": "\udc80"},
                      {"facts": {"log": "half a pair: \ud800"}}],
)
def test_text_no_store_can_keep_is_refused_in_a_header(
    store: SessionStore, header_fields: dict[str, object]
) -> None:
    # PostgreSQL text holds no NUL and UTF-8 no lone surrogate: every store refuses them alike.
    header = make_header(**header_fields)
    with pytest.raises(StoreError, match=r"NUL character|not valid Unicode"):
        store.create(header)
    assert store.list() == ()


@pytest.mark.parametrize(
    ("kind", "fields"),
    [("answer", {"fact": "a\x00", "value": 1}), ("choose_pack", {"value": "impac\x00"}),
     ("answer", {"fact": "a", "value": {"text": "\udc80"}})],
)
def test_text_no_store_can_keep_is_refused_in_an_event(
    store: SessionStore, kind: str, fields: dict[str, object]
) -> None:
    header = make_header()
    store.create(header)
    with pytest.raises(StoreError, match=r"NUL character|not valid Unicode"):
        store.append(header.id, kind, source="agent", **fields)  # type: ignore[arg-type]
    assert store.load(header.id).events == ()


def test_nul_inside_json_values_is_kept(store: SessionStore) -> None:
    header = make_header(facts={"log": "before\x00after"})
    store.create(header)
    store.append(header.id, "answer", fact="a", value=["\x00", {"k\x00": "v"}], source="agent")
    loaded = store.load(header.id)
    assert loaded.header.facts == {"log": "before\x00after"}
    assert loaded.events[0].value == ["\x00", {"k\x00": "v"}]


def test_a_refused_event_never_quotes_its_value(store: SessionStore) -> None:
    header = make_header()
    store.create(header)
    with pytest.raises(StoreError) as raised:
        store.append(header.id, "skip", fact="api.key", value="sk-live-hunter2", source="agent")
    assert "hunter2" not in str(raised.value)


def test_values_have_a_size_and_depth_limit(store: SessionStore) -> None:
    header = make_header()
    store.create(header)
    with pytest.raises(StoreError, match="larger than"):
        store.append(header.id, "answer", fact="log", value="x" * (MAX_EVENT_BYTES + 1), source="agent")
    deep: list[object] = []
    for _ in range(2000):
        deep = [deep]
    with pytest.raises(StoreError):
        store.append(header.id, "answer", fact="log", value=deep, source="agent")  # type: ignore[arg-type]
    assert store.load(header.id).events == ()


def test_undo_needs_an_answer_or_skip_in_effect(store: SessionStore) -> None:
    header = make_header()
    store.create(header)
    with pytest.raises(StoreError, match="nothing to undo"):
        store.append(header.id, "undo", source="agent")
    store.append(header.id, "answer", fact="a", value=1, source="agent")
    store.append(header.id, "not_fixed", value="cause.x", source="agent")
    store.append(header.id, "undo", source="agent")  # takes back the answer, not the not_fixed
    with pytest.raises(StoreError, match="nothing to undo"):
        store.append(header.id, "undo", source="agent")
    events = store.load(header.id).events
    assert [event.kind for event in events] == ["answer", "not_fixed", "undo"]
    assert answers_in_effect(events) == ()


def test_the_listing_counts_answers_in_effect_and_shows_the_latest_pack(store: SessionStore) -> None:
    header = make_header(pack=None, title="t")
    store.create(header)
    for fact in ("a", "b", "c"):
        store.append(header.id, "answer", fact=fact, value=True, source="agent", at=at(1))
    store.append(header.id, "undo", source="agent", at=at(2))
    store.append(header.id, "choose_pack", value="impac", source="agent", at=at(3))
    store.append(header.id, "skip", fact="d", source="agent", at=at(4))
    (summary,) = store.list()
    assert (summary.id, summary.pack, summary.title, summary.answers) == (header.id, "impac", "t", 3)
    assert (summary.created_at, summary.updated_at) == (STARTED, at(4))
    assert [event.fact for event in store.load(header.id).answers] == ["a", "b", "d"]


def test_the_listing_says_which_cause_fixed_a_session_while_that_is_its_latest_step(
        store: SessionStore) -> None:
    header, other = make_header(), make_header()
    store.create(header)
    store.create(other)
    store.append(header.id, "fixed", value="cause.token_expired", source="agent", at=at(1))
    assert {s.id: s.fixed for s in store.list()} == {header.id: "cause.token_expired",
                                                    other.id: None}
    store.append(header.id, "not_fixed", value="cause.token_expired", source="agent", at=at(2))
    assert [s.fixed for s in store.list()] == [None, None]  # "it came back": open again


def test_the_listing_is_most_recently_updated_first_and_pages(store: SessionStore) -> None:
    ids = []
    for minute in (5, 1, 3):
        header = make_header(created_at=at(0))
        store.create(header)
        store.append(header.id, "skip", fact="a", source="agent", at=at(minute))
        ids.append((minute, header.id))
    tied = sorted([make_header(created_at=at(9)).id for _ in range(2)])
    for session_id in reversed(tied):
        store.create(make_header(id=session_id, created_at=at(9)))
    newest_first = tied + [session_id for _, session_id in sorted(ids, reverse=True)]
    assert [summary.id for summary in store.list()] == newest_first
    assert [summary.id for summary in store.list(limit=2, offset=1)] == newest_first[1:3]
    assert store.list(limit=10, offset=5) == ()
    for limit, offset in ((0, 0), (1001, 0), (10, -1)):
        with pytest.raises(StoreError, match=r"limit|offset"):
            store.list(limit=limit, offset=offset)


def test_an_older_event_time_does_not_move_a_session_back(store: SessionStore) -> None:
    header = make_header()
    store.create(header)
    store.append(header.id, "skip", fact="a", source="agent", at=at(10))
    store.append(header.id, "skip", fact="b", source="agent", at=at(2))
    assert store.list()[0].updated_at == at(10)


def test_delete_removes_a_session_and_only_that_one(store: SessionStore) -> None:
    kept, gone = make_header(), make_header()
    for header in (kept, gone):
        store.create(header)
        store.append(header.id, "skip", fact="a", source="agent")
    assert store.delete(gone.id) is True
    assert store.delete(gone.id) is False
    with pytest.raises(SessionNotFound):
        store.load(gone.id)
    with pytest.raises(SessionNotFound):
        store.append(gone.id, "skip", fact="b", source="agent")
    assert [summary.id for summary in store.list()] == [kept.id]
    assert len(store.load(kept.id).events) == 1
    store.create(make_header(id=gone.id))  # the id is free again, with a fresh log
    assert store.append(gone.id, "skip", fact="a", source="agent").seq == 1


def test_what_a_caller_holds_cannot_change_what_is_stored(store: SessionStore) -> None:
    header = make_header(facts={"records": [{"id": 1}]})
    store.create(header)
    header.facts["records"].append({"id": 2})  # type: ignore[union-attr]
    value = {"rows": [1]}
    event = store.append(header.id, "answer", fact="x", value=value, source="agent")
    value["rows"].append(2)
    event.value["rows"].append(3)  # type: ignore[index, union-attr]
    loaded = store.load(header.id)
    loaded.header.facts["records"].append({"id": 4})  # type: ignore[union-attr]
    again = store.load(header.id)
    assert again.header.facts == {"records": [{"id": 1}]}
    assert again.events[0].value == {"rows": [1]}


def test_a_closed_store_refuses_work_and_closing_twice_is_fine(store: SessionStore) -> None:
    header = make_header()
    store.create(header)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.load(header.id)
    with pytest.raises(StoreError, match="closed"):
        store.append(header.id, "skip", fact="a", source="agent")


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_store_is_a_context_manager_that_closes(kind: str, new_store: NewStore) -> None:
    with new_store(kind) as opened:
        opened.create(make_header())
    with pytest.raises(StoreError, match="closed"):
        opened.list()


# -- a property: any sequence of steps reads back as written, with the same answers in effect --

STEP = st.one_of(
    st.tuples(st.just("answer"), st.sampled_from(["a.x", "b.y", "c.z"]),
              st.one_of(st.integers(), st.text(max_size=20), st.booleans(),
                        st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=3))),
    st.tuples(st.just("skip"), st.sampled_from(["a.x", "d.w"]), st.none()),
    st.tuples(st.just("undo"), st.none(), st.none()),
    st.tuples(st.just("not_fixed"), st.none(), st.sampled_from(["cause.a", "cause.b"])),
    st.tuples(st.just("choose_pack"), st.none(), st.sampled_from(["impac", "sage300"])),
)


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_any_sequence_of_steps_reads_back_in_order(kind: str, new_store: NewStore) -> None:
    with new_store(kind) as opened:

        @settings(max_examples=40)  # each SQLite append is an fsync: keep the suite quick
        @given(steps=st.lists(STEP, max_size=10))
        def check(steps: list[tuple[str, str | None, object]]) -> None:
            header = make_header()
            opened.create(header)
            committed, in_effect = [], 0
            for step_kind, fact, value in steps:
                if step_kind == "undo" and in_effect == 0:
                    with pytest.raises(StoreError, match="nothing to undo"):
                        opened.append(header.id, "undo", source="agent")
                    continue
                in_effect += {"answer": 1, "skip": 1, "undo": -1}.get(step_kind, 0)
                committed.append(opened.append(header.id, step_kind, fact=fact, value=value, source="bot"))  # type: ignore[arg-type]
            loaded = opened.load(header.id)
            assert loaded.events == tuple(committed)
            assert [event.seq for event in loaded.events] == list(range(1, len(committed) + 1))
            summary = next(row for row in opened.list(limit=1000) if row.id == header.id)
            assert summary.answers == len(loaded.answers) == in_effect

        check()


def test_a_session_holds_at_most_its_limit_of_events(store: SessionStore) -> None:
    header, other = make_header(), make_header()
    store.create(header)
    store.create(other)
    for number in range(MAX_EVENTS):
        store.append(header.id, "answer", fact="a", value=number, source="bot")
    with pytest.raises(StoreError, match="the session holds 1,000 steps, the most one may hold"):
        store.append(header.id, "answer", fact="a", value="one more", source="bot")
    # A full session can still be closed: a step back, an outcome.
    store.append(header.id, "undo", source="bot")
    store.append(header.id, "not_fixed", value="c", source="bot")
    with pytest.raises(StoreError, match="the most one may hold"):
        store.append(header.id, "skip", fact="b", source="bot")
    assert len(store.load(header.id).events) == MAX_EVENTS + 2
    assert store.append(other.id, "answer", fact="a", value=1, source="bot").seq == 1
