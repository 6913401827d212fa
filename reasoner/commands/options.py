"""What the commands share: their options and arguments, loading the knowledge base, printing.

Shared option groups are one decorator each (``output_options``: ``--kb`` and
``--format``; ``budget_options``: the resource budget of each query), as in
sqlite-utils. Nothing here formats an answer: the renderers of :mod:`..render` do.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ... import bundled_kb

if TYPE_CHECKING:
    from ..advisor.records import Record
    from ..api import Advisor
    from ..knowledge.kb import KnowledgeBase
    from ..render.lines import Line

BUNDLED_KB = bundled_kb()
EXAMPLES = BUNDLED_KB.parent / "examples" / "patients"
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

F = TypeVar("F", bound=Callable[..., Any])


def workers_option(help_text: str) -> Callable[[F], F]:
    """``--workers/-w N``: worker processes, 0 for one per core (what ``batch`` and ``kb verify`` take)."""
    return click.option(
        "--workers",
        "-w",
        type=click.IntRange(0),
        default=1,
        show_default=True,
        callback=lambda _context, _parameter, value: value or os.cpu_count() or 1,
        help=help_text,
    )


def kb_option(function: F) -> F:
    """``--kb PATH``: the knowledge base to use instead of the bundled one."""
    return click.option(
        "--kb",
        "kb_path",
        type=click.Path(exists=True, path_type=Path),
        default=None,
        help="Knowledge base directory or .dl file (default: the bundled back-spasm guideline).",
    )(function)


def format_option(*extra: str) -> Callable[[F], F]:
    """``--format``: text (for people) or json (for programs), plus any ``extra`` formats."""
    choices = ("text", "json", *extra)

    def decorate(function: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default="text",
            show_default=True,
            help="Output format: " + ", ".join(choices) + ".",
        )(function)

    return decorate


def _budget_limit(field_name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def apply(ctx: click.Context, _parameter: click.Parameter, value: Any) -> None:
        if value is None or ctx.resilient_parsing:
            return
        from dataclasses import replace

        from ..language.budget import default_budget, set_default_budget

        set_default_budget(replace(default_budget(), **{field_name: value}))

    return apply


BUDGET_OPTIONS = (
    ("--max-seconds", "seconds", click.FloatRange(min=0, min_open=True), "Time limit of each query [default: 60]."),
    ("--max-facts", "facts", click.IntRange(1), "Most facts one query may derive [default: 1000000]."),
    (
        "--max-digits",
        "digits",
        click.IntRange(1),
        "Most digits of an integer a query computes [default: 1000].",
    ),
)
"""The resource budget of every query (reasoner/language/budget.py); going past it is an error naming the option."""


def budget_options(function: F) -> F:
    """``--max-seconds``, ``--max-facts``, ``--max-digits``: the budget of each query the command runs."""
    for option, field_name, option_type, help_text in reversed(BUDGET_OPTIONS):
        function = click.option(
            option, type=option_type, expose_value=False, callback=_budget_limit(field_name), help=help_text
        )(function)
    return function


def output_options(*extra: str) -> Callable[[F], F]:
    """The options every command shares: ``--kb`` and ``--format``."""

    def decorate(function: F) -> F:
        return kb_option(format_option(*extra)(function))

    return decorate


def patient_argument(function: F) -> F:
    return click.argument("patient", type=click.Path(exists=True, dir_okay=False, allow_dash=True), metavar="PATIENT")(
        function
    )


# -- printing -------------------------------------------------------------------------


def emit(lines: Iterable[Line]) -> None:
    """Lines to standard output: plain when piped, a coloured tree on a terminal."""
    from ..render.terminal import write_lines

    write_lines(lines, sys.stdout)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


# -- loading --------------------------------------------------------------------------


def load_advisor(kb_path: Path | None) -> Advisor:
    from ..advisor.cache import load_advisor_cached

    return load_advisor_cached(kb_path or BUNDLED_KB)


def load_knowledge_base(kb_path: Path | None) -> KnowledgeBase:
    from ..advisor.cache import load_kb_cached

    return load_kb_cached(kb_path or BUNDLED_KB)


def read_patient_data(patient: str) -> tuple[Any, str]:
    """The parsed value of a JSON/YAML file, or of standard input for ``-``, and its source name."""
    from ..advisor.inputs import parse_record_bytes, parse_record_text, read_record_file

    if patient == "-":
        binary = getattr(sys.stdin, "buffer", None)
        if binary is not None:
            return parse_record_bytes(binary.read(), "<stdin>"), "<stdin>"
        return parse_record_text(sys.stdin.read(), "<stdin>"), "<stdin>"
    return read_record_file(Path(patient)), patient


def read_patient(advisor: Advisor, patient: str) -> Record:
    """The validated record of a JSON/YAML file, or of standard input for ``-``."""
    data, source = read_patient_data(patient)
    return advisor.read_record(data, source)
