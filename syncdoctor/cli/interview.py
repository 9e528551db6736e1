"""``syncdoctor interview``: the guided interview on a terminal (or plain lines through a pipe).

Ctrl-C and Ctrl-D at any prompt leave as ``quit`` does: the session is saved (every answer was
committed before the next question showed) and the command to resume it is printed. Errors are
printed as one message, never a traceback.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from syncdoctor.cli._common import (
    CollectOption,
    KbOption,
    StoreOption,
    check_case,
    check_pack_option,
    clock_option,
    fail,
    open_kb,
)
from syncdoctor.errors import SyncdoctorError

if TYPE_CHECKING:
    from rich.console import Console

    from syncdoctor.cli.terminal.prompter import Prompter, RefusedLine
    from syncdoctor.collectors.runner import Collectors
    from syncdoctor.engine.knowledge import KnowledgeBase
    from syncdoctor.interview import Interview

__all__ = ["collectors", "interview", "resume_command", "run_session"]


def escape(text: str) -> str:
    """Rich's markup escape, imported on use.

    rich costs about 40 ms to import, and only the interview prints through it (``diagnose``
    and ``--help`` never do).
    """
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def resume_command(session_id: str, store: str | None) -> str:
    """The command that picks the session up again."""
    where = f" --store {store}" if store else ""
    return f"syncdoctor sessions resume {session_id}{where}"


def _kept(session: Interview) -> bool:
    """Whether the session outlives this process (not in a memory store)."""
    from syncdoctor.interview import MemoryStore

    return not isinstance(session.store, MemoryStore)


def saved_note(session_id: str, store: str | None, saved: str = "Session saved.", *,
               kept: bool = True) -> str:
    """What to say of the session as the interview stops: how to resume it, or that it is gone.

    ``kept``: False for a memory store (given as ``--store`` or in the environment), which
    ends with this process (see :func:`_kept`).
    """
    if not kept:
        return ("Not kept: a memory: store ends with this process (use --store sqlite:FILE to "
                "resume sessions).")
    return f"{saved} Resume it with: {resume_command(session_id, store)}"


def interview(
    case: Annotated[
        Path | None,
        typer.Argument(metavar="CASE",
                       help="A case file to start from (its facts, pack, clock and unknowns)."),
    ] = None,
    pack: Annotated[
        str | None,
        typer.Option(help="The pack to use (see `syncdoctor packs`); omitted: asked first."),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            callback=clock_option,
            help="The case clock, ISO 8601 (default: the case's 'now', else now).",
        ),
    ] = None,
    kb: KbOption = None,
    store: StoreOption = None,
    collect: CollectOption = False,
    case_option: Annotated[
        Path | None,
        typer.Option("--case", help="The same as the CASE argument (e.g. the file "
                     "`syncdoctor reconcile --case` wrote).", dir_okay=False),
    ] = None,
) -> None:
    """Diagnose by answering one question at a time; no fact ids needed.

    At every prompt: ? or why (what the question serves), how (how a cause was reached), back
    (undo), skip (don't know), facts, report, quit (the session stays saved). When no answer can
    change the outcome it shows the causes, remediation and escalation, then asks whether that
    fixed it; "no" rules the cause out and goes on to the next hypothesis.
    """
    from syncdoctor.casefile import read_case
    from syncdoctor.cli.console import make_console
    from syncdoctor.cli.terminal.prompter import RefusedLine, make_prompter
    from syncdoctor.cli.terminal.start import ask_pack, ask_start
    from syncdoctor.interview import Interview, open_store

    console = make_console()
    prompter = make_prompter()
    if case is not None and case_option is not None and case != case_option:
        typer.echo("error: give the case once: as CASE or as --case", err=True)
        raise typer.Exit(2)
    case = case if case is not None else case_option
    try:
        knowledge = open_kb(kb)
        facts: dict[str, object] = {}
        unknown: list[str] = []
        title: str | None = None
        clock: str | None = now
        if case is not None:
            case_file = read_case(case)
            check_case(case_file, pack, knowledge, now_given=now is not None)
            pack = pack or case_file.pack
            facts, unknown, title = dict(case_file.facts), list(case_file.unknown), case_file.title
            if clock is None and case_file.now is not None:
                clock = str(case_file.now) if isinstance(case_file.now, str) else (
                    case_file.now.isoformat())
        if pack is not None:  # an unknown pack fails here, before anything is saved
            check_pack_option(knowledge, pack)
        opened = open_store(store)
    except SyncdoctorError as error:
        fail(error)
    with opened, collectors(collect) as runner:
        session: Interview | None = None
        try:
            message = None
            if pack is None and not facts:
                start = ask_start(knowledge, prompter, console)
                pack, message = start.pack, start.message
            session = Interview.start(
                store=opened, kb=knowledge, pack=pack, facts=facts, unknown=unknown, now=clock,
                message=message, title=title, collect=runner or False,
            )
            recognised = session.pack is not None
            if not recognised:
                session.choose_pack(ask_pack(session.diagnosis.pack_choices, prompter, console))
        except (EOFError, KeyboardInterrupt, RefusedLine) as ended:
            console.print()
            if isinstance(ended, RefusedLine):
                _say_stopped(console, ended)
            if session is not None:
                console.print(saved_note(session.id, store, kept=_kept(session)), markup=False)
            else:
                console.print("Nothing was saved: the interview had not started.")
            raise typer.Exit(2 if isinstance(ended, RefusedLine) else 0) from None
        except SyncdoctorError as error:
            fail(error)
        console.print(f"[dim]session {session.id} (saved as you go in "
                      f"{escape(opened.name)})[/dim]")
        if recognised and message is not None:  # the message chose it, not the agent
            console.print(f"[dim]recognised as pack {session.pack}[/dim]")
        run_session(session, knowledge, store, console, prompter)


def _say_stopped(console: Console, refused: RefusedLine) -> None:
    console.print(f"[red]error[/red]: {refused}: the interview stops there, for the lines after "
                  "it were written for the questions after it")


def collectors(wanted: bool) -> contextlib.AbstractContextManager[Collectors | None]:
    """A runner for the command's life when --collect is given (closed at the end), else None."""
    if not wanted:
        return contextlib.nullcontext()
    from syncdoctor.collectors.runner import Collectors

    return Collectors()


def run_session(
    session: Interview,
    knowledge: KnowledgeBase,
    store: str | None,
    console: Console,
    prompter: Prompter,
) -> None:
    """Run the conversation on a started or resumed session; exits with the right code."""
    from syncdoctor.cli.terminal.loop import converse
    from syncdoctor.cli.terminal.prompter import RefusedLine
    from syncdoctor.cli.terminal.start import ask_pack

    for warning in session.diagnosis.warnings:
        console.print(f"[yellow]note[/yellow]: {escape(warning)}")
    try:
        if session.pack is None:
            session.choose_pack(ask_pack(session.diagnosis.pack_choices, prompter, console))
        pack_id = session.pack
        assert pack_id is not None  # chosen just above
        outcome = converse(session, knowledge.pack(pack_id), prompter, console,
                           f"syncdoctor sessions export {session.id}")
    except (EOFError, KeyboardInterrupt):
        console.print()
        outcome = None
    except RefusedLine as refused:
        _say_stopped(console, refused)
        console.print(saved_note(session.id, store, "The session is saved.", kept=_kept(session)),
                      markup=False)
        raise typer.Exit(2) from None
    except SyncdoctorError as error:
        console.print(f"[red]error[/red]: {escape(str(error))}")
        console.print(saved_note(session.id, store, "The session is saved.", kept=_kept(session)),
                      markup=False)
        raise typer.Exit(error.exit_code) from None
    if outcome is None or not outcome.finished:
        console.print(saved_note(session.id, store, kept=_kept(session)), markup=False)
        return
    if _kept(session):
        console.print(f"The report for the ticket: syncdoctor sessions export {session.id}"
                      + (f" --store {store}" if store else ""), markup=False)
    sys.stdout.flush()
