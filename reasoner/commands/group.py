"""The command group: the library's errors as messages and exit codes, commands imported when they run.

Exit codes: 0 answered, 1 an invalid record, query or knowledge base (or output that
cannot be written), 2 a usage error (click's own), 128 + N a run stopped by signal N.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import sys
from collections.abc import Mapping
from typing import Any

import click

from ..errors import ReasonerError
from ..render.streams import guard_standard_streams, report_output_error

EXIT_INVALID = 1
"""An invalid record, query or knowledge base, or output that cannot be written."""

YOUNG_COLLECTION_THRESHOLD = 50_000
"""Allocations between two collections of the youngest generation while a command runs (Python's
default is 700). Starting a command allocates some hundred thousand objects that live to its end
(modules, the knowledge base, the compiled rules); collecting them every 700 allocations cost
about a tenth of ``recommend``'s start-up (bench/README.md). Garbage in cycles is still collected,
in larger steps."""


def keep_heap_at_exit() -> None:
    """Move every object to the permanent generation, so that the interpreter's last
    collections at exit do not walk them (registered with :mod:`atexit` when a command runs).

    A finished command leaves the knowledge base, its compiled rules (pyDatalog clauses in
    reference cycles) and the modules; collecting them on the way out cost ``recommend``
    about a sixth of its start-up (bench/README.md), for memory the process returns whole.
    Objects are still freed as their references go; only cycles are left to the exit, and
    nothing the commands write depends on one: streams are flushed and files closed first.
    """
    gc.freeze()


class Commands(click.Group):
    """A group whose commands report the library's errors as messages and exit code 1.

    Output that cannot be written (a full disk, a closed standard output, a path that
    cannot be opened) is also one line on standard error and exit code 1, never a
    traceback; an interrupted ``batch`` exits 128 + the signal's number.

    ``lazy_commands`` names commands by ``"module:attribute"`` in this package, in the
    order help lists them; a command's module is imported only when the command is asked
    for, so a command pays for its own imports alone.
    """

    def __init__(self, *arguments: Any, lazy_commands: Mapping[str, str] | None = None, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self.lazy_commands = dict(lazy_commands or {})

    def main(self, *arguments: Any, **options: Any) -> Any:
        guard_standard_streams()
        atexit.unregister(keep_heap_at_exit)  # once per process, however many commands it runs
        atexit.register(keep_heap_at_exit)
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], YOUNG_COLLECTION_THRESHOLD), *thresholds[1:])
        try:
            return super().main(*arguments, **options)
        except OSError as error:
            report_output_error(error)
            sys.exit(EXIT_INVALID)
        finally:
            gc.set_threshold(*thresholds)

    def invoke(self, ctx: click.Context) -> Any:
        from ..language.budget import default_budget, set_default_budget

        budget = default_budget()  # the budget options change it for this invocation only
        try:
            result = super().invoke(ctx)
        except ReasonerError as error:
            for line in str(error).splitlines() or [type(error).__name__]:
                click.echo(f"Error: {line}", err=True)
            ctx.exit(EXIT_INVALID)
        finally:
            set_default_budget(budget)
        if ctx.parent is None and sys.stdout is not None:
            sys.stdout.flush()  # a full disk is reported here, not after exit as a Python warning
        return result

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy_commands, *(name for name in self.commands if name not in self.lazy_commands)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy_commands:
            module_name, _, attribute = self.lazy_commands[name].partition(":")
            command = getattr(importlib.import_module(f".{module_name}", __package__), attribute)
            assert isinstance(command, click.Command), self.lazy_commands[name]
            self.add_command(command, name)
        return self.commands.get(name)
