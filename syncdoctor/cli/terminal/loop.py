"""The conversation: one question at a time over an Interview, until no answer changes the end.

The loop never holds state of its own: every answer, skip, undo and "this did not fix it" goes
to the Interview (which commits it before returning), and what is shown is read back from it.
So a quit, Ctrl-C, Ctrl-D or a lost terminal at any prompt loses nothing acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from syncdoctor.cli.terminal.answers import AnswerError, read_answer
from syncdoctor.cli.terminal.prompter import Prompter, PromptRequest
from syncdoctor.cli.terminal.show import (
    COMMAND_HELP,
    TYPE_HINTS,
    show_answers,
    show_conclusion,
    show_how,
    show_question,
    show_why,
)
from syncdoctor.diagnosis.result import Diagnosis, Question
from syncdoctor.errors import FactError
from syncdoctor.kb.spec import FactSpec

if TYPE_CHECKING:
    from syncdoctor.engine.knowledge import Pack
    from syncdoctor.interview import Interview

__all__ = ["COMMANDS", "Outcome", "converse"]

DONT_KNOW = dict.fromkeys(
    ("don't know", "don\u2019t know", "dont know", "do not know", "i don't know",
     "i don\u2019t know", "i dont know"), "skip")
"""What agents type for "I don't know": the ``skip`` command (no fact value is such a phrase)."""
COMMANDS = frozenset({"?", "why", "how", "back", "skip", "facts", "report", "quit", "help",
                      *DONT_KNOW})
FIXED_COMMANDS = frozenset({"back", "how", "facts", "report", "quit", "help"})


@dataclass(frozen=True)
class Outcome:
    """How a conversation ended."""

    finished: bool
    """True once the agent said the remediation fixed it, or no cause was left to try."""
    fixed: str | None = None
    """The cause whose remediation fixed the problem, if the agent said so."""


def clock_of(diagnosis: Diagnosis) -> datetime:
    """The case clock the interview runs on (what "3 hours ago" is relative to)."""
    return datetime.fromisoformat(diagnosis.now.replace("Z", "+00:00"))


def converse(
    interview: Interview,
    pack: Pack,
    prompter: Prompter,
    console: Console,
    report: str,
) -> Outcome:
    """Ask until no answer can change the outcome, then "did this fix it?"; returns how it ended.

    ``report`` is the command that prints the report so far (for the hint after ``report``).
    Raises EOFError or KeyboardInterrupt when the agent leaves; ``quit`` returns unfinished.
    """
    asked = len(interview.answers)  # a resumed session goes on counting
    noted: set[str] = set()
    while True:
        show_collected(console, interview.diagnosis, noted)
        fixed = interview.fixed_cause
        if fixed is not None:  # a session resumed after "yes, it is fixed"
            if _stays_fixed(interview, fixed, prompter, console):
                return Outcome(finished=True, fixed=fixed)
            continue
        question = interview.next_question()
        if question is None:
            outcome = _conclude(interview, pack, prompter, console)
            if outcome is not None:
                return outcome
            continue
        asked += 1
        show_question(console, asked, question, interview.diagnosis, pack.playbook)
        spec = pack.facts[question.fact]
        while True:
            text = prompter.ask(_request(question, spec, interview.diagnosis))
            text = DONT_KNOW.get(text, text)
            if text in ("?", "why"):
                show_why(console, question, pack.playbook)
            elif text == "how":
                show_how(console, interview.diagnosis)
            elif text == "facts":
                show_facts(console, interview)
            elif text == "report":
                console.print(report_text(interview), markup=False)
            elif text == "help":
                _show_commands(console)
            elif text == "quit":
                return Outcome(finished=False)
            elif text == "back":
                if _undo(interview, console):
                    asked = max(asked - 2, 0)
                    break
                prompter.refused("nothing to undo")
            elif text == "skip":
                interview.skip(question.fact)
                console.print("[dim]noted: don't know; it will not be asked again[/dim]")
                break
            elif _answer(interview, question, spec, text, console):
                break
            else:
                prompter.refused("the interview refused the answer")


def show_collected(console: Console, diagnosis: Diagnosis, noted: set[str]) -> None:
    """Each fact a collector fetched, and each collector that failed, once per conversation."""
    for fact, got in diagnosis.collected.items():
        if f"fact:{fact}" not in noted:
            noted.add(f"fact:{fact}")
            value = got.value
            shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            shown = shown if len(shown) <= 80 else shown[:79] + "…"
            console.print(f"[dim]collected {escape(fact)} = {escape(shown)} "
                          f"(from {escape(got.source)})[/dim]")
    for failure in diagnosis.not_collected:
        key = f"failure:{failure.collector}:{failure.reason}"
        if key not in noted:
            noted.add(key)
            console.print(f"[yellow]not collected[/yellow] {escape(', '.join(failure.facts))}: "
                          f"{escape(failure.reason)} [dim](asked instead)[/dim]")


def _request(question: Question, spec: FactSpec, diagnosis: Diagnosis) -> PromptRequest:
    now = clock_of(diagnosis)

    def check(text: str) -> str | None:
        try:
            read_answer(question.fact, spec, text, now=now)
        except AnswerError as error:
            return str(error)
        return None

    choices: tuple[str, ...] = tuple(question.values or ())
    if question.type == "bool":
        choices = ("yes", "no")
    hint = TYPE_HINTS.get(question.type, "")
    if question.values:
        hint = f"a number 1-{len(question.values)} or a value"
    kind: str = "yes/no" if question.type == "bool" else question.type
    if spec.unit and question.type in ("integer", "decimal"):
        kind = f"{kind}, {spec.unit}"
        hint = _number_hint(spec)
    return PromptRequest(
        label=f"{question.fact} ({kind}) >",
        check=check,
        choices=choices,
        multiline=question.type in ("text", "records"),
        commands=COMMANDS,
        hint=hint + " · ? for why, skip if unknown",
        completes=bool(choices),
    )


def _number_hint(spec: FactSpec) -> str:
    """A number in a unit: what to type, in that unit ("a percentage from 0 to 100, e.g. 12")."""
    span = (f" from {spec.minimum:g} to {spec.maximum:g}"
            if spec.minimum is not None and spec.maximum is not None else "")
    if spec.unit == "%":
        return f"a percentage{span}, e.g. 12 or 12% (not 0.12)"
    return f"a number in {spec.unit}{span}"


def _answer(
    interview: Interview, question: Question, spec: FactSpec, text: str, console: Console
) -> bool:
    """Commit one answer; False (and a message) when the interview refuses it."""
    try:
        answer = read_answer(question.fact, spec, text, now=clock_of(interview.diagnosis))
        if answer.understood:
            console.print(f"[dim]{escape(answer.understood)}[/dim]")
        interview.answer(question.fact, answer.value)
    except AnswerError as error:
        console.print(f"[red]![/red] {escape(str(error))}")
        return False
    except FactError as error:
        console.print(f"[red]![/red] {escape(str(error))}")
        return False
    return True


def _undo(interview: Interview, console: Console) -> bool:
    if not interview.answers:
        console.print("Nothing to take back yet.")
        return False
    last = interview.answers[-1]
    interview.undo()
    console.print(f"[dim]took back {escape(last.fact)}; asking it again[/dim]")
    return True


def _show_commands(console: Console) -> None:
    for command, meaning in COMMAND_HELP:
        console.print(f"  {command:<10} {meaning}")


def show_facts(console: Console, interview: Interview) -> None:
    """The ``facts`` command: every answer in effect, what was worked out, what is unknown."""
    latest = {a.fact: a for a in interview.answers}  # answers and skips in effect

    def given_by(fact: str) -> tuple[str, str]:
        answer = latest.get(fact)
        if answer is None:
            return "start", ""  # given with the case (or known unknown from its start)
        return answer.source, answer.at.strftime("%Y-%m-%d %H:%M:%S")

    rows = [(fact, value, *given_by(fact)) for fact, value in interview.facts.items()]
    diagnosis = interview.diagnosis
    show_answers(console, rows, dict(diagnosis.inferred),
                 [(fact, *given_by(fact)) for fact in diagnosis.unknown])


def report_text(interview: Interview) -> str:
    """The report so far, as the ticket will hold it (Markdown)."""
    from syncdoctor.report import session_report

    return session_report(interview, "markdown")


def _stays_fixed(interview: Interview, fixed: str, prompter: Prompter, console: Console
                 ) -> bool:
    """A resumed fixed session: closed, unless the agent says the problem came back."""
    title = next(c.title for c in interview.diagnosis.causes if c.id == fixed)
    console.print(f"[green]Fixed[/green] already: {escape(title)}. The session is closed; its "
                  "report is ready.")
    try:
        text = prompter.ask(PromptRequest(
            label="Has the problem come back? [yes/no] >",
            check=lambda t: None if t.strip().lower() in ("y", "yes", "n", "no", "")
            else "answer yes or no", choices=("yes", "no"),
            hint="yes: rule this cause out and go on; no (or Enter): keep the session closed"))
    except EOFError:  # nobody to ask (a pipe that ended): it stays closed
        return True
    if text.strip().lower() not in ("y", "yes"):
        return True
    interview.not_fixed(fixed)
    console.print(f"[dim]reopened: ruled out {escape(title)}; going on[/dim]")
    return False


def _conclude(
    interview: Interview, pack: Pack, prompter: Prompter, console: Console
) -> Outcome | None:
    """Show the causes and ask "did this fix it?".

    Returns None to go on asking (an answer was undone, or a cause ruled out), else how the
    conversation ended.
    """
    diagnosis = interview.diagnosis
    show_conclusion(console, diagnosis)
    if not diagnosis.causes:
        return Outcome(finished=True)
    top = diagnosis.causes[0]
    console.print()
    while True:
        text = prompter.ask(
            PromptRequest(
                label=f"Did this fix it? ({escape(top.title)}) [yes/no] >",
                check=lambda t: None if t.strip().lower() in ("y", "yes", "n", "no")
                else "answer yes or no (or back, how, facts, report, quit)",
                choices=("yes", "no"),
                commands=FIXED_COMMANDS,
                hint="yes: it is fixed, the session closes; no: rule this cause out and go on "
                "to the next hypothesis",
            )
        )
        if text == "quit":
            return Outcome(finished=False)
        if text == "back":
            if _undo(interview, console):
                return None
            prompter.refused("nothing to undo")
        elif text == "how":
            show_how(console, diagnosis)
        elif text == "facts":
            show_facts(console, interview)
        elif text == "report":
            console.print(report_text(interview), markup=False)
        elif text == "help":
            _show_commands(console)
        elif text.strip().lower() in ("y", "yes"):
            interview.fixed(top.id)  # kept: the report says it, and the session is closed
            console.print(f"[green]Fixed[/green]: {escape(top.title)}.")
            return Outcome(finished=True, fixed=top.id)
        else:
            interview.not_fixed(top.id)
            console.print(f"[dim]ruled out {escape(top.title)}: its remediation did not fix "
                          "it; going on to the next hypothesis[/dim]")
            return None
