"""The typer application: every ``syncdoctor`` command, ``--version`` and shell completion.

Only :mod:`syncdoctor.cli` imports this module; the commands live in modules of their own that
never import it, so the command modules form no circle.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from typer.main import get_command_name

from syncdoctor.cli import catalogue, commands, interview, reconcile, services, sessions
from syncdoctor.cli.cache import cache_app
from syncdoctor.cli.examples import epilog
from syncdoctor.cli.kb import kb_app

app = typer.Typer(
    name="syncdoctor",
    help="Diagnose data that differs or fails to sync between business applications and hubs.\n\n"
    "Start with `syncdoctor interview`: it asks one question at a time.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        from syncdoctor._version import __version__

        typer.echo(f"syncdoctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Load the knowledge base from its files, neither reading nor writing the "
            "compiled-KB cache (also SYNCDOCTOR_NO_CACHE=1).",
        ),
    ] = False,
) -> None:
    """Diagnose data that differs or fails to sync between business applications and hubs."""
    if no_cache:
        from syncdoctor.engine import kbcache

        kbcache.disable()


app.command(epilog=epilog("interview"))(interview.interview)
app.command(epilog=epilog("diagnose"))(commands.diagnose)
app.command(epilog=epilog("packs"))(commands.packs)
app.command(epilog=epilog("facts"))(catalogue.facts)
app.command("new-case", epilog=epilog("new-case"))(catalogue.new_case)
app.command(epilog=epilog("reconcile"))(reconcile.reconcile)
app.add_typer(sessions.sessions_app, name="sessions")
app.command(epilog=epilog("tools"))(services.tools)
app.command(epilog=epilog("serve"))(services.serve)
app.command(epilog=epilog("mcp"))(services.mcp)
app.add_typer(kb_app, name="kb")
app.add_typer(cache_app, name="cache")


def only_the_command(args: Sequence[str]) -> typer.Typer:
    """The app with only the command (or command group) that ``args`` name first.

    typer builds every command's click object, reading each function's signature and type
    hints, before it looks at the arguments: about 85 ms of a ``syncdoctor diagnose`` on a
    loaded 2-core machine, for one command used. A run that names a command gets an app
    holding that command alone: the same click command, help, errors and exit codes. Anything
    else (no argument, an option first, a name that is no command, shell completion, which
    lists them all) gets the whole app.
    """
    if not args or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return app
    name = args[0]
    for command in app.registered_commands:
        if (command.name or get_command_name(command.callback.__name__ if command.callback
                                             else "")) == name:
            trimmed = copy.copy(app)
            trimmed.registered_commands, trimmed.registered_groups = [command], []
            return trimmed
    for group in app.registered_groups:
        if group.name == name:
            trimmed = copy.copy(app)
            trimmed.registered_commands, trimmed.registered_groups = [], [group]
            return trimmed
    return app


def main() -> None:
    """Entry point of the ``syncdoctor`` script."""
    only_the_command(sys.argv[1:])()
