"""The typer application: every ``syncdoctor`` command, ``--version`` and shell completion.

Only :mod:`syncdoctor.cli` imports this module; the commands live in modules of their own that
never import it, so the command modules form no circle.
"""

from __future__ import annotations

from typing import Annotated

import typer

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


def main() -> None:
    """Entry point of the ``syncdoctor`` script."""
    app()
