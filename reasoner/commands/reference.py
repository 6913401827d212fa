"""docs/cli-reference.md: every command's ``--help``, generated from the commands themselves."""

from __future__ import annotations

from collections.abc import Iterator

import click

HELP_WIDTH = 100


def all_commands(root: click.Command) -> Iterator[tuple[list[str], click.Command]]:
    """Every command, group and subcommand under ``root``, with its path of names, in help order."""

    def walk(path: list[str], command: click.Command) -> Iterator[tuple[list[str], click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            context = click.Context(command, info_name=path[-1], resilient_parsing=True)
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                if sub is not None:
                    yield from walk([*path, name], sub)

    yield from walk(["backspasm"], root)


def help_text(root: click.Command, path: list[str]) -> str:
    """The --help output of a command, at a fixed width so the reference is the same everywhere."""
    context: click.Context | None = None
    command: click.Command | None = root
    for depth, name in enumerate(path):
        if depth:
            assert isinstance(command, click.Group) and context is not None
            command = command.get_command(context, name)
        assert command is not None, path
        context = command.make_context(
            name, [], parent=context, resilient_parsing=True, terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH
        )
    assert context is not None
    return context.get_help()


def cli_reference(root: click.Command) -> str:
    """docs/cli-reference.md: every command's --help, generated, never written by hand."""
    parts = [
        "# Command-line reference",
        "",
        "Generated from `--help` by `backspasm kb docs`; do not edit by hand.",
        "",
    ]
    for path, _command in all_commands(root):
        parts += [f"## {' '.join(path)}", "", "```", help_text(root, path), "```", ""]
    return "\n".join(parts)
