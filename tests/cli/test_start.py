"""The interview's first prompt: a pack by number, name or the start of a name, or a message."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from syncdoctor.cli.terminal.prompter import LinePrompter
from syncdoctor.cli.terminal.start import Start, ask_start
from syncdoctor.engine.knowledge import default_kb


def _start(typed: str) -> tuple[Start, str]:
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    start = ask_start(default_kb(), LinePrompter(io.StringIO(typed), out), console)
    return start, out.getvalue()


def test_a_number_past_the_list_is_refused_not_taken_as_the_message() -> None:
    start, shown = _start("9\n\n2\n")
    assert start == Start(pack=sorted(default_kb().packs)[1])
    assert "! type 1-5 to choose a pack, or paste the whole error message" in shown


@pytest.mark.parametrize(("typed", "pack"), [("sage\n\n", "sage300"), ("Mambu\n\n", "mambu_xero"),
                                             ("impac\n", "impac")])
def test_the_start_of_one_pack_name_chooses_it(typed: str, pack: str) -> None:
    start, shown = _start(typed)
    assert start == Start(pack=pack)
    assert ("understood as" in shown) == (typed.strip() != pack)


def test_anything_else_is_the_error_message() -> None:
    start, _ = _start("Terms code 30NET does not exist\n\n")
    assert start == Start(message="Terms code 30NET does not exist")
    assert _start("x\n\n")[0] == Start(message="x")  # one letter names no pack


@pytest.mark.parametrize("typed", ["²", "٢"])
def test_a_digit_that_is_not_ascii_is_the_message_not_a_pack_or_a_crash(typed: str) -> None:
    assert _start(f"{typed}\n\n")[0] == Start(message=typed)


def test_a_pack_keeps_its_number_when_the_likely_ones_are_listed_first() -> None:
    from syncdoctor.cli.terminal.start import ask_pack
    from syncdoctor.diagnosis.result import PackChoice

    choices = [PackChoice(id="sage300", title="S", likely=True),
               PackChoice(id="connectbooster", title="C"), PackChoice(id="impac", title="I")]
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    chosen = ask_pack(choices, LinePrompter(io.StringIO("1\n"), out), console)
    assert chosen == "connectbooster"  # 1 is the first by name, as in the first menu
    listed = [line.split()[:2] for line in out.getvalue().splitlines() if ") " in line]
    assert listed[:3] == [["3)", "sage300"], ["1)", "connectbooster"], ["2)", "impac"]]
