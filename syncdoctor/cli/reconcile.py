"""``syncdoctor reconcile``: three exports compared, their discrepancies as case facts.

Needs the ``reconcile`` extra (polars); without it the command says so and exits 2. Every bad
file or row is one message naming file and line; never a traceback.
"""

from __future__ import annotations

import contextlib
import enum
import json
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from syncdoctor.cli._common import fail
from syncdoctor.errors import SyncdoctorError
from syncdoctor.kb.values import RECORD_LIMIT

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["reconcile"]

PROGRESS_AFTER = 1.0
"""Seconds of work before the progress bar shows (a quick run prints none)."""


class ReconcileFormat(enum.StrEnum):
    """How to print the outcome."""

    text = "text"
    json = "json"


@contextlib.contextmanager
def _progress(console: Console, total: int) -> Iterator[Callable[[str], None]]:
    """A step callback behind a rich progress bar that appears only after a second's work."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                        console=console, transient=True, disable=not console.is_terminal)
    task = progress.add_task("reconciling", total=total)
    timer = threading.Timer(PROGRESS_AFTER, progress.start)
    timer.daemon = True
    timer.start()
    done = 0

    def step(name: str) -> None:
        nonlocal done
        progress.update(task, completed=done, description=name)
        done += 1

    try:
        yield step
    finally:
        timer.cancel()
        progress.stop()


def reconcile(
    ui: Annotated[list[Path], typer.Option(
        "--ui", metavar="FILE", help="The application's report (UI) export: CSV, JSON, "
        "NDJSON or XLSX; repeat for several files (transactions, balances, classifications).",
        dir_okay=False)],
    api: Annotated[list[Path], typer.Option(
        "--api", metavar="FILE", help="The application's API dump; repeatable.", dir_okay=False)],
    hub: Annotated[list[Path], typer.Option(
        "--hub", metavar="FILE", help="The hub's (Connec!) dump; repeatable.", dir_okay=False)],
    report: Annotated[list[Path] | None, typer.Option(
        "--report", metavar="FILE", help="The dashboard's (Impac!) figures, account balances "
        "by month: when the data agrees and these differ, report generation is at fault.",
        dir_okay=False)] = None,
    mapping: Annotated[Path | None, typer.Option(
        help="A YAML column mapping (columns, number and date formats, tolerances, rates).",
        dir_okay=False)] = None,
    out: Annotated[Path | None, typer.Option(
        help="Write the reconciliation report here (Markdown).", dir_okay=False)] = None,
    case: Annotated[Path | None, typer.Option(
        help="Write the facts into this case file (created, or updated keeping its other "
        "facts), for `syncdoctor diagnose` and `syncdoctor interview --case`.",
        dir_okay=False)] = None,
    limit: Annotated[int, typer.Option(
        min=0, max=RECORD_LIMIT, help="Most transactions listed in the case's txn records; "
        "mismatch.txn_differing counts them all.")] = RECORD_LIMIT,
    output: Annotated[ReconcileFormat, typer.Option(
        "--format", "-f", help="text: tables; json: the counts and the facts.")
    ] = ReconcileFormat.text,
) -> None:
    """Compare the application's UI, its API and the hub: accounts, months, transactions.

    Each transaction that differs is classified: the UI differs from the API (the
    application), the API differs from the hub (the sync), both, or present in one source
    only; account-months where the data agrees but --report differs point to report
    generation. The facts go to --case for `syncdoctor diagnose`.
    """
    from syncdoctor.cli.console import make_console
    from syncdoctor.importers import ExportError, load_mapping
    from syncdoctor.importers.errors import require_polars

    console = make_console(stderr=True)
    files = {"ui": ui, "api": api, "hub": hub, "report": report or []}
    try:
        require_polars()
        import polars as pl

        from syncdoctor.reconcile import reconcile_files
        from syncdoctor.reconcile.casewrite import write_case
        from syncdoctor.reconcile.report import print_summary, to_markdown

        loaded = load_mapping(mapping)
        steps = sum(1 for paths in files.values() if paths) + 2
        with _progress(console, steps) as step:
            try:
                result = reconcile_files(files, loaded, limit, step)
            except pl.exceptions.PolarsError as error:  # data polars refused mid-way
                raise ExportError(", ".join(str(p) for paths in files.values()
                                            for p in paths), f"cannot compare: {error}"
                                  ) from None
        names = {name: [str(p) for p in paths] for name, paths in files.items() if paths}
        if out is not None:
            out.write_text(to_markdown(result, names), encoding="utf-8")
        if case is not None:
            write_case(case, result.facts, "Reconciliation of the application's UI, API and "
                       "hub")
    except ExportError as error:
        typer.echo(error.render(), err=True)
        raise typer.Exit(error.exit_code) from None
    except SyncdoctorError as error:
        fail(error)
    except OSError as error:
        typer.echo(f"error: {error.filename or ''}: {error.strerror or error}", err=True)
        raise typer.Exit(2) from None
    if output is ReconcileFormat.json:
        body = {"rows": result.rows, "found": result.found, "counts": result.counts,
                "listed": result.listed, "facts": result.facts}
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        print_summary(result, make_console())
        if case is not None:
            typer.echo(f"Facts written to {case}: syncdoctor diagnose {case}")
        if out is not None:
            typer.echo(f"Report written to {out}")
