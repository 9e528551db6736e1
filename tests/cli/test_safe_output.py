"""Control characters in facts are shown, never obeyed, by the agent's terminal."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from syncdoctor._safe_text import shown_safely
from syncdoctor.cli.console import SafeConsole

HOSTILE = "X\x1b[2J\x1b]0;pwned\x07\x9b31m\x7fY"


def test_every_control_but_newline_and_tab_is_made_visible_one_for_one() -> None:
    shown = shown_safely(HOSTILE + "\n\tok")
    assert shown == "X␛[2J␛]0;pwned␇\ufffd31m␡Y\n\tok"
    assert len(shown) == len(HOSTILE) + 4


def test_a_rich_console_keeps_its_own_styles_and_shows_the_facts() -> None:
    out = io.StringIO()
    console = SafeConsole(file=out, force_terminal=True, color_system="standard", width=200,
                          highlight=False)
    table = Table("fact", "value")
    table.add_row("error.message", escape(HOSTILE))
    console.print(f"[bold]{escape(HOSTILE)}[/bold]")
    console.print(table)
    printed = out.getvalue()
    assert "\x1b[1m" in printed  # rich's bold still reaches the terminal
    for raw in ("\x1b[2J", "\x1b]0;", "\x07", "\x9b", "\x7f"):
        assert raw not in printed
    assert printed.count("X␛[2J␛]0;pwned") == 2
    # Whole, in the table too: made visible before rich measured the cell, not cropped after.
    assert "X␛[2J␛]0;pwned␇\ufffd31m␡Y" in printed.split("┃")[-1]


def test_a_cell_full_of_escapes_is_shown_whole() -> None:
    out = io.StringIO()
    console = SafeConsole(file=out, width=60, color_system=None, highlight=False)
    table = Table("fact", "value")
    table.add_row("error.message", "\x1b[1mTerms code 30NET does not exist\x1b[0m")
    table.add_row("other", "\x1b" * 12 + "abc")
    console.print(table)
    shown = out.getvalue()
    assert "\x1b" not in shown
    assert "exist␛[0m" in shown  # the cell's last characters were cropped away
    assert "␛" * 12 + "abc" in shown


def test_diagnose_prints_a_hostile_message_harmlessly(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text('pack: impac\nnow: 2024-05-01T12:00:00Z\nfacts:\n  sync.status: failed\n'
                    '  error.message: "X\\u001b[2JRED"\n')
    for output in ("text", "markdown"):
        done = subprocess.run([sys.executable, "-m", "syncdoctor", "diagnose", str(case),
                               "--format", output], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "X␛[2JRED" in done.stdout


def test_piped_answers_are_echoed_safely() -> None:
    from syncdoctor.cli.terminal.prompter import LinePrompter, PromptRequest

    out = io.StringIO()
    prompter = LinePrompter(io.StringIO("bad\x1b[2J\nok\n"), out)
    request = PromptRequest(label="x >", check=lambda t: None if t == "ok" else f"not {t}")
    assert prompter.ask(request) == "ok"
    assert "\x1b" not in out.getvalue()
    assert "x > bad␛[2J\n  ! not bad␛[2J\n" in out.getvalue()


def test_bidirectional_overrides_cannot_reorder_what_the_agent_reads() -> None:
    shown = shown_safely("invoice 1234\u202e5678\u2066x\u2069 and \u200ehere")
    assert shown == "invoice 1234\ufffd5678\ufffdx\ufffd and \u200ehere"  # marks stay
