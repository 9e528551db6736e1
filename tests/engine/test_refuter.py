"""A case's refutation (verdicts kept per field value) against every program run by ``truth``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from syncdoctor.casefile import read_case
from syncdoctor.diagnosis.case import clock
from syncdoctor.diagnosis.pipeline import run_case
from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.engine.refute import truth

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _reference(
    pack: Pack, message: Mapping[str, object], known: Collection[str], frozen: Collection[str]
) -> tuple[set[int], set[int], tuple[int, ...]]:
    """(blocked, impossible, programs refuted) with each touched program interpreted."""
    refutations = pack.compiled.refutations
    blocked: set[int] = set()
    impossible: set[int] = set()
    refuted: list[int] = []
    for number, (program, read) in enumerate(
        zip(refutations.programs, refutations.facts, strict=True)
    ):
        if read & set(known) and not truth(program, message, ())[0]:
            refuted.append(number)
            blocked.update(refutations.blocks[number])
            impossible.update(refutations.blocks[number])
        elif read & set(frozen) and not truth(program, message, frozen)[0]:
            impossible.update(refutations.blocks[number])
    return blocked, impossible, tuple(refuted)


def test_refutation_matches_every_program_interpreted(bundled_kb: KnowledgeBase) -> None:
    checked = 0
    for case in (read_case(path) for path in sorted(EXAMPLES.glob("*/*.yaml"))):
        if case.pack is None:
            continue
        pack = bundled_kb.pack(case.pack)
        run = run_case(pack, case.facts, kb=bundled_kb, now=clock(case.now), trace=True)
        assert run.case is not None
        full = run.messages[0]
        known = list(run.case.facts)
        # The whole message, a third of its fields gone, and values no operand names.
        variants: list[dict[str, Any]] = [
            dict(full),
            {k: v for n, (k, v) in enumerate(full.items()) if n % 3},
            {k: (v if k == "t" else "no such value") for k, v in full.items()},
        ]
        for message in variants:
            for frozen in ((), sorted(pack.facts)[:4]):
                found = pack.prepared.refuter.refute(message, known, frozen)
                expected = _reference(pack, message, known, frozen)
                assert (found.blocked, found.impossible, found.programs) == expected, case.pack
                checked += 1
    assert checked > 50
