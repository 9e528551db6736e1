"""What every command shares: the ``--kb`` and ``--store`` options, opening the KB, errors.

Exit codes come from the error classes (:mod:`syncdoctor.errors`): 0 done; 1 lint or test
findings (kb commands); 2 bad input (a case file, a fact, a knowledge base); 3 an engine failure
(a defect: please report it).
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from syncdoctor.errors import (
    CaseFileError,
    FactError,
    KnowledgeBaseError,
    PackError,
    SyncdoctorError,
)

if TYPE_CHECKING:
    from syncdoctor.casefile import CaseFile
    from syncdoctor.engine.knowledge import KnowledgeBase

KbOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--kb",
        help="A knowledge-base folder (facts/, rules/, playbooks/) layered over the bundled "
        "one; repeat to add several, later ones override earlier ones by id.",
        file_okay=False,
        metavar="<dir>",
    ),
]
CollectOption = Annotated[
    bool,
    typer.Option(
        "--collect/--no-collect",
        help="Fetch the facts the pack's collectors (collectors/<pack>.yaml) can give, when a "
        "question needs them: base URLs and tokens come from the environment variables the "
        "collectors name (e.g. SYNCDOCTOR_CONNEC_URL, SYNCDOCTOR_CONNEC_TOKEN). Off by default: "
        "no request is made.",
    ),
]
ServeCollectOption = Annotated[
    bool,
    typer.Option(
        "--collect/--no-collect",
        help="Let requests ask for collect: true: diagnoses and interview steps fetch the facts "
        "the KB's collectors can give, with base URLs and tokens from this server's "
        "environment. Off: such requests are refused.",
    ),
]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Where sessions are saved: sqlite:///abs/path.db, sqlite:relative.db, memory:, or "
        "postgresql://user@host/db (shared by several workers; needs the service extra). "
        "Default: $SYNCDOCTOR_STORE, else a file in your data directory.",
    ),
]
BundledOption = Annotated[
    bool,
    typer.Option(
        "--bundled/--no-bundled",
        help="Lay the --kb folders over the bundled knowledge base, or check them alone.",
    ),
]


class Format(enum.StrEnum):
    """Output format of the kb commands."""

    text = "text"
    json = "json"


def clock_option(value: str | None) -> str | None:
    """A ``--now`` option, checked as the engine reads it.

    A bad clock is then a usage error that names the option, not a "fact 'now'".
    """
    if value is None:
        return None
    from syncdoctor.kb.values import type_clock

    try:
        type_clock(value)
    except FactError as error:
        raise typer.BadParameter(str(error).removeprefix("now: ")) from None
    return value


def fail(error: SyncdoctorError) -> NoReturn:
    """Print an error for a human and exit with its code; never a traceback."""
    if isinstance(error, KnowledgeBaseError):
        typer.echo(error.render(), err=True)
    elif isinstance(error, CaseFileError) and error.problems:
        # Every problem of the file at once, each at its file:line:col with its caret.
        count = len(error.problems)
        if count > 1:
            typer.echo(f"error: {error.file}: {count} problems", err=True)
        shown = "\n\n".join(problem.render() for problem in error.problems)
        typer.echo(shown if count > 1 else f"error: {shown}", err=True)
    else:
        typer.echo(f"error: {error}", err=True)
    raise typer.Exit(error.exit_code)


def open_kb(layers: list[Path] | None) -> KnowledgeBase:
    """The knowledge base with the given layers (the bundled one alone when there are none)."""
    from syncdoctor.engine.knowledge import default_kb, load_kb

    if not layers:
        return default_kb()
    kb = load_kb(layers)
    for note in kb.overrides:
        typer.echo(f"note: {note}", err=True)
    return kb


def check_pack_option(kb: KnowledgeBase, pack: str) -> None:
    """Refuse an unknown ``--pack`` as a usage error naming the option, with its did-you-mean.

    Raises:
        typer.BadParameter: as a bad ``--now`` is refused.
    """
    try:
        kb.pack(pack)
    except PackError as error:
        raise typer.BadParameter(str(error), param_hint="'--pack'") from None


def check_case(case: CaseFile, pack: str | None, kb: KnowledgeBase, *,
               now_given: bool = False) -> None:
    """Check a case before running it: every problem at once, each located in the file.

    ``pack``: the ``--pack`` option, else None (the case's own ``pack`` is then checked, at its
    place in the file); ``now_given``: a ``--now`` option overrides the case's clock. The facts
    and the ``unknown`` ids are checked against the pack's catalogue when the pack is known,
    else against every pack's facts (the engine then picks the pack).

    Raises:
        CaseFileError: one or more problems in the case file.
        typer.BadParameter: an unknown ``--pack`` (a usage error naming the option, as a bad
            ``--now`` is).
    """
    from syncdoctor.casefile import check_case_facts

    if pack is not None:
        check_pack_option(kb, pack)
    chosen = pack or (case.pack if case.pack in kb.packs else None)
    if chosen is not None:
        catalogue = dict(kb.pack(chosen).facts)
    else:
        catalogue = {f: s for p in kb.packs.values() for f, s in p.facts.items()}
    check_case_facts(case, catalogue, case.display_name, packs=sorted(kb.packs),
                     check_pack=pack is None, check_now=not now_given)
