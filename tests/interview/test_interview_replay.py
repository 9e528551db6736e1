"""A property: any sequence of answers, skips and undos gives the Diagnosis its replay gives.

The live Interview, one resumed from the stored events, and a stateless diagnose() of the facts
in effect must agree after every step; an invalid step must change nothing.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from syncdoctor import FactError, Interview, InterviewError, MemoryStore, diagnose
from syncdoctor.engine.knowledge import default_kb

NOW = "2024-05-01T12:00:00Z"
KB = default_kb()
PACKS = sorted(KB.packs)
DATETIMES = ["2024-04-30T10:00:00Z", "3 hours ago", "yesterday 15:00", "now", "2024-05-01"]
TEXTS = [
    "Payment could not be applied: invoice INV-1043 was not found",
    "1020 - Terms Code “F48” is not defined in A/R Terms.",
    "Xero API returned HTTP 500 Internal Server Error",
    "something else",
]


def value_for(kind: str, values: list[str] | None, pick: int) -> object:
    """An answer of the fact's type (sometimes a wrong one, to exercise refusals)."""
    if pick % 11 == 10:
        return "not a valid answer for most types"
    if kind == "bool":
        return pick % 2 == 0
    if kind == "enum" and values:
        return values[pick % len(values)]
    if kind in ("integer", "decimal"):
        return [0, 1, 9, 10, 150, 12.5][pick % 6]
    if kind == "datetime":
        return DATETIMES[pick % len(DATETIMES)]
    if kind == "duration":
        return ["15m", "2h", 90][pick % 3]
    if kind == "text":
        return TEXTS[pick % len(TEXTS)]
    return [{"bogus": 1}]  # records: refused, which must change nothing


STEP = st.tuples(st.sampled_from(["answer", "answer", "skip", "undo"]), st.integers(0, 50),
                 st.integers(0, 1000))


@settings(max_examples=40)
@given(pack=st.sampled_from(PACKS), steps=st.lists(STEP, max_size=12))
def test_live_and_replayed_interviews_agree(pack: str, steps: list[tuple[str, int, int]]) -> None:
    store = MemoryStore()
    iv = Interview.start(store=store, pack=pack, now=NOW, kb=KB)
    for action, which, pick in steps:
        questions = iv.diagnosis.questions
        before = (iv.diagnosis, len(store.load(iv.id).events))
        try:
            if action == "undo":
                iv.undo()
            elif not questions:
                continue
            else:
                question = questions[which % len(questions)]
                if action == "skip":
                    iv.skip(question.fact)
                else:
                    iv.answer(question.fact, value_for(question.type, question.values, pick))
        except (FactError, InterviewError):
            assert (iv.diagnosis, len(store.load(iv.id).events)) == before, "changed nothing"
            continue
        question = iv.next_question()
        if question is not None:
            assert question.fact not in iv.facts and question.fact not in iv.diagnosis.unknown
        resumed = Interview.resume(iv.id, store=store, kb=KB)
        assert resumed.diagnosis.model_dump_json() == iv.diagnosis.model_dump_json()
        assert resumed.answers == iv.answers
        stateless = diagnose(iv.facts, pack=pack, kb=KB, now=NOW, unknown=iv.diagnosis.unknown
                             + [f for f in _skipped(iv) if f not in iv.diagnosis.unknown])
        assert stateless.model_dump_json() == iv.diagnosis.model_dump_json()


def _skipped(iv: Interview) -> list[str]:
    # A skipped fact that an error message states is worked out, so Diagnosis.unknown omits it.
    return [a.fact for a in iv.answers if a.unknown and a.fact not in iv.facts]
