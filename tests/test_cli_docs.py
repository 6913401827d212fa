"""The command line documents itself: every command has help with an example, and the
reference in docs/ is what ``--help`` prints (regenerate with ``backspasm kb docs``)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from backspasm import cli
from backspasm.reasoner.cds.schemas import CDS_SCHEMAS
from backspasm.reasoner.commands.reference import all_commands, cli_reference
from tests.conftest import ROOT

COMMANDS = [path for path, _command in all_commands(cli.main)]
# These print a shipped file or where it is: there is no result to format and no KB to choose.
PRINTS_A_FILE_OR_A_PLACE = {"example", "path", "sql"}
TAKES_KNOWLEDGE_BASES_AS_ARGUMENTS = {"diff"}
"""Commands that compare two knowledge bases, both named as arguments: a --kb would be a third."""
"""Commands whose output is itself a file to use (an example, a place, a SQL script): no --format."""


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path))
def test_every_command_has_help_ending_with_an_example(path: list[str]) -> None:
    command = dict((tuple(p), c) for p, c in all_commands(cli.main))[tuple(path)]
    assert command.help, f"{' '.join(path)} has no help text"
    assert "Example:" in command.help, f"{' '.join(path)} has no Example: block"
    example = command.help.split("Example:")[-1]
    assert "backspasm " in example, "the example shows the command in use"
    assert command.help.rstrip().splitlines()[-1].strip().startswith(("backspasm", "cat ")), "help ends with it"


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path))
def test_h_works_like_help(runner: CliRunner, path: list[str]) -> None:
    arguments = path[1:]
    short = runner.invoke(cli.main, [*arguments, "-h"], catch_exceptions=False)
    long = runner.invoke(cli.main, [*arguments, "--help"], catch_exceptions=False)
    assert short.exit_code == long.exit_code == 0
    assert short.output == long.output
    assert "Example:" in long.output


@pytest.mark.parametrize("path", COMMANDS[1:], ids=lambda path: " ".join(path))
def test_every_command_takes_format_or_is_a_group(path: list[str]) -> None:
    command = dict((tuple(p), c) for p, c in all_commands(cli.main))[tuple(path)]
    names = {option for parameter in command.params for option in getattr(parameter, "opts", [])}
    if path[-1] in PRINTS_A_FILE_OR_A_PLACE or path[-1] == "kb":
        return
    assert "--format" in names
    if path[-1] in TAKES_KNOWLEDGE_BASES_AS_ARGUMENTS:
        return
    assert "--kb" in names


def test_cli_reference_is_generated_from_help() -> None:
    reference = (ROOT / "docs" / "cli-reference.md").read_text()
    assert reference == cli_reference(cli.main), "docs/cli-reference.md is stale: run `backspasm kb docs`"
    for path in COMMANDS:
        assert f"## {' '.join(path)}\n" in reference


def test_generated_cli_schemas_are_up_to_date() -> None:
    import json

    for relative, schema in CDS_SCHEMAS.items():
        path = ROOT / "docs" / relative
        assert path.exists() and json.loads(path.read_text()) == schema, f"docs/{relative} is stale: run kb docs"
