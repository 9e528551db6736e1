"""The five packs: picked from facts or a lone error message; patterns safe on hostile text."""

from __future__ import annotations

import random
import time

import pytest

from syncdoctor import diagnose
from syncdoctor.casefile import read_case

from support import NOW, REPO

# A guard against hangs (a backtracking regex, a quadratic scan), not a speed target: bench/
# measures speed. Alone these take milliseconds; a loaded CI machine can be many times slower.
HANG_GUARD_SECONDS = 15.0

PACKS = ("connectbooster", "impac", "iseller_accurate", "mambu_xero", "sage300")


def test_five_packs_load(bundled_kb) -> None:
    assert tuple(sorted(bundled_kb.packs)) == PACKS
    for pack in bundled_kb.packs.values():
        assert pack.version == "1.0.0"
        assert "error.message" in pack.facts, f"{pack.id} cannot read a raw error message"
        assert pack.extractors, f"{pack.id} has no extractors"


def _lone_messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted((REPO / "examples").glob("*/*.yaml")):
        case = read_case(path)
        if case.pack is None and set(case.facts) == {"error.message"}:
            found.append((path.parent.name, str(case.facts["error.message"])))
    return found


def test_every_pack_has_a_lone_message_example() -> None:
    assert {pack for pack, _ in _lone_messages()} == set(PACKS)


@pytest.mark.parametrize(("pack", "message"), _lone_messages())
def test_a_lone_error_message_picks_its_pack(bundled_kb, pack: str, message: str) -> None:
    result = diagnose({"error.message": message}, kb=bundled_kb, now=NOW)
    assert result.pack == pack
    assert result.inferred, "the message was classified into facts"


def test_an_unrecognised_message_asks_which_integration(bundled_kb) -> None:
    result = diagnose({"error.message": "something went wrong"}, kb=bundled_kb, now=NOW)
    assert result.pack is None
    assert result.questions == [], "which pack is no question about a fact"
    assert sorted(choice.id for choice in result.pack_choices) == list(PACKS)
    titles = {choice.id: choice.title for choice in result.pack_choices}
    assert titles["impac"] == bundled_kb.packs["impac"].playbook.title


def test_no_facts_at_all_asks_which_integration(bundled_kb) -> None:
    result = diagnose({}, kb=bundled_kb, now=NOW)
    assert result.pack is None
    assert [c.id for c in result.pack_choices] == sorted(bundled_kb.packs)


def test_a_chosen_pack_offers_no_choices(bundled_kb) -> None:
    assert diagnose({}, pack="impac", kb=bundled_kb, now=NOW).pack_choices == []


def test_sage_terms_code_is_quoted_in_the_remediation(bundled_kb) -> None:
    message = "Booking 10319: 1020 - Terms Code “F48” is not defined in A/R Terms."
    result = diagnose({"error.message": message}, kb=bundled_kb, now=NOW)
    assert result.pack == "sage300"
    text = "\n".join(c.remediation or "" for c in result.causes)
    assert "F48" in text
    assert "Sage 300" in text


def _hostile_texts() -> list[str]:
    rng = random.Random(5)
    size = 100 * 1024
    alphabet = "aA0 '\"“”-:/.,()[]{}*+?\\|^$\t\n"
    return [
        "a" * size,
        "1020 - Terms Code " * (size // 18),
        ("HTTP 5" + "0" * 50 + " ") * (size // 57),
        "".join(rng.choice(alphabet) for _ in range(size)),
        ("(" * 1000 + "x" + ")" * 1000) * (size // 2001),
        "Payment could not be applied invoice INV-" + "9" * (size - 40),
        ("cld-" + "a" * 30 + " ") * (size // 35),
    ]


@pytest.mark.parametrize("pack", PACKS)
def test_patterns_take_bounded_time_on_100_kb_of_hostile_text(bundled_kb, pack: str) -> None:
    for text in _hostile_texts():
        start = time.perf_counter()
        diagnose({"error.message": text}, pack=pack, kb=bundled_kb, now=NOW)
        elapsed = time.perf_counter() - start
        assert elapsed < HANG_GUARD_SECONDS, f"{pack}: {elapsed:.2f} s on a {len(text)}-character text"


def test_examples_cover_every_cause_of_every_pack(bundled_kb) -> None:
    examples = {p.parent.name for p in (REPO / "examples").glob("*/*.yaml")}
    assert examples == set(PACKS)


@pytest.mark.parametrize("pack", PACKS)
def test_the_cli_gives_the_expected_cause_for_an_example(bundled_kb, pack: str) -> None:
    import subprocess
    import sys

    for path in sorted((REPO / "examples" / pack).glob("*.yaml")):
        case = read_case(path)
        if case.expect is not None and case.expect.causes:
            break
    else:
        pytest.fail(f"no example of {pack} expects a cause")
    done = subprocess.run([sys.executable, "-m", "syncdoctor", "diagnose", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    titles = {c: bundled_kb.packs[pack].playbook.causes[c].title for c in case.expect.causes}
    for cause, title in titles.items():
        assert f"{title}  [{cause}," in done.stdout
    for words in case.expect.remediation_contains.values():
        for word in words:
            assert word in done.stdout
