"""The ``backspasm`` command line: the entry point, naming each command and where it lives.

The commands themselves are click wiring in :mod:`backspasm.reasoner.commands`, one module
per group of commands: each parses its options, calls the library, and prints what the
renderers of :mod:`backspasm.reasoner.render` make of the result. A command's module is
imported only when that command runs, so answering one patient imports neither the batch
nor the KB tools nor the service.
Errors are the library's own exception types; the group turns them into exit codes:
0 answered, 1 an invalid record, query or knowledge base (or output that cannot be
written), 2 a usage error, 128 + N a batch stopped by signal N (143 SIGTERM, 130 SIGINT).
"""

from __future__ import annotations

import click

from . import __version__
from .reasoner.commands.group import Commands
from .reasoner.commands.options import CONTEXT_SETTINGS, load_knowledge_base

COMMANDS = {
    "recommend": "answer:recommend",
    "why": "explain:why",
    "why-not": "explain:why_not",
    "batch": "cohort:batch",
    "query": "query:query",
    "example": "query:example",
    "kb": "kb:kb",
    "serve": "serve:serve",
}
"""Each command, in help order, and its ``module:function`` in backspasm.reasoner.commands."""


def print_version(ctx: click.Context, _parameter: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    kb = load_knowledge_base(None)
    click.echo(f"backspasm {__version__}, knowledge base {kb.name} {kb.version}")
    ctx.exit(0)


@click.group(cls=Commands, context_settings=CONTEXT_SETTINGS, lazy_commands=COMMANDS)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=print_version,
    help="Show the package and knowledge-base versions and exit.",
)
def main() -> None:
    """Advice for severe back spasms from a guideline written as Datalog, with its evidence.

    Exit codes: 0 answered (a red flag is an answer, not an error), 1 the patient record,
    query or knowledge base is invalid (the message names the field or file:line:col), a
    query went past its resource budget (the message names the option that raises it) or
    the output cannot be written, 2 a usage error, 130 or 143 a batch stopped by SIGINT or
    SIGTERM (its workers ended, its output whole lines).

    Example:

    \b
        backspasm example acute > acute.json
        backspasm recommend acute.json
        backspasm recommend acute.json --evidence
        backspasm recommend --age 45 --symptom-days 10 --medication ssri
        backspasm why acute.json muscle_relaxant_short_course
    """


if __name__ == "__main__":
    main(prog_name="backspasm")
