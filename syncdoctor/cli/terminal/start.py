"""Where an interview starts without a pack: a pasted error message, or a choice of pack.

A pasted message is handed to ``Interview.start(message=...)``, which routes it to the pack
whose error patterns recognise it; when that does not settle the pack, the Diagnosis lists the
candidates (``pack_choices``) and :func:`ask_pack` lets the agent choose among them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from syncdoctor.cli.terminal.prompter import Prompter, PromptRequest
from syncdoctor.diagnosis.result import PackChoice
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.report.numbers import certainty_places

__all__ = ["Start", "ask_pack", "ask_start"]

MAX_ERROR_TEXT = 100_000


@dataclass(frozen=True)
class Start:
    """What the first prompt gave: a pack, or an error message to route."""

    pack: str | None = None
    message: str | None = None


def ask_start(kb: KnowledgeBase, prompter: Prompter, console: Console) -> Start:
    """The first prompt of an interview with no pack: paste an error message, or choose a pack.

    Raises:
        EOFError: the agent quit before anything started.
    """
    names = sorted(kb.packs)
    console.print("[bold]What is the problem?[/bold] Paste the error message the customer sees "
                  "(end with an empty line), or choose a pack:")
    _list(console, [PackChoice(id=n, title=kb.packs[n].playbook.title) for n in names], names)

    def check(text: str) -> str | None:
        if not text.strip():
            return "paste the error message, or type a pack's number or name"
        if len(text) > MAX_ERROR_TEXT:
            return f"at most {MAX_ERROR_TEXT} characters"
        if _is_number(text.strip()) and _pack_named(names, text.strip()) is None:
            # A mistyped choice, not a customer's message: it would be kept as one.
            return f"type 1-{len(names)} to choose a pack, or paste the whole error message"
        return None

    text = prompter.ask(
        PromptRequest(
            label="error message or pack >",
            check=check,
            choices=tuple(names),
            multiline=True,
            # A pack's number or name is taken at once, without the empty line that ends a paste.
            commands=frozenset({"quit", *names, *(str(n) for n in range(1, len(names) + 1))}),
            hint=f"paste the message and end with an empty line, or type 1-{len(names)} or a "
            "pack name",
        )
    )
    if text == "quit":
        raise EOFError
    picked = _pack_named(names, text.strip())
    if picked is not None:
        if picked != text.strip():
            console.print(f"understood as {picked}")
        return Start(pack=picked)
    return Start(message=text.strip("\n"))


def ask_pack(choices: Sequence[PackChoice], prompter: Prompter, console: Console) -> str:
    """Which pack, among the candidates the Diagnosis offers.

    Raises:
        EOFError: the agent quit.
    """
    # Numbered by name, as the first menu is, whatever order the likely ones are listed in:
    # an agent who learnt "1 is connectbooster" is not sent elsewhere by a 1.
    names = sorted(choice.id for choice in choices)
    console.print("Which integration is it about?")
    _list(console, choices, names)
    text = prompter.ask(
        PromptRequest(
            label="pack >",
            check=lambda t: None if _pack_named(names, t.strip()) else
            f"type 1-{len(names)} or a pack name",
            choices=tuple(names),
            commands=frozenset({"quit"}),
            hint=f"1-{len(names)} or a pack name",
            completes=True,
        )
    )
    if text == "quit":
        raise EOFError
    chosen = _pack_named(names, text.strip())
    if chosen is None:  # the check lets only a pack through
        raise EOFError
    return chosen


def _list(console: Console, choices: Sequence[PackChoice], numbered: Sequence[str]) -> None:
    """Each choice, in the order given, under its number in ``numbered``."""
    for choice in choices:
        console.print(f"  {numbered.index(choice.id) + 1}) {choice.id:<18} {escape(choice.title)}")
        if choice.likely and choice.causes:
            best = choice.causes[0]
            console.print(f"     {'':<18} reads it as: {escape(best.title)} "
                          f"({certainty_places(best.certainty)})")


def _pack_named(names: Sequence[str], text: str) -> str | None:
    """A pack by its number in the list, its name, or the start of one name only.

    ("sage" for sage300.) None when the text is none of them.
    """
    if _is_number(text):
        return names[int(text) - 1] if 1 <= int(text) <= len(names) else None
    lowered = text.lower()
    exact = next((n for n in names if n.lower() == lowered), None)
    if exact is not None or len(lowered) < 2 or not lowered.isidentifier():
        return exact
    starting = [n for n in names if n.lower().startswith(lowered)]
    return starting[0] if len(starting) == 1 else None


def _is_number(text: str) -> bool:
    """ASCII digits only: "²".isdigit() is true, and int("²") fails."""
    return text.isascii() and text.isdigit()
