"""The CLI builds only the command it runs: same help and errors as the whole app."""

from __future__ import annotations

import pytest
from typer.main import get_command_name
from typer.testing import CliRunner

from syncdoctor.cli.app import app, only_the_command

NAMES = sorted(
    [c.name or get_command_name(c.callback.__name__) for c in app.registered_commands
     if c.callback is not None]
    + [g.name for g in app.registered_groups if g.name]
)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("tail", [["--help"], ["--no-such-option"]])
def test_a_command_alone_answers_as_the_whole_app(name: str, tail: list[str]) -> None:
    args = [name, *tail]
    trimmed = only_the_command(args)
    assert trimmed is not app
    assert len(trimmed.registered_commands) + len(trimmed.registered_groups) == 1
    alone, whole = CliRunner().invoke(trimmed, args), CliRunner().invoke(app, args)
    assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)


@pytest.mark.parametrize("args", [[], ["--help"], ["--no-cache", "packs"], ["diagnos"]])
def test_anything_but_a_command_first_gets_the_whole_app(args: list[str]) -> None:
    assert only_the_command(args) is app


def test_shell_completion_gets_the_whole_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_SYNCDOCTOR_COMPLETE", "complete_bash")
    assert only_the_command(["diagnose"]) is app
