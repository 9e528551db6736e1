"""The typer application: ``syncdoctor diagnose``, ``syncdoctor packs`` and ``syncdoctor kb``.

Only :mod:`syncdoctor.cli` imports this module; the commands live in modules of their own that
never import it, so the command modules form no circle.
"""

from __future__ import annotations

import typer

from syncdoctor.cli import commands
from syncdoctor.cli.kb import kb_app

app = typer.Typer(
    name="syncdoctor",
    help="Diagnose data that differs or fails to sync between business applications and hubs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(commands.diagnose)
app.command()(commands.packs)
app.add_typer(kb_app, name="kb")


def main() -> None:
    """Entry point of the ``syncdoctor`` script."""
    app()
