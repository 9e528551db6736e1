"""Control characters in facts are shown, never obeyed, by the agent's terminal."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from syncdoctor.cli.console import SafeConsole
from syncdoctor.cli.safe_text import shown_safely

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


def test_diagnose_prints_a_hostile_message_harmlessly(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text('pack: impac\nnow: 2024-05-01T12:00:00Z\nfacts:\n  sync.status: failed\n'
                    '  error.message: "X\\u001b[2JRED"\n')
    for output in ("text", "markdown"):
        done = subprocess.run([sys.executable, "-m", "syncdoctor", "diagnose", str(case),
                               "--format", output], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "X␛[2JRED" in done.stdout
