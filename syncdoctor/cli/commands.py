"""``syncdoctor diagnose`` and ``syncdoctor packs``."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from syncdoctor._gc import building_for_good
from syncdoctor._safe_text import shown_safely
from syncdoctor.cli._common import (
    CollectOption,
    Format,
    KbOption,
    check_case,
    clock_option,
    fail,
    open_kb,
)
from syncdoctor.errors import CaseFileError, SyncdoctorError

__all__ = ["diagnose", "packs"]


class OutputFormat(enum.StrEnum):
    """How to print a diagnosis."""

    text = "text"
    markdown = "markdown"
    json = "json"


def diagnose(
    case: Annotated[
        Path,
        typer.Argument(metavar="CASE",
                       help="A case file, YAML or JSON, with a 'facts' mapping; - reads stdin."),
    ],
    pack: Annotated[
        str | None, typer.Option(help="The pack to use; by default chosen from the facts.")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.text,
    now: Annotated[
        str | None,
        typer.Option(
            callback=clock_option,
            help="The clock, ISO 8601 (default: the case's 'now', else the system).",
        ),
    ] = None,
    kb: KbOption = None,
    report_templates: Annotated[
        Path | None,
        typer.Option(
            help="A directory of report templates overriding the bundled ones by file name "
            "(header, facts, asked, causes, footer .md.jinja), for --format markdown."
        ),
    ] = None,
    collect: CollectOption = False,
) -> None:
    """Diagnose one case: the causes, why, the remediation, and the questions still open."""
    with building_for_good():  # the diagnosis's modules, a few hundred classes: kept for good
        from syncdoctor.casefile import read_case
        from syncdoctor.collectors.lazy import diagnose as run_diagnosis
        from syncdoctor.report import render_ticket, ticket_from_case, to_text

    try:
        if str(case) == "-" and sys.stdin is None:
            raise CaseFileError("<stdin>", "there is no standard input to read the case from")
        case_file = read_case(case, sys.stdin.buffer if str(case) == "-" else None)
        knowledge = open_kb(kb)
        check_case(case_file, pack, knowledge, now_given=now is not None)
        result = run_diagnosis(
            case_file.facts,
            pack=pack or case_file.pack,
            kb=knowledge,
            now=now or case_file.now,
            unknown=case_file.unknown,
            collect=collect,
        )
    except SyncdoctorError as error:
        fail(error)
    if output is OutputFormat.json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif output is OutputFormat.markdown:
        ticket = ticket_from_case(result, case_file.facts, title=case_file.title,
                                  unknown=case_file.unknown, kb=knowledge)
        try:
            sys.stdout.write(shown_safely(render_ticket(ticket, templates=report_templates)))
        except SyncdoctorError as error:
            fail(error)
    else:
        sys.stdout.write(shown_safely(to_text(result)))


def packs(
    output: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    kb: KbOption = None,
) -> None:
    """List the packs of the knowledge base, with their versions and titles."""
    try:
        knowledge = open_kb(kb)
    except SyncdoctorError as error:
        fail(error)
    if output is Format.json:
        rows = [
            {"id": p.id, "version": p.version, "title": p.playbook.title, "rules": len(p.rules),
             "facts": len(p.facts), "systems": list(p.playbook.systems)}
            for p in (knowledge.packs[name] for name in sorted(knowledge.packs))
        ]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    for pack_id in sorted(knowledge.packs):
        pack = knowledge.packs[pack_id]
        typer.echo(
            f"{pack_id:<16} {pack.version:<8} {len(pack.rules):>3} rules  {pack.playbook.title}"
        )
