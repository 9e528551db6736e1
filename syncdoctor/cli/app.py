"""The typer application: ``syncdoctor diagnose``, ``syncdoctor packs`` and ``syncdoctor kb``.

Exit codes: 0 done; 1 lint or test findings (kb commands); 2 bad input (a case file, a fact,
a knowledge base); 3 an engine failure (a defect: please report it).
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from syncdoctor.errors import CaseFileError, EngineError, KnowledgeBaseError, SyncdoctorError

app = typer.Typer(
    name="syncdoctor",
    help="Diagnose data that differs or fails to sync between business applications and hubs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_INPUT = 2
EXIT_ENGINE = 3


class OutputFormat(enum.StrEnum):
    """How to print a diagnosis."""

    text = "text"
    markdown = "markdown"
    json = "json"


KbOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--kb",
        help="A knowledge-base folder (facts/, rules/, playbooks/) layered over the bundled "
        "one; repeat to add several, later ones override earlier ones by id.",
        file_okay=False,
    ),
]


def fail(error: SyncdoctorError) -> NoReturn:
    """Print an error for a human and exit with the matching code; never a traceback."""
    if isinstance(error, KnowledgeBaseError):
        typer.echo(error.render(), err=True)
    else:
        typer.echo(f"error: {error}", err=True)
    raise typer.Exit(EXIT_ENGINE if isinstance(error, EngineError) else EXIT_INPUT)


def open_kb(layers: list[Path] | None) -> object:
    """The knowledge base with the given layers (the bundled one alone when there are none)."""
    from syncdoctor.engine.kb import default_kb, load_kb

    if not layers:
        return default_kb()
    kb = load_kb(layers)
    for note in kb.overrides:
        typer.echo(f"note: {note}", err=True)
    return kb


@app.command()
def diagnose(
    case: Annotated[
        Path,
        typer.Argument(help="A case file, YAML or JSON, with a 'facts' mapping; - reads stdin."),
    ],
    pack: Annotated[
        str | None, typer.Option(help="The pack to use; by default chosen from the facts.")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.text,
    now: Annotated[
        str | None,
        typer.Option(help="The clock, ISO 8601 (default: the case's 'now', else the system)."),
    ] = None,
    kb: KbOption = None,
) -> None:
    """Diagnose one case: the causes, why, the remediation, and the questions still open."""
    from syncdoctor.casefile import read_case
    from syncdoctor.engine.diagnose import diagnose as run_diagnosis
    from syncdoctor.engine.kb import KnowledgeBase
    from syncdoctor.report import to_markdown, to_text

    try:
        if str(case) == "-" and sys.stdin is None:
            raise CaseFileError("<stdin>", "there is no standard input to read the case from")
        case_file = read_case(case, sys.stdin.buffer if str(case) == "-" else None)
        knowledge = open_kb(kb)
        assert isinstance(knowledge, KnowledgeBase)
        result = run_diagnosis(
            case_file.facts,
            pack=pack or case_file.pack,
            kb=knowledge,
            now=now or case_file.now,
        )
    except SyncdoctorError as error:
        fail(error)
    if output is OutputFormat.json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif output is OutputFormat.markdown:
        sys.stdout.write(to_markdown(result))
    else:
        sys.stdout.write(to_text(result))


@app.command()
def packs(kb: KbOption = None) -> None:
    """List the packs of the knowledge base, with their versions and titles."""
    from syncdoctor.engine.kb import KnowledgeBase

    try:
        knowledge = open_kb(kb)
    except SyncdoctorError as error:
        fail(error)
    assert isinstance(knowledge, KnowledgeBase)
    for pack_id in sorted(knowledge.packs):
        pack = knowledge.packs[pack_id]
        typer.echo(
            f"{pack_id:<16} {pack.version:<8} {len(pack.rules):>3} rules  {pack.playbook.title}"
        )


def main() -> None:
    """Entry point of the ``syncdoctor`` script."""
    app()


def _add_kb_commands() -> None:
    from syncdoctor.cli.kb import kb_app

    app.add_typer(kb_app, name="kb")


_add_kb_commands()
