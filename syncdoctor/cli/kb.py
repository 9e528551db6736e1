"""``syncdoctor kb``: tools for knowledge-base authors (lint, test, schema, docs, new-pack)."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from syncdoctor.cli import kb_generate
from syncdoctor.cli._common import BundledOption, Format, KbOption
from syncdoctor.cli.examples import epilog
from syncdoctor.errors import EXIT_FINDINGS, KnowledgeBaseError, SyncdoctorError

if TYPE_CHECKING:
    from syncdoctor.engine.knowledge import KnowledgeBase

kb_app = typer.Typer(
    help="Check, test, document and scaffold knowledge bases.",
    no_args_is_help=True,
)

class Level(enum.StrEnum):
    """The least severity that makes ``kb lint`` fail."""

    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


def _load(
    layers: list[Path] | None, output: Format, bundled: bool = True, register: bool = True
) -> KnowledgeBase:
    """Load the KB, or print its hard errors and exit 2.

    ``register=False``: checked and compiled, not built in durable_rules (never imported).
    """
    from syncdoctor.engine.knowledge import load_kb

    try:
        return load_kb(layers or [], bundled=bundled, register=register)
    except KnowledgeBaseError as error:
        _hard_errors(error, output, "nothing loaded")


def _hard_errors(error: KnowledgeBaseError, output: Format, outcome: str) -> NoReturn:
    """Print every located problem (JSON ``errors`` on stdout, or text on stderr) and exit 2."""
    from syncdoctor.authoring.lint import problem_json

    if output is Format.json:
        payload = {"errors": [problem_json(p) for p in error.problems]}
        sys.stdout.write(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    else:
        typer.echo(error.render(), err=True)
        count = len(error.problems)
        typer.echo(f"\n{count} error{'s' if count != 1 else ''}: {outcome}.", err=True)
    raise typer.Exit(error.exit_code)


@kb_app.command("lint", epilog=epilog("kb lint"))
def lint_command(
    kb: KbOption = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    fail_on: Annotated[
        Level, typer.Option("--fail-on", help="Exit 1 when a finding reaches this severity.")
    ] = Level.error,
    bundled: BundledOption = True,
    figures: Annotated[bool, typer.Option(
        "--figures/--no-figures", help="After the findings, the lines per rule and the repeated "
        "patterns (text output; JSON always has them).")] = True,
) -> None:
    """Report hard errors (exit 2) and lint findings (exit 1 at or above --fail-on)."""
    from syncdoctor.authoring.lint import finding_json, lint, render_finding
    from syncdoctor.authoring.lint.terseness import terseness_json, terseness_text
    from syncdoctor.authoring.testcheck import checked_test_files

    knowledge = _load(kb, output, bundled, register=False)  # lint never diagnoses
    try:
        checked_test_files(knowledge)  # read and checked, not run
        report = lint(knowledge)
    except KnowledgeBaseError as error:
        _hard_errors(error, output, "fix them, then lint again")
    failing = [] if fail_on is Level.never else report.at_least(fail_on.value)
    if output is Format.json:
        payload: dict[str, object] = {
            "errors": [],
            "findings": [finding_json(f) for f in report.findings],
            "suppressed": [finding_json(f) for f in report.suppressed],
        }
        if report.terseness is not None:
            payload["terseness"] = terseness_json(report.terseness)
        sys.stdout.write(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    else:
        for finding in report.findings:
            typer.echo(render_finding(finding))
            typer.echo("")
        counts = {s: sum(1 for f in report.findings if f.problem.severity == s)
                  for s in ("error", "warning", "info")}
        if report.terseness is not None and figures:
            for line in terseness_text(report.terseness):
                typer.echo(line)
            typer.echo("")
        typer.echo(
            f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} "
            f"info, {len(report.suppressed)} suppressed; {len(knowledge.packs)} pack(s) checked."
        )
    if failing:
        raise typer.Exit(EXIT_FINDINGS)


@kb_app.command("test", epilog=epilog("kb test"))
def test_command(
    kb: KbOption = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    update_golden: Annotated[
        bool, typer.Option("--update-golden", help="Rewrite golden remediation files.")
    ] = False,
    require_coverage: Annotated[
        bool,
        typer.Option(
            "--require-coverage",
            help="Also fail unless every rule and cause is fired by one case and kept silent "
            "by another.",
        ),
    ] = False,
    pack: Annotated[
        list[str] | None,
        typer.Option("--pack", help="Only this pack's tests (and coverage); repeatable."),
    ] = None,
    bundled: BundledOption = True,
) -> None:
    """Run the test files beside the rules; report each case and rule and cause coverage."""
    from syncdoctor.authoring.testing import report_json, report_text, run_tests

    knowledge = _load(kb, output, bundled)
    try:
        report = run_tests(knowledge, update_golden=update_golden, packs=pack)
    except KnowledgeBaseError as error:
        _hard_errors(error, output, "no case ran")
    except SyncdoctorError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    if output is Format.json:
        sys.stdout.write(json.dumps(report_json(report), indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(report_text(report))
    if report.totals.failed or (require_coverage and not report.fully_covered):
        raise typer.Exit(EXIT_FINDINGS)


@kb_app.command("new-pack", epilog=epilog("kb new-pack"))
def new_pack_command(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The pack id: lower case words and underscores.")],
    into: Annotated[
        Path, typer.Option("--into", help="The KB folder to write into.", file_okay=False)
    ] = Path("."),
    title: Annotated[
        str | None, typer.Option(help="The problem the playbook diagnoses.")
    ] = None,
) -> None:
    """Scaffold a pack (facts, rules, tests, playbook) that passes lint and test as it stands."""
    from syncdoctor.authoring.scaffold import scaffold

    try:
        written = scaffold(name, into, title)
    except SyncdoctorError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"next: syncdoctor kb lint --kb {into} --no-bundled && "
               f"syncdoctor kb test --kb {into} --no-bundled")


kb_app.command("schema", epilog=epilog("kb schema"))(kb_generate.schema_command)
kb_app.command("docs", epilog=epilog("kb docs"))(kb_generate.docs_command)
