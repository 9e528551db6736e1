"""``syncdoctor sessions list|show|resume|export|delete``: interview sessions kept in a store."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from syncdoctor._safe_text import shown_safely
from syncdoctor.cli._common import KbOption, StoreOption, fail, open_kb
from syncdoctor.cli.examples import epilog
from syncdoctor.cli.interview import resume_command, run_session
from syncdoctor.errors import SyncdoctorError

if TYPE_CHECKING:
    from syncdoctor.interview import SessionStore

__all__ = ["sessions_app"]

sessions_app = typer.Typer(
    help="Interview sessions: list, show, resume, export the report, delete.\n\n"
    "Sessions live in the store given by --store, else $SYNCDOCTOR_STORE, else a file in your "
    "data directory.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

IdArgument = Annotated[str, typer.Argument(
    metavar="ID",
    help="The session id (see `syncdoctor sessions list`), or its first characters (4 or more).")]


class ListFormat(enum.StrEnum):
    """How to print the list."""

    text = "text"
    json = "json"


class ExportFormat(enum.StrEnum):
    """How to export a session."""

    markdown = "markdown"
    json = "json"


@sessions_app.command("list", epilog=epilog("sessions list"))
def list_sessions(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many to list.")] = 50,
    output: Annotated[
        ListFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ListFormat.text,
    store: StoreOption = None,
) -> None:
    """List sessions, most recently updated first: open, or fixed (the latest step said so)."""
    from syncdoctor.cli.console import make_console
    from syncdoctor.interview import open_store

    try:
        with open_store(store) as opened:
            summaries = opened.list(limit=limit)
    except SyncdoctorError as error:
        fail(error)
    if output is ListFormat.json:
        rows = [s.model_dump(mode="json") for s in summaries]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    console = make_console()
    if not summaries:
        where = f" --store {store}" if store else ""
        console.print(f"No sessions yet. Start one with: syncdoctor interview{where}",
                      markup=False)
        return
    console.print(f"{'session':<32}  {'updated (UTC)':<16}  {'pack':<16} {'answers':>11}  "
                  "status  title", markup=False)
    for s in summaries:
        console.print(
            f"{s.id}  {s.updated_at:%Y-%m-%d %H:%M}  {s.pack or '-':<16} "
            f"{s.answers:>3} {'answer ' if s.answers == 1 else 'answers'}  "
            f"{'fixed' if s.fixed else 'open':<6}  {s.title or ''}",
            markup=False,
        )


@sessions_app.command("show", epilog=epilog("sessions show"))
def show(session_id: IdArgument, store: StoreOption = None, kb: KbOption = None) -> None:
    """Show a session: how it started, every answer in order, and where the diagnosis stands."""
    from syncdoctor.cli.console import make_console
    from syncdoctor.cli.session_ids import resume_session
    from syncdoctor.cli.terminal.loop import show_facts
    from syncdoctor.cli.terminal.show import show_hypotheses
    from syncdoctor.interview import open_store

    console = make_console()
    try:
        knowledge = open_kb(kb)
        with open_store(store) as opened:
            session = resume_session(session_id, opened, knowledge)
            diagnosis = session.diagnosis
            console.print(f"session {session.id}: pack {diagnosis.pack or '-'}", markup=False)
            show_facts(console, session)
            if diagnosis.pack is None:
                likely = ", ".join(c.id for c in diagnosis.pack_choices if c.likely)
                fits = (f"the message reads like: {likely}" if likely else
                        "no pack recognises the facts")
                console.print(f"no pack chosen yet ({fits}); resume the session to choose "
                              f"one: {resume_command(session.id, store)}", markup=False)
                return
            show_hypotheses(console, diagnosis, knowledge.pack(diagnosis.pack).playbook)
            question = session.next_question()
            fixed = session.fixed_cause
            console.print(f"next question: {question.ask}" if question else
                          f"closed: the remediation of {fixed!r} fixed it" if fixed else
                          "no question left: the diagnosis is complete", markup=False)
    except SyncdoctorError as error:
        fail(error)


@sessions_app.command("resume", epilog=epilog("sessions resume"))
def resume(session_id: IdArgument, store: StoreOption = None, kb: KbOption = None) -> None:
    """Pick a session up exactly where it was left, and go on with the interview."""
    from syncdoctor.cli.console import make_console
    from syncdoctor.cli.session_ids import resume_session
    from syncdoctor.cli.terminal.prompter import make_prompter
    from syncdoctor.interview import open_store

    console = make_console()
    try:
        knowledge = open_kb(kb)
        opened = open_store(store)
    except SyncdoctorError as error:
        fail(error)
    with opened:
        try:
            session = resume_session(session_id, opened, knowledge)
        except SyncdoctorError as error:
            fail(error)
        count = len(session.answers)
        console.print(f"resumed session {session.id} ({count} answer{'s' if count != 1 else ''})",
                      markup=False)
        run_session(session, knowledge, store, console, make_prompter())


@sessions_app.command("export", epilog=epilog("sessions export"))
def export(
    session_id: IdArgument,
    output: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Report format.")
    ] = ExportFormat.markdown,
    store: StoreOption = None,
    kb: KbOption = None,
    report_templates: Annotated[
        Path | None,
        typer.Option(help="A directory of report templates overriding the bundled ones by "
                     "file name (see docs/agents.md)."),
    ] = None,
) -> None:
    """Print the report for the ticket.

    It holds the facts and who gave them, the unknowns, the questions asked, the causes with
    their evidence, the remediation and the escalation.
    """
    from syncdoctor.cli.session_ids import resume_session
    from syncdoctor.interview import open_store
    from syncdoctor.report import session_report

    try:
        knowledge = open_kb(kb)
        with open_store(store) as opened:
            session = resume_session(session_id, opened, knowledge)
            sys.stdout.write(shown_safely(
                session_report(session, output.value, templates=report_templates)))
    except SyncdoctorError as error:
        fail(error)


@sessions_app.command("delete", epilog=epilog("sessions delete"))
def delete(
    session_id: IdArgument,
    store: StoreOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first (a terminal asks; "
                                      "a script is not asked).")] = False,
) -> None:
    """Delete a session and every answer in it."""
    from syncdoctor.cli.session_ids import whole_session_id
    from syncdoctor.interview import SessionNotFound, open_store

    try:
        with open_store(store) as opened:
            whole = whole_session_id(session_id, opened)
            if not yes and sys.stdin.isatty() and not _confirmed(opened, whole):
                typer.echo("nothing deleted")
                raise typer.Exit(1)
            if not opened.delete(whole):  # said as `show` and `resume` say it
                raise SessionNotFound(session_id, store=opened.name)
    except SyncdoctorError as error:
        fail(error)
    typer.echo(f"deleted session {whole}")


def _confirmed(store: SessionStore, session_id: str) -> bool:
    """Whether the agent at the terminal says yes, shown what the session is."""
    header = store.load(session_id).header
    what = f" ({shown_safely(header.title)})" if header.title else ""
    return typer.confirm(f"Delete session {session_id}{what} and every answer in it?",
                         default=False)

