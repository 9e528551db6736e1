"""``syncdoctor facts`` and ``syncdoctor new-case``: the fact ids, so that nobody hunts for them."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from syncdoctor.cli._common import Format, KbOption, clock_option, fail, open_kb
from syncdoctor.errors import SyncdoctorError
from syncdoctor.types import JsonValue

__all__ = ["facts", "new_case"]


def facts(
    pack: Annotated[
        str | None,
        typer.Argument(metavar="PACK", help="The pack whose facts to list; omitted: every pack."),
    ] = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    kb: KbOption = None,
) -> None:
    """List every fact with its type, allowed values and question, grouped by playbook step."""
    from syncdoctor.authoring.catalogue import fact_groups, fact_summary
    from syncdoctor.cli.console import make_console

    try:
        knowledge = open_kb(kb)
        chosen = [knowledge.pack(pack)] if pack is not None else [
            knowledge.packs[p] for p in sorted(knowledge.packs)
        ]
    except SyncdoctorError as error:
        fail(error)
    if output is Format.json:
        rows: list[JsonValue] = []
        for one in chosen:
            for group in fact_groups(one.source):
                for fact in group.facts:
                    spec = one.facts[fact]
                    row = spec.model_dump(mode="json", exclude_defaults=True, by_alias=True)
                    rows.append({"pack": one.id, "id": fact, "step": group.step,
                                 "group": group.title, **row})
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    console = make_console()
    for one in chosen:
        console.print(f"[bold]{one.id}[/bold]: {one.playbook.title}")
        for group in fact_groups(one.source):
            console.print(f"\n  [cyan]{group.title}[/cyan]")
            for fact in group.facts:
                spec = one.facts[fact]
                console.print(f"    [bold]{fact}[/bold]  [dim]{fact_summary(fact, spec)}[/dim]",
                              markup=True)
                if spec.ask:
                    console.print(f"      {spec.ask}", markup=False)
        console.print()


def new_case(
    pack: Annotated[
        str, typer.Argument(metavar="PACK", help="The pack the case is about (see `packs`).")],
    now: Annotated[
        str | None, typer.Option(
            callback=clock_option,
            help="The case clock to write, ISO 8601 (default: now).",
        )
    ] = None,
    kb: KbOption = None,
) -> None:
    """Print a case-file template: every fact of the pack commented, grouped by playbook step.

    Uncomment the facts you know, fill in their values, and diagnose the file.
    """
    from syncdoctor.authoring.catalogue import case_template
    from syncdoctor.kb.values import type_clock

    try:
        knowledge = open_kb(kb)
        chosen = knowledge.pack(pack)
        clock = type_clock(now) if now is not None else datetime.now(UTC).replace(microsecond=0)
    except SyncdoctorError as error:
        fail(error)
    sys.stdout.write(case_template(chosen.source, clock))
