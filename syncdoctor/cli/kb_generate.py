"""``syncdoctor kb schema`` and ``syncdoctor kb docs``: files generated from the knowledge base.

The two commands are plain functions declared the way typer expects; :mod:`syncdoctor.cli.kb`
registers them on the ``kb`` sub-app.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from syncdoctor.cli._common import BundledOption, KbOption, fail, open_kb
from syncdoctor.errors import SyncdoctorError

__all__ = ["docs_command", "schema_command"]


def schema_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write <kind>.schema.json files into this folder (e.g. 'schema') and print "
            "their paths; without it, print the schemas as JSON.",
            file_okay=False,
        ),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Only this schema: facts, rules, playbook, tests or collectors (default: all).",
        ),
    ] = None,
) -> None:
    """Print or write the JSON Schemas of the KB files, generated from their models."""
    from syncdoctor.authoring.schema import KINDS, build_schema, schema_text, write_schemas

    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(
            f"{kind!r} is not a kind of schema: use one of {', '.join(KINDS)}",
            param_hint="--kind",
        )
    if out is not None:
        for path in write_schemas(out, None if kind is None else (kind,)):
            typer.echo(str(path))
        return
    if kind is not None:
        sys.stdout.write(schema_text(build_schema(kind)))
    else:
        schemas = {name: build_schema(name) for name in KINDS}
        sys.stdout.write(json.dumps(schemas, indent=2, sort_keys=True) + "\n")


def docs_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The folder to write the pages into (e.g. 'docs/packs'); pages it generated "
            "earlier for packs that no longer exist are removed.",
            file_okay=False,
        ),
    ],
    kb_dirs: KbOption = None,
    bundled: BundledOption = True,
) -> None:
    """Write a Markdown and an HTML page per pack, and an index, from the knowledge base."""
    from syncdoctor.authoring.docs import write_docs
    from syncdoctor.engine.knowledge import load_kb

    try:
        knowledge = open_kb(kb_dirs) if bundled else load_kb(kb_dirs or [], bundled=False)
    except SyncdoctorError as error:
        fail(error)
    for path in write_docs(knowledge, out):
        typer.echo(str(path))
