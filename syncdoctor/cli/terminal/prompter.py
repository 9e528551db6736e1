"""Reading one answer: prompt_toolkit on a terminal, plain lines otherwise (pipes, scripts).

Both prompters take the same request and return the text typed; both raise ``EOFError`` on
end of input (Ctrl-D) and ``KeyboardInterrupt`` on Ctrl-C, which the loop turns into a clean
quit with the session saved. A validator returns a message (the answer is refused and asked
again) or None; interview commands (``skip``, ``back``, ...) always pass it.

Lines read from a script (standard input not a terminal) are not asked again: a refused line
raises :class:`RefusedLine`, for the next line was written for the next question, and the
answers would fall out of step.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from syncdoctor._safe_text import shown_safely
from syncdoctor.kb.credentials import mask_credentials

__all__ = ["LinePrompter", "PromptRequest", "Prompter", "RefusedLine", "TerminalPrompter",
           "make_prompter"]


class RefusedLine(Exception):
    """A script's line was refused: the interview stops rather than read the next one for it."""

    def __init__(self, line: int) -> None:
        super().__init__(f"input line {line} was refused")
        self.line = line

Check = Callable[[str], str | None]
"""Text -> why it is refused, or None when it is accepted."""


@dataclass(frozen=True)
class PromptRequest:
    """One prompt: its label, what completes, how to check, and whether it spans lines."""

    label: str
    check: Check
    choices: Sequence[str] = ()
    multiline: bool = False
    commands: frozenset[str] = field(default_factory=frozenset)
    hint: str = ""
    """One line under the prompt (the toolbar on a terminal): what to type."""
    completes: bool = False
    """Whether the hint ends with "Tab completes": said only where Tab does (a terminal)."""


class Prompter(Protocol):
    """Asks for one answer and returns the text (a command or an answer that passed the check)."""

    def ask(self, request: PromptRequest) -> str:
        """The text typed; raises EOFError or KeyboardInterrupt."""
        ...

    def refused(self, problem: str) -> None:
        """The interview refused what was typed (already said): a script stops here."""
        ...


class LinePrompter:
    """Plain line prompts, for pipes and scripts: nothing but text, a line at a time.

    A multi-line answer ends with an empty line (or the end of input); a command typed on the
    first line is taken at once.
    """

    def __init__(self, stdin: TextIO | None, stdout: TextIO, *, echo: bool = True,
                 scripted: bool = False) -> None:
        self._in = stdin
        self._out = stdout
        self._echo = echo
        self._scripted = scripted
        self._read = 0

    def _line(self, prompt: str) -> str:
        self._out.write(prompt)
        self._out.flush()
        line = self._in.readline() if self._in is not None else ""
        if not line:
            raise EOFError
        self._read += 1
        text = line.rstrip("\r\n")
        if self._echo:  # piped input is not shown by a terminal: keep the transcript readable
            self._out.write(shown_safely(mask_credentials(text)) + "\n")  # a log keeps it
        return text

    def ask(self, request: PromptRequest) -> str:
        """Ask until the text passes the check."""
        while True:
            if request.hint:  # no completion on plain lines: the hint does not offer it
                self._out.write(f"  ({request.hint})\n")
            text = self._line(f"{request.label} ")
            if request.multiline and text.strip().lower() not in request.commands:
                lines = [text]
                while lines[-1].strip():
                    try:
                        lines.append(self._line("... "))
                    except EOFError:
                        break
                text = "\n".join(lines).strip("\n")
            if text.strip().lower() in request.commands:
                return text.strip().lower()
            problem = request.check(text)
            if problem is None:
                return text
            self._out.write(f"  ! {shown_safely(problem)}\n")
            self.refused(problem)

    def refused(self, problem: str) -> None:
        """A script stops at its refused line (:class:`RefusedLine`); a person types again."""
        if self._scripted:
            raise RefusedLine(self._read)  # the problem is already said


class TerminalPrompter:
    """prompt_toolkit prompts: completion of choices and commands, checked as typed."""

    def __init__(self) -> None:
        from prompt_toolkit import PromptSession

        self._session: PromptSession[str] = PromptSession()

    def ask(self, request: PromptRequest) -> str:
        """Ask until the text passes the check (prompt_toolkit refuses it in place)."""
        from prompt_toolkit.completion import WordCompleter
        from prompt_toolkit.key_binding import KeyBindings
        from prompt_toolkit.validation import ValidationError, Validator

        commands = request.commands

        class _Check(Validator):
            def validate(self, document: object) -> None:
                text = getattr(document, "text", "")
                if text.strip().lower() in commands:
                    return
                problem = request.check(text)
                if problem is not None:
                    # The cursor stays at the end of what was typed: Ctrl-U clears the line,
                    # Backspace mends it, and new keys do not land before the refused text.
                    raise ValidationError(cursor_position=len(text), message=problem)

        bindings = KeyBindings()
        if request.multiline:

            @bindings.add("enter")
            def _enter(event: object) -> None:
                # Enter on an empty last line, or after a command, sends; otherwise a new line.
                buffer = getattr(event, "current_buffer")  # noqa: B009
                text = buffer.document.text
                last = buffer.document.current_line
                if text.strip().lower() in commands or (text.strip() and not last.strip()):
                    buffer.validate_and_handle()
                else:
                    buffer.insert_text("\n")

            @bindings.add("c-u")
            def _clear(event: object) -> None:
                # A refused text of several lines (a table) is cleared at once, not line by line.
                getattr(event, "current_buffer").reset()  # noqa: B009

        # Completion offers the one-word commands; phrases ("don't know") are understood only.
        words = [*request.choices, *sorted(c for c in commands if " " not in c)]
        text = self._session.prompt(
            f"{request.label} ",
            completer=WordCompleter(words, ignore_case=True, sentence=True),
            complete_while_typing=bool(request.choices),
            validator=_Check(),
            validate_while_typing=False,
            multiline=request.multiline,
            key_bindings=bindings,
            bottom_toolbar=(f"{request.hint}; Tab completes" if request.completes
                            else request.hint) or None,
            prompt_continuation="... ",
        )
        stripped = text.strip()
        return stripped.lower() if stripped.lower() in commands else text

    def refused(self, problem: str) -> None:
        """Nothing to do: the agent at the terminal types again."""


def make_prompter(stdin: TextIO | None = None, stdout: TextIO | None = None) -> Prompter:
    """prompt_toolkit when both ends are a terminal, plain lines otherwise."""
    inp = stdin if stdin is not None else sys.stdin
    out = stdout if stdout is not None else sys.stdout
    if inp is not None and inp.isatty() and out.isatty():
        return TerminalPrompter()
    scripted = inp is None or not inp.isatty()
    return LinePrompter(inp, out, echo=scripted, scripted=scripted)
