"""What the interview prints: the question with its help and hypotheses, facts, why, how, the end.

Everything goes through a rich Console made by :func:`syncdoctor.cli.console.make_console`, so
colour appears on a terminal only. Text from the knowledge base or the agent is printed with
``markup=False`` (or escaped): a fact value such as ``[red]`` is shown, never interpreted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from syncdoctor.diagnosis.result import Cause, Diagnosis, Question
from syncdoctor.kb.spec import PlaybookFile
from syncdoctor.report import folded_note
from syncdoctor.report.numbers import certainty_percent
from syncdoctor.report.plain import markdown_as_text
from syncdoctor.types import JsonValue

__all__ = [
    "COMMAND_HELP",
    "show_answers",
    "show_conclusion",
    "show_how",
    "show_question",
    "show_why",
]

COMMAND_HELP = (
    ("? or why", "which causes this question serves"),
    ("how", "how the current causes were reached"),
    ("back", "take back the last answer"),
    ("skip", "I don't know (never asked again)"),
    ("facts", "what is known so far"),
    ("report", "the report so far"),
    ("quit", "stop here; the session stays saved"),
)
TYPE_HINTS = {
    "bool": "yes or no",
    "integer": "a whole number",
    "decimal": "a number, e.g. 12.50",
    "datetime": "e.g. 2026-11-20 15:00, yesterday 15:00, 3 hours ago",
    "duration": "e.g. 90s, 15m, 2h, 1d 12h",
    "text": "paste it; end with an empty line",
    "records": "CSV: a header row, one row per record, an empty line to end; or a .csv path",
}


def _title(playbook: PlaybookFile, cause: str) -> str:
    spec = playbook.causes.get(cause)
    return spec.title if spec is not None else cause


def live_causes(diagnosis: Diagnosis) -> list[str]:
    """Causes still possible: those some open question bears on, in playbook order of asking."""
    seen: dict[str, None] = {}
    for question in diagnosis.questions:
        for cause in question.causes:
            seen.setdefault(cause, None)
    held = set(diagnosis.cause_ids)
    ruled = {r.id for r in diagnosis.ruled_out}
    return [c for c in seen if c not in held and c not in ruled]


def show_hypotheses(console: Console, diagnosis: Diagnosis, playbook: PlaybookFile) -> None:
    """The causes that hold, those still possible, and those ruled out (with why)."""
    for cause in diagnosis.causes:
        console.print(f"  [green]holds[/green]  {escape(cause.title)} "
                      f"[dim]({certainty_percent(cause.certainty)})[/dim]")
    live = live_causes(diagnosis)
    if live:
        console.print("  [yellow]possible[/yellow]  " + escape("; ".join(
            _title(playbook, c) for c in live[:6]
        )) + (f" [dim](+{len(live) - 6} more)[/dim]" if len(live) > 6 else ""))
    for ruled in diagnosis.ruled_out:
        reason = ruled.reasons[0].because if ruled.reasons else ""
        console.print(f"  [red]ruled out[/red]  {escape(ruled.title)}"
                      + (f" [dim]- {escape(reason)}[/dim]" if reason else ""))


def show_question(
    console: Console,
    number: int,
    question: Question,
    diagnosis: Diagnosis,
    playbook: PlaybookFile,
) -> None:
    """One question: the step, the question, its help, its choices, and the hypotheses."""
    step = next((s for s in playbook.steps if s.id == question.step), None)
    where = f"step {playbook.steps.index(step) + 1}: {step.title}" if step else question.step
    console.print()
    console.rule(f"[bold]Question {number}[/bold] [dim]· {escape(where)}[/dim]", align="left")
    show_hypotheses(console, diagnosis, playbook)
    console.print()
    console.print(f"[bold]{escape(question.ask)}[/bold]")
    if question.help:
        console.print(f"[dim]{escape(question.help)}[/dim]")
    if question.values:
        for position, value in enumerate(question.values, start=1):
            console.print(f"  {position}) {escape(value)}")
    if question.fields:
        names = ", ".join(f"{f.name} ({f.type})" for f in question.fields)
        console.print(f"  [dim]fields: {escape(names)}[/dim]")
    console.print("[dim]  commands: ? why how back skip facts report quit[/dim]")


def show_why(console: Console, question: Question, playbook: PlaybookFile) -> None:
    """Which causes the question serves, and why it comes now."""
    # question.why names the causes in a sentence (for a bot); listed here with their ids.
    console.print("[bold]Why this question[/bold]: its answer could confirm or rule out")
    for cause in question.causes:
        console.print(f"  - {escape(_title(playbook, cause))} [dim]({escape(cause)})[/dim]")


def show_how(console: Console, diagnosis: Diagnosis) -> None:
    """How each current cause was reached: every rule that fired, with the facts it read."""
    if not diagnosis.causes:
        console.print("No cause holds yet: nothing has been concluded from the answers.")
    for cause in diagnosis.causes:
        console.print(f"[bold]{escape(cause.title)}[/bold] ({certainty_percent(cause.certainty)})")
        for evidence in cause.evidence:
            console.print(f"  because {escape(evidence.because)} [dim]({evidence.rule})[/dim]")
            for fact, value in evidence.facts.items():
                console.print(f"    {escape(fact)} = {escape(_shown(value))}", markup=True)


def _shown(value: JsonValue) -> str:
    if value is None:
        return "unknown"
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):  # a table: how many rows, and the first in the agent's words
        rows = [row for row in value if isinstance(row, dict)]
        first = "; ".join(f"{k} {_shown(v)}" for k, v in rows[0].items()) if rows else ""
        text = f"{len(value)} record{'s' if len(value) != 1 else ''}" + (
            f" (first: {first})" if first else "")
    else:
        text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def show_answers(
    console: Console,
    rows: Iterable[tuple[str, JsonValue, str, str]],
    inferred: dict[str, JsonValue],
    unknown: Sequence[tuple[str, str, str]],
) -> None:
    """What is known: each answer (fact, value, who, when), what was worked out, what is not.

    ``unknown``: (fact, who, when) of each fact no one knows.
    """
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    # A fact id is never cut short (it is what a reader types back); a long value wraps.
    table.add_column("fact", no_wrap=True, overflow="fold")
    table.add_column("value", overflow="fold", min_width=20)  # an ISO date-time is never cut
    table.add_column("from", no_wrap=True)
    table.add_column("when", no_wrap=True)
    count = 0
    for fact, value, source, when in rows:
        table.add_row(escape(fact), escape(_shown(value)), source, when)
        count += 1
    for fact, value in inferred.items():
        table.add_row(escape(fact), escape(_shown(value)), "worked out", "")
        count += 1
    for fact, source, when in unknown:
        table.add_row(escape(fact), "don't know", source, when)
        count += 1
    if count:
        console.print(table)
    else:
        console.print("Nothing is known yet.")


def show_cause(console: Console, cause: Cause, position: int, folded: str | None = None) -> None:
    """One cause in full: why, the remediation, whom to escalate to and what to send.

    ``folded``: where its steps are shown instead (a consequence's end its root's).
    """
    console.print()
    # The certainty before the title: a rule crops a long title at the terminal's width.
    console.rule(f"[bold]Cause {position}[/bold] [dim]({certainty_percent(cause.certainty)})"
                 f"[/dim]: {escape(cause.title)}", align="left")
    for evidence in cause.evidence:
        console.print(f"  because {escape(evidence.because)}")
    if folded is not None:
        console.print()
        console.print(folded, markup=False)
    elif cause.remediation:
        console.print()
        if console.is_terminal:
            console.print(Markdown(cause.remediation))
        else:  # piped: plain text, whole lines (rich would crop them to 80 columns)
            console.print(markdown_as_text(cause.remediation), markup=False)
    if cause.escalation is not None:
        console.print()
        console.print(f"[bold]Escalate to[/bold] {escape(cause.escalation.contact)}, sending:")
        for item in cause.escalation.send:
            console.print(f"  - {escape(item)}")


def show_conclusion(console: Console, diagnosis: Diagnosis) -> None:
    """The end of the questions: every cause in full, or that none was found."""
    console.print()
    if not diagnosis.causes:
        console.print("[bold]No cause found[/bold] from these answers; no further question can "
                      "change that.")
        for ruled in diagnosis.ruled_out:
            console.print(f"  ruled out: {escape(ruled.title)}")
        return
    console.print("[bold]Diagnosis[/bold]: no further answer can change the outcome.")
    for position, cause in enumerate(diagnosis.causes, start=1):
        root = diagnosis.folded_into(cause)
        show_cause(console, cause, position,
                   None if root is None else folded_note(diagnosis, root))
