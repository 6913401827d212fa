"""The ``backspasm`` command line: click commands over :mod:`backspasm.reasoner`'s API, nothing more.

Each command parses its options, calls the library, and prints what the renderers of
:mod:`backspasm.reasoner.render` make of the result; no answer or explanation is
formatted here.
Errors are the library's own exception types; this module alone turns them into exit
codes: 0 answered, 1 an invalid record, query or knowledge base (or output that cannot
be written), 2 a usage error, 128 + N a batch stopped by signal N (143 SIGTERM, 130 SIGINT).
Heavy modules (the parser, rich, the tracer) are imported only by the commands that
need them, so answering one patient starts fast.
"""

from __future__ import annotations

import errno
import importlib
import importlib.util
import json
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from click.core import ParameterSource

from . import __version__, bundled_kb
from .reasoner.errors import ReasonerError

if TYPE_CHECKING:
    from .reasoner.advisor.outputs import JsonLinesAnswers, ParquetAnswers
    from .reasoner.advisor.records import Record
    from .reasoner.api import Advisor
    from .reasoner.knowledge.kb import KnowledgeBase
    from .reasoner.render.lines import Line

BUNDLED_KB = bundled_kb()
EXAMPLES = BUNDLED_KB.parent / "examples" / "patients"
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
HELP_WIDTH = 100

F = TypeVar("F", bound=Callable[..., Any])


# -- shared options ---------------------------------------------------------------


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

        from .reasoner.language.budget import default_budget, set_default_budget

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
"""The resource budget of every query (reasoner/budget.py); going past it is an error naming the option."""


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


# -- output -----------------------------------------------------------------------


def emit(lines: Iterable[Line]) -> None:
    """Lines to standard output: plain when piped, a coloured tree on a terminal."""
    from .reasoner.render.terminal import write_lines

    write_lines(lines, sys.stdout)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def on_terminal(stream: Any = None) -> bool:
    from .reasoner.render.terminal import on_terminal as is_terminal

    return is_terminal(stream)


# -- loading ------------------------------------------------------------------------


def load_advisor(kb_path: Path | None) -> Advisor:
    from .reasoner.advisor.cache import load_advisor_cached

    return load_advisor_cached(kb_path or BUNDLED_KB)


def load_knowledge_base(kb_path: Path | None) -> KnowledgeBase:
    from .reasoner.advisor.cache import load_kb_cached

    return load_kb_cached(kb_path or BUNDLED_KB)


def read_patient_data(patient: str) -> tuple[Any, str]:
    """The parsed value of a JSON/YAML file, or of standard input for ``-``, and its source name."""
    from .reasoner.advisor.inputs import parse_record_bytes, parse_record_text, read_record_file

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


def fhir_module() -> Any:
    """The FHIR reader, which needs the ``cds`` extra (fhir.resources)."""
    try:
        importlib.import_module("fhir.resources.R4B")  # the extra's models, which the reader imports lazily
        fhir = importlib.import_module(".reasoner.fhir", __package__)
    except ImportError as error:
        raise click.ClickException(
            f"FHIR input needs the cds extra ({error.name} is missing): pip install 'backspasm[cds]'"
        ) from None
    return fhir


def is_fhir_bundle(data: Any) -> bool:
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


def patient_argument(function: F) -> F:
    return click.argument("patient", type=click.Path(exists=True, dir_okay=False, allow_dash=True), metavar="PATIENT")(
        function
    )


# -- the group ----------------------------------------------------------------------


class Commands(click.Group):
    """A group whose commands report the library's errors as messages and exit code 1.

    Output that cannot be written (a full disk, a closed standard output, a path that
    cannot be opened) is also one line on standard error and exit code 1, never a
    traceback; an interrupted ``batch`` exits 128 + the signal's number.
    """

    def main(self, *arguments: Any, **options: Any) -> Any:
        guard_standard_streams()
        try:
            return super().main(*arguments, **options)
        except OSError as error:
            report_output_error(error)
            sys.exit(EXIT_INVALID)

    def invoke(self, ctx: click.Context) -> Any:
        from .reasoner.language.budget import default_budget, set_default_budget

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
        return list(self.commands)


EXIT_INVALID = 1
"""An invalid record, query or knowledge base, or output that cannot be written."""


class ClosedStream:
    """Standard output when the process was started with it closed (``>&-``).

    Python then sets ``sys.stdout`` to None and click would drop every answer in silence;
    writing here raises instead, so the command says that it could not write.
    """

    def write(self, _text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def guard_standard_streams() -> None:
    """Make output failures visible and text that cannot be encoded printable.

    A closed standard output becomes a :class:`ClosedStream`; standard error writes any
    character it cannot encode as an escape, so an error message quoting the bad text can
    always be printed.
    """
    if sys.stdout is None:
        sys.stdout = ClosedStream()  # type: ignore[assignment,unused-ignore]
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (OSError, ValueError):
                pass


def report_output_error(error: OSError) -> None:
    """One line on standard error for output that could not be written (or any other file the
    system refused, named by the error); the rest of the output is discarded so that Python's
    own flush at exit does not fail again with a traceback."""
    reason = error.strerror or str(error)
    message = f"{error.filename}: {reason}" if error.filename else f"cannot write the output: {reason}"
    try:
        click.echo(f"Error: {message}", err=True)
    except OSError:
        pass
    stdout = sys.stdout
    try:
        descriptor = stdout.fileno() if stdout is not None and not isinstance(stdout, ClosedStream) else None
    except (OSError, ValueError, AttributeError):
        descriptor = None
    if descriptor is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, descriptor)
        os.close(devnull)


def print_version(ctx: click.Context, _parameter: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    kb = load_knowledge_base(None)
    click.echo(f"backspasm {__version__}, knowledge base {kb.name} {kb.version}")
    ctx.exit(0)


@click.group(cls=Commands, context_settings=CONTEXT_SETTINGS)
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


# -- recommend --------------------------------------------------------------------

QUICK_FIELDS = {
    "record_id": "id",
    "age": "age",
    "symptom_days": "symptom_days",
    "flare_up": "flare_up",
    "relaxant_days_taken": "relaxant_days_taken",
    "relaxant_course_day": "relaxant_course_day",
    "conditions": "conditions",
    "medications": "medications",
    "red_flags": "red_flags",
    "preferences": "preferences",
    "allergies": "allergies",
}


def quick_record(advisor: Advisor, options: dict[str, Any]) -> dict[str, Any]:
    """A record from the command-line options; ``code:value`` sets the code's attribute."""
    record: dict[str, Any] = {}
    for option, field_name in QUICK_FIELDS.items():
        value = options[option]
        spec = advisor.record_spec.field(field_name)
        if isinstance(value, tuple):
            if not value:
                continue
            record[field_name] = [code_item(spec.attributes if spec else (), text) for text in value]
        elif value is not None and value is not False:
            record[field_name] = value
    return record


def code_item(attributes: Iterable[Any], text: str) -> Any:
    code, separator, value = text.partition(":")
    if not separator:
        return code
    attribute = _attribute_for(list(attributes), code, value)
    if attribute is None:
        raise click.BadParameter(f"{code} takes no value (write {code}, not {text})")
    if attribute.type == "integer":
        try:
            return {"code": code, attribute.name: int(value)}
        except ValueError:
            raise click.BadParameter(f"{text}: {attribute.name} is a whole number") from None
    return {"code": code, attribute.name: value}


def _attribute_for(attributes: list[Any], code: str, value: str) -> Any:
    """The attribute a ``code:value`` sets: the one required for the code, else the one the value fits
    (a whole number for an integer attribute, one of its codes for a code attribute), else the first."""
    for attribute in attributes:
        if code in attribute.required_for:
            return attribute
    wanted = "integer" if value.lstrip("-").isdigit() else "code"
    fitting = [attribute for attribute in attributes if attribute.type == wanted]
    return fitting[0] if fitting else next(iter(attributes), None)


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("patient", required=False, type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@click.option("--id", "record_id", default="command-line", show_default=True, help="Identifier of the patient.")
@click.option("--age", type=int, help="Age in whole years.")
@click.option("--symptom-days", type=int, help="Days since the back spasm began.")
@click.option("--flare-up", is_flag=True, help="A flare-up of a chronic condition.")
@click.option(
    "--relaxant-days-taken", type=int, default=0, show_default=True, help="Days of muscle relaxant already taken."
)
@click.option(
    "--relaxant-course-day", type=int, help="Days of the current relaxant course taken so far (a course under way)."
)
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    help="A condition; CODE:SEVERITY or CODE:WEEK, e.g. hepatic_impairment:mild, pregnancy:24.",
)
@click.option(
    "--medication", "medications", multiple=True, help="A medicine; CODE:DAYS when stopped DAYS ago, e.g. maoi:10."
)
@click.option("--red-flag", "red_flags", multiple=True, help="A red-flag finding, e.g. fever.")
@click.option("--preference", "preferences", multiple=True, help="A preferred exercise, e.g. walking.")
@click.option("--allergy", "allergies", multiple=True, help="A drug hypersensitivity, e.g. cyclobenzaprine.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="For a FHIR Bundle: the date it is read at (ages and symptom days count to it); default today.",
)
@click.option(
    "--evidence",
    "-v",
    "show_evidence",
    is_flag=True,
    help="Under each item, its parameters, every statement and the evidence with grades (text format).",
)
@output_options()
@click.pass_context
@budget_options
def recommend(
    ctx: click.Context,
    /,
    patient: str | None,
    kb_path: Path | None,
    output_format: str,
    show_evidence: bool,
    **options: Any,
) -> None:
    """Advise on one patient: a red-flag banner if any, the plan in a few lines, then each item.

    The plan says the drug with dose, duration and stop rule, the non-drug care, and what
    is not offered and why; each item follows in one line, grouped by kind, its statement
    filled for the patient. --evidence adds parameters and graded evidence; --format json
    gives every field, the plan summary included.

    PATIENT is a JSON or YAML record file, a FHIR R4 Bundle (Patient, Condition,
    MedicationStatement/Request, Observation, AllergyIntolerance; codes it cannot map
    are listed as not understood), or - to read either from standard input. Instead
    of a file, give the record as options for a quick question (codes are the record's
    codes: see docs/schemas/patient.schema.json).

    Example:

    \b
        backspasm example acute > acute.json
        backspasm recommend acute.json
        backspasm recommend acute.json --evidence
        backspasm recommend --age 45 --symptom-days 10 --medication ssri
        backspasm recommend --age 70 --symptom-days 3 --condition hepatic_impairment:mild --format json
        backspasm example elderly | backspasm recommend -
        backspasm example acute --fhir > acute-bundle.json
        backspasm recommend acute-bundle.json --today 2026-11-26
    """
    given = [name for name in QUICK_FIELDS if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if patient is not None and given:
        raise click.UsageError("give a PATIENT file or the record options (--age, --symptom-days ...), not both")
    if patient is None and not given:
        raise click.UsageError("give a PATIENT file, - for standard input, or the record options (--age ...)")
    advisor = load_advisor(kb_path)
    today = options.pop("today")
    if patient is not None:
        data, source = read_patient_data(patient)
        if is_fhir_bundle(data):
            result = fhir_module().recommend_bundle(advisor, data, today=today.date() if today else None, source=source)
            if output_format == "json":
                emit_json({**result.to_json(), "summary": advisor.summary(result.answer).to_json()})
            else:
                emit([*answer_lines(result.answer, advisor, show_evidence), *reading_lines(result.reading)])
            return
        record = advisor.read_record(data, source)
    else:
        record = advisor.read_record(quick_record(advisor, options), "command line")
    answer = advisor.recommend(record)
    if output_format == "json":
        emit_json({**answer.to_json(), "summary": advisor.summary(answer).to_json()})
    else:
        emit(answer_lines(answer, advisor, show_evidence))


def answer_lines(answer: Any, advisor: Advisor, detail: bool = False) -> Iterator[Line]:
    from .reasoner.render.answer import answer_lines as lines_of

    return lines_of(answer, advisor.answer_spec, advisor.kb.evidence, detail=detail)


def reading_lines(reading: Any) -> Iterator[Line]:
    from .reasoner.render.answer import reading_lines as lines_of

    return lines_of(reading)


# -- why, why-not --------------------------------------------------------------------


def check_code(advisor: Advisor, code: str) -> None:
    if code not in advisor.answer_spec.codes:
        allowed = ", ".join(advisor.answer_spec.codes)
        raise click.BadParameter(f"{code!r} is not an answer code; allowed: {allowed}", param_hint="'CODE'")


def kind_option(function: F) -> F:
    return click.option(
        "--kind", help="The item's kind (refer, warn, recommend, consider, avoid); default: see above."
    )(function)


def check_kind(advisor: Advisor, kind: str | None) -> None:
    if kind is not None and kind not in advisor.answer_spec.kinds:
        raise click.BadParameter(
            f"{kind!r} is not a kind; allowed: {', '.join(advisor.answer_spec.kinds)}", param_hint="'--kind'"
        )


@main.command(context_settings=CONTEXT_SETTINGS)
@patient_argument
@click.argument("code")
@kind_option
@click.option("--all", "all_proofs", is_flag=True, help="Show every proof (up to --limit), smallest first.")
@click.option("--limit", type=click.IntRange(1), default=10, show_default=True, help="At most this many proofs.")
@click.option("--full", is_flag=True, help="Print the whole proof tree: every rule's Datalog, evidence and why-nots.")
@click.option(
    "--changes",
    is_flag=True,
    help="Also say what would end the item soonest, and when (each change checked by answering it first).",
)
@output_options("dot", "mermaid", "sentence")
@budget_options
def why(
    patient: str,
    code: str,
    kind: str | None,
    all_proofs: bool,
    limit: int,
    full: bool,
    changes: bool,
    kb_path: Path | None,
    output_format: str,
) -> None:
    """Why the answer for PATIENT holds CODE: the patient's facts, the rules that used them, what was ruled out.

    The item explained is the one the answer holds for CODE (or --kind KIND). The text
    shows the decisive path: the patient's facts, one line per rule on the path with its
    statement and what it tested, and one line per rule that could have ruled the item
    out and did not, with what was checked. --full prints the whole proof tree (each
    rule's Datalog and evidence); JSON holds both. dot and mermaid draw the proof as a
    graph; sentence says it in a sentence and a bullet list. --changes adds what would
    end the item soonest ("ends in 2 days, when the current course reaches day 7").

    Example:

    \b
        backspasm example subacute > subacute.json
        backspasm why subacute.json muscle_relaxant_short_course
        backspasm why subacute.json muscle_relaxant_short_course --full
        backspasm why subacute.json muscle_relaxant_short_course --changes
        backspasm why subacute.json heat_therapy --format dot > heat.dot
    """
    from .reasoner.render.formats import render_many, why_json
    from .reasoner.render.vocabulary import vocabulary_of

    advisor = load_advisor(kb_path)
    check_code(advisor, code)
    check_kind(advisor, kind)
    record = read_patient(advisor, patient)
    fact, proofs = advisor.proofs(record, code, kind, every=all_proofs, limit=limit)
    held_kind = str(fact.arguments[1]) if proofs else None
    item = next((i for i in advisor.recommend(record).items if i.code == code and i.kind == held_kind), None)
    vocabulary = vocabulary_of(advisor.record_spec, advisor.answer_spec, item.parameters if item else None)
    wanted = changes and held_kind is not None and advisor.declares_changes and output_format != "dot"
    found = advisor.changes(record, code, held_kind) if wanted and held_kind else None
    if output_format == "json":
        value = why_json(str(fact), proofs, advisor.kb.evidence, vocabulary)
        if found is not None:
            from .reasoner.render.changes import changes_json

            value["changes"] = changes_json(found)
        emit_json(value)
    elif not proofs:
        where = f" as {kind}" if kind else ""
        hint = f"ask `backspasm why-not {patient} {code}` for the reason"
        click.echo(f"{code} is not in the answer for {record.identifier}{where}; {hint}.")
    else:
        click.echo(render_many(proofs, output_format, advisor.kb.evidence, vocabulary=vocabulary, full=full), nl=False)
        if found is not None and output_format in ("text", "sentence"):
            from .reasoner.render.changes import changes_text

            click.echo(changes_text([found]), nl=False)


@main.command("why-not", context_settings=CONTEXT_SETTINGS)
@patient_argument
@click.argument("code")
@kind_option
@click.option(
    "--changes/--no-changes",
    default=True,
    show_default=True,
    help="Also say what would change it, and when (text, sentence and json; the knowledge base's changes file).",
)
@output_options("dot", "mermaid", "sentence")
@budget_options
def why_not(patient: str, code: str, kind: str | None, changes: bool, kb_path: Path | None, output_format: str) -> None:
    """Why the answer for PATIENT does not offer CODE: for each rule, the first condition that fails.

    Without --kind every kind some rule could offer it with is explained (every kind
    but avoid): for muscle_relaxant_short_course, why it is not considered. When no
    rule offers CODE at all (tens), the answer says what the knowledge base holds instead.

    Then, what would change it, and when: the smallest changes of the record (fewest,
    then soonest) that the knowledge base allows, over time too, that would make it hold
    (or end it, for an item the answer holds); each is checked by answering the changed
    record first. --no-changes leaves this out.

    Example:

    \b
        backspasm example elderly > elderly.json
        backspasm why-not elderly.json muscle_relaxant_short_course
        backspasm why-not elderly.json tens --kind recommend --format json
        backspasm why-not elderly.json muscle_relaxant_short_course --format mermaid
        backspasm example course-day-5 > course.json
        backspasm why-not course.json muscle_relaxant_short_course
    """
    from .reasoner.render.formats import render_many, why_not_json
    from .reasoner.render.vocabulary import vocabulary_of

    advisor = load_advisor(kb_path)
    check_code(advisor, code)
    check_kind(advisor, kind)
    record = read_patient(advisor, patient)
    explanations = advisor.absences(record, code, kind)
    wanted = changes and advisor.declares_changes and output_format in ("text", "sentence", "json")
    found = advisor.why_not_changes(record, explanations) if wanted else None
    if output_format == "json":
        emit_json(why_not_json(code, explanations, advisor.kb.evidence, found))
        return
    vocabulary = vocabulary_of(advisor.record_spec, advisor.answer_spec)
    click.echo(render_many(explanations, output_format, advisor.kb.evidence, vocabulary=vocabulary), nl=False)
    if found:
        from .reasoner.render.changes import changes_text

        click.echo(changes_text(found), nl=False)


# -- batch --------------------------------------------------------------------------------


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("cohort", type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Write answers here."
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    callback=lambda _context, _parameter, value: value or os.cpu_count() or 1,
    help="Worker processes, each loading the knowledge base once; 0 for one per core.",
)
@click.option("--audit", is_flag=True, help="Also report how many patients get each code, and broken invariants.")
@click.option(
    "--chunk-size",
    type=click.IntRange(1),
    default=None,
    help="Patients per unit of work [default: 20000 on duckdb, 64 on pydatalog].",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "pydatalog", "spark"]),
    default="duckdb",
    show_default=True,
    help="duckdb: the compiled rules over each chunk at once; pydatalog: one patient at a time over --workers; "
    "spark: the compiled rules on Apache Spark (the spark extra).",
)
@click.option(
    "--master",
    metavar="URL",
    default=None,
    help="Spark's master with --engine spark: local[*] (the default), local[N], or a cluster's URL.",
)
@click.option(
    "--spark-staging",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --engine spark: the folder for each chunk's input facts; on a cluster, one its executors can read "
    "[default: the system's temporary folder].",
)
@click.option(
    "--answers",
    "answer_form",
    type=click.Choice(["full", "compact"]),
    default="full",
    show_default=True,
    help="full: each patient's whole answer; compact: codes, kinds, parameters and rule ids, after one header "
    "line with what each rule cites (docs/schemas/compact-answer.schema.json).",
)
@output_options()
def batch(
    cohort: Path,
    output: Path | None,
    workers: int,
    audit: bool,
    chunk_size: int | None,
    engine: str,
    master: str | None,
    spark_staging: Path | None,
    answer_form: str,
    kb_path: Path | None,
    output_format: str,
) -> None:
    """Answer a cohort: JSON Lines in (or a directory of record files), one JSON answer a line out.

    COHORT is a .jsonl file, - for standard input, or a directory of .json/.yaml records.
    Answers come out in input order (docs/schemas/answer.schema.json); a bad record gives
    a line {"error": {...}} naming its line and fields (docs/schemas/batch-error.schema.json)
    and a message on standard error, and the others are still answered. A progress bar
    shows on a terminal. --audit prints a summary (--format text or json): to standard
    output when answers go to --output, else to standard error. Exit code 1 when any
    record was invalid or any invariant was violated. The default engine, duckdb,
    answers each chunk set-at-a-time (DuckDB's memory limit 1GB; --workers unused);
    --engine pydatalog answers one patient at a time over --workers processes;
    --engine spark runs the same compiled rules on Apache Spark (--master, default
    local[*]; chunks of 1000000), with the same answers, byte for byte, as duckdb.
    --answers compact writes per patient only what its record decides (codes, kinds,
    parameters, rule ids, conflicting evidence ids), after a header line with each
    rule's evidence and each code's label; with --output x.parquet the header is the
    file's metadata backspasm.compact.header. Errors are the same lines either way.
    SIGTERM or SIGINT ends the workers, leaves whole lines of output for the records
    answered so far, and exits 143 or 130 (128 + the signal's number).

    Example:

    \b
        backspasm example cohort > cohort.jsonl
        backspasm batch cohort.jsonl --output answers.jsonl --workers 0 --audit
        backspasm batch cohort.jsonl --answers compact --output answers.parquet
        cat cohort.jsonl | backspasm batch - > answers.jsonl
    """
    from .reasoner.advisor.batch import DEFAULT_CHUNK_SIZE, Audit, run
    from .reasoner.advisor.cohort import DEFAULT_SPARK_CHUNK_SIZE, DEFAULT_SQL_CHUNK_SIZE
    from .reasoner.advisor.compact import advisor_header
    from .reasoner.advisor.inputs import read_cohort
    from .reasoner.render.cohort import audit_lines, record_error_text
    from .reasoner.render.lines import plain

    if engine != "spark" and (master is not None or spark_staging is not None):
        raise click.UsageError("--master and --spark-staging go with --engine spark")
    if engine == "spark":
        require_spark()
    kb = kb_path or BUNDLED_KB
    advisor = load_advisor(kb)
    stream = open_answers(output, advisor_header(advisor) if answer_form == "compact" else None)
    entries = read_cohort(cohort, sys.stdin, parse=engine != "duckdb")
    if chunk_size is None:
        defaults = {"duckdb": DEFAULT_SQL_CHUNK_SIZE, "spark": DEFAULT_SPARK_CHUNK_SIZE}
        chunk_size = defaults.get(engine, DEFAULT_CHUNK_SIZE)
    outcomes = run(
        entries,
        advisor,
        kb_path=kb,
        workers=workers,
        audit=audit,
        chunk_size=chunk_size,
        engine=engine,
        master=master,
        staging=spark_staging,
        form=answer_form,
    )
    summary = Audit()
    progress = None
    if on_terminal(sys.stderr) and (output is not None or not on_terminal()):
        from rich.console import Console
        from rich.progress import Progress

        progress = Progress(console=Console(stderr=True), transient=True)
        progress.start()
        task = progress.add_task("patients", total=_count_lines(cohort))
    written = 0
    try:
        with stop_on_signals():
            for outcome in outcomes:
                summary.add(outcome)
                stream.write(outcome, outcome.to_text())
                written += 1
                if outcome.error is not None:
                    message = record_error_text(outcome.error)
                    if progress is not None:
                        progress.console.print(message, markup=False, highlight=False, soft_wrap=True)
                    else:
                        click.echo(message, err=True)
                if progress is not None:
                    progress.advance(task)
    except Interrupted as interruption:
        outcomes.close()  # ends the worker processes before anything else
        stream.flush()
        if output:
            stream.close()
        if progress is not None:
            progress.stop()
        click.echo(
            f"Error: interrupted by {interruption.name} after {written} records were written (whole lines only)",
            err=True,
        )
        exit_at_once(interruption.exit_code)
    finally:
        if progress is not None:
            progress.stop()
        stream.close()
    if audit:
        to_stderr = output is None
        if output_format == "json":
            click.echo(json.dumps(summary.to_json(), indent=2, sort_keys=True), err=to_stderr)
        else:
            click.echo(plain(list(audit_lines(summary))), err=to_stderr, nl=False)
    if summary.errors or summary.violations:
        sys.exit(EXIT_INVALID)


def require_spark() -> None:
    """``--engine spark`` needs the ``spark`` extra (pyspark); say so before any work."""
    if importlib.util.find_spec("pyspark") is None:
        raise click.ClickException(
            "--engine spark needs the spark extra (pyspark is missing): pip install 'backspasm[spark]'"
        )


def open_answers(path: Path | None, header: dict[str, Any] | None = None) -> JsonLinesAnswers | ParquetAnswers:
    """Where ``batch`` writes: standard output, a JSON Lines file, or Parquet for a path ending in .parquet;
    opened before any work so that a path that cannot be written fails at once."""
    from .reasoner.advisor.outputs import answer_writer

    try:
        return answer_writer(path, sys.stdout, header)
    except OSError as error:
        raise click.FileError(str(path), hint=error.strerror or str(error)) from None


class Interrupted(Exception):
    """SIGTERM or SIGINT arrived during a batch: raised in the main thread to stop it cleanly."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal.Signals(signal_number).name)
        self.name = signal.Signals(signal_number).name
        self.exit_code = 128 + signal_number
        """As a shell reports a process ended by the signal: 143 for SIGTERM, 130 for SIGINT."""


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT raise :class:`Interrupted` instead of killing
    the process outright, so the batch can end its workers and flush whole lines first."""

    def interrupt(signal_number: int, _frame: Any) -> None:
        raise Interrupted(signal_number)

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def exit_at_once(code: int) -> NoReturn:
    """End an interrupted run now, once its output is flushed and its workers are reaped.

    A normal exit would join the process pool's manager thread at interpreter shutdown,
    which on a loaded machine was seen to wait minutes on the queues of the workers just
    terminated; nothing is left to clean up, so the process ends without that wait.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _count_lines(path: Path) -> int | None:
    if str(path) == "-" or path.is_dir():
        return None
    with path.open("rb") as file:
        return sum(1 for line in file if line.strip())


# -- query -------------------------------------------------------------------------------


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("query")
@click.option(
    "--facts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Input facts: a JSON/YAML patient record for a guideline, or Datalog facts (edge(a, b).) for a program.",
)
@output_options()
@budget_options
def query(query: str, facts: Path | None, kb_path: Path | None, output_format: str) -> None:
    """Evaluate a Datalog QUERY against a knowledge base and print the matching tuples.

    The query is a conjunction such as 'item(C, K), K != avoid'; each solution gives a
    value to every named variable (a table in text, a list of objects in json). A query
    without variables prints yes or no ([{}] or [] in json).

    Example:

    \b
        backspasm example acute > acute.json
        backspasm query --facts acute.json 'item(Code, consider)'
        printf '.input edge(from: symbol, to: symbol).\\n' > graph.dl
        printf 'reach(X, Y) :- edge(X, Y).\\nreach(X, Z) :- reach(X, Y), edge(Y, Z).\\n' >> graph.dl
        printf 'edge(a, b).\\nedge(b, c).\\n' > edges.facts
        backspasm query --kb graph.dl --facts edges.facts 'reach(a, X)' --format json
    """
    kb = load_knowledge_base(kb_path)
    input_facts: list[Any] = []
    if facts is not None:
        from .reasoner.advisor.inputs import read_facts_file, read_record_file

        if facts.suffix in (".json", ".yaml", ".yml") and "record" in kb.data:
            from .reasoner.api import advisor_for

            advisor = advisor_for(kb, kb_path or BUNDLED_KB)
            input_facts = list(advisor.read_record(read_record_file(facts), str(facts)).facts)
        else:
            input_facts = read_facts_file(facts)
    with kb.session(input_facts) as session:
        rows = session.ask(query)
    if output_format == "json":
        emit_json(rows)
        return
    from .reasoner.render.listing import rows_table

    for line in rows_table(rows):
        click.echo(line)


# -- example ---------------------------------------------------------------------------


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name", required=False)
@click.option("--fhir", is_flag=True, help="The example as a FHIR R4 Bundle instead of a patient record.")
@click.option("--path", "show_path", is_flag=True, help="Print where the example file is instead of its content.")
def example(name: str | None, fhir: bool, show_path: bool) -> None:
    """Print a shipped example patient (or, with --fhir, a FHIR Bundle) to copy or pipe.

    Without NAME, list the examples there are. The cohort example (one record a line)
    is named cohort.

    Example:

    \b
        backspasm example
        backspasm example acute > acute.json
        backspasm example cohort > cohort.jsonl
        backspasm example acute --fhir > acute-bundle.json
    """
    from . import example_names, example_path

    kind = "fhir" if fhir else "patient"
    if name is None:
        for known in example_names(kind):
            click.echo(known)
        if not fhir:
            click.echo("cohort")
        return
    if name == "cohort" and not fhir:
        path = EXAMPLES.parent / "cohort.jsonl"
    else:
        try:
            path = example_path(name, kind)
        except KeyError:
            allowed = ", ".join([*example_names(kind), *([] if fhir else ["cohort"])])
            raise click.BadParameter(f"no example {name!r}; allowed: {allowed}", param_hint="'NAME'") from None
    if show_path:
        click.echo(str(path))
    else:
        click.echo(path.read_text(encoding="utf-8"), nl=False)


# -- kb ---------------------------------------------------------------------------------


@main.group(cls=Commands, context_settings=CONTEXT_SETTINGS)
def kb() -> None:
    """Inspect, check and document a knowledge base.

    Example:

    \b
        backspasm kb lint
        backspasm kb rules --code tens
        backspasm kb verify
    """


@kb.command("path", context_settings=CONTEXT_SETTINGS)
def kb_path_command() -> None:
    """Print the directory of the bundled knowledge base, to read, copy or pass to --kb.

    Example:

    \b
        cp -r "$(backspasm kb path)" my-kb && backspasm kb lint my-kb
        backspasm kb path
    """
    click.echo(str(BUNDLED_KB))


@kb.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@output_options()
def lint(path: Path | None, kb_path: Path | None, output_format: str) -> None:
    """Check a knowledge base (PATH, else --kb, else the bundled one): errors and warnings with file:line:col.

    Unlike the other commands, lint parses and validates the rules afresh (no cache).
    Exit code 1 when there is an error; warnings alone exit 0.

    Example:

    \b
        backspasm kb lint
        printf 'q(a).\\np(X) :- q(X).\\n' > my-rules.dl
        backspasm kb lint my-rules.dl --format json
    """
    from .reasoner.errors import KnowledgeBaseError
    from .reasoner.kbtools.lint import lint as lint_kb
    from .reasoner.render.listing import lint_summary, problem_json, problem_text

    target = path or kb_path or BUNDLED_KB
    try:
        problems = lint_kb(target)
    except KnowledgeBaseError as error:
        problems = list(error.problems)
    errors = sum(1 for problem in problems if problem.severity == "error")
    if output_format == "json":
        emit_json([problem_json(problem) for problem in problems])
    else:
        for problem in problems:
            click.echo(problem_text(problem))
        click.echo(lint_summary(str(target), problems))
    if errors:
        sys.exit(1)


@kb.command("diff", context_settings=CONTEXT_SETTINGS)
@click.argument("old_kb", type=click.Path(exists=True, path_type=Path))
@click.argument("new_kb", type=click.Path(exists=True, path_type=Path))
@click.argument("cohort", type=click.Path(exists=True, allow_dash=True, path_type=Path))
@format_option()
def diff(old_kb: Path, new_kb: Path, cohort: Path, output_format: str) -> None:
    """What changes when the knowledge base changes: COHORT answered by OLD_KB and by NEW_KB.

    Every patient is answered by both versions (set-at-a-time, on DuckDB) and the two
    answers compared item by item: items added or removed, an item's kind changed, a
    parameter changed, or a record valid under one version only. Each change is counted,
    with a few example patients and the rules behind the item in both versions: a guideline
    author's impact report. Exits 0 whether or not answers change.

    Example:

    \b
        backspasm example cohort > cohort.jsonl
        cp -r "$(backspasm kb path)" shorter-limit
        sed -i 's/relaxant_cumulative_limit(21)/relaxant_cumulative_limit(14)/' shorter-limit/relaxant.dl
        backspasm kb diff "$(backspasm kb path)" shorter-limit cohort.jsonl
    """
    from .reasoner.advisor.diff import diff_cohort
    from .reasoner.advisor.inputs import read_cohort
    from .reasoner.render.cohort import diff_lines

    report = diff_cohort(load_advisor(old_kb), load_advisor(new_kb), read_cohort(cohort, sys.stdin))
    if output_format == "json":
        emit_json(report.to_json())
    else:
        emit(diff_lines(report))


@kb.command(context_settings=CONTEXT_SETTINGS)
@click.option("--code", help="Only rules whose head mentions this answer code.")
@output_options()
def rules(code: str | None, kb_path: Path | None, output_format: str) -> None:
    """List the rules with their statements and evidence, in load order.

    Example:

    \b
        backspasm kb rules --code muscle_relaxant_short_course
        backspasm kb rules --format json
    """
    from .reasoner.language.program import Constant

    kb = load_knowledge_base(kb_path)
    selected = [
        rule
        for rule in kb.program.rules
        if code is None or any(isinstance(term, Constant) and term.value == code for term in rule.head.arguments)
    ]
    from .reasoner.render.listing import rules_json, rules_lines

    if output_format == "json":
        emit_json(rules_json(selected))
    else:
        emit(rules_lines(selected, kb.evidence))


@kb.command(context_settings=CONTEXT_SETTINGS)
@output_options()
def evidence(kb_path: Path | None, output_format: str) -> None:
    """List the evidence registry: each reference's quality, origin, source and what it backs.

    Example:

    \b
        backspasm kb evidence
        backspasm kb evidence --format json
    """
    from .reasoner.render.listing import evidence_json, evidence_lines

    kb = load_knowledge_base(kb_path)
    if output_format == "json":
        emit_json(evidence_json(kb.evidence))
    else:
        emit(evidence_lines(kb.evidence))


@kb.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--dialect",
    type=click.Choice(["duckdb", "spark", "postgres", "bigquery", "trino"]),
    default="duckdb",
    show_default=True,
    help="The SQL dialect to write.",
)
@kb_option
def sql(dialect: str, kb_path: Path | None) -> None:
    """Print the knowledge base compiled to SQL, to run over a whole cohort in a warehouse.

    One table per predicate (a subject column on those that depend on a record), one
    INSERT ... SELECT per rule in evaluation order, the rule index on every derived row.
    Fill _subjects and the input tables, then run the statements in order.

    Example:

    \b
        backspasm kb sql
        backspasm kb sql --dialect spark
    """
    from .reasoner.language.to_sql import compile_program

    kb = load_knowledge_base(kb_path)
    click.echo(compile_program(kb.program).script(dialect), nl=False)


@kb.command(context_settings=CONTEXT_SETTINGS)
@output_options()
def coverage(kb_path: Path | None, output_format: str) -> None:
    """The traceability matrix: each guideline line beside the rules that encode it.

    Example:

    \b
        backspasm kb coverage
        backspasm kb coverage --format json
    """
    from .reasoner.knowledge.traceability import read_traceability
    from .reasoner.render.listing import coverage_json, coverage_lines

    kb = load_knowledge_base(kb_path)
    if "traceability" not in kb.data or kb.root is None:
        raise click.UsageError(f"{kb.name} has no traceability data file (data.traceability in its manifest)")
    matrix = read_traceability(kb.data["traceability"], kb.root)
    if output_format == "json":
        emit_json(coverage_json(matrix))
    else:
        emit(coverage_lines(matrix))


@kb.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("docs"),
    show_default=True,
    help="Where to write the pages (run it from the repository root).",
)
@output_options()
def docs(output_dir: Path, kb_path: Path | None, output_format: str) -> None:
    """Regenerate the documentation pages: rules, coverage, schemas and the CLI reference.

    Example:

    \b
        backspasm kb docs
        backspasm kb docs --output-dir /tmp/docs
    """
    from .reasoner.kbtools.docs import write_pages
    from .reasoner.render.listing import relative

    advisor = load_advisor(kb_path)
    written = write_pages(advisor, output_dir)
    reference = output_dir / "cli-reference.md"
    reference.write_text(cli_reference(), encoding="utf-8")
    written.append(reference)
    for relative_path, schema in extra_schemas().items():
        path = output_dir / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    if output_format == "json":
        emit_json([relative(str(path)) for path in written])
    else:
        for path in written:
            click.echo(f"wrote {relative(str(path))}")


@kb.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--examples",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Directory of example records (default: the shipped example patients).",
)
@click.option("--generated/--no-generated", default=True, show_default=True, help="Also check a boundary cohort.")
@click.option(
    "--full", is_flag=True, help="Combine every code with every grid patient, not one per distinct answer (slower)."
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    callback=lambda _context, _parameter, value: value or os.cpu_count() or 1,
    help="Worker processes; 0 for one per core.",
)
@output_options()
def verify(
    examples: Path | None, generated: bool, full: bool, workers: int, kb_path: Path | None, output_format: str
) -> None:
    """Check the integrity constraints (violation/1) over the examples and a generated boundary cohort.

    The boundary cohort puts every number of the record at its limits and on both sides
    of every threshold the rules compare it with, then adds each class of codes to one
    patient per distinct answer (every patient with --full; see reasoner/kbtools/verify.py).
    Exit code 1 when any answer breaks an invariant; 143 or 130 when stopped by SIGTERM or
    SIGINT (the workers are ended).

    Example:

    \b
        backspasm kb verify
        backspasm kb verify --no-generated --format json
    """
    from itertools import chain

    from .reasoner.advisor.batch import Audit, run
    from .reasoner.advisor.inputs import Entry, read_directory
    from .reasoner.kbtools.verify import boundary_records
    from .reasoner.render.cohort import verify_lines

    kb = kb_path or BUNDLED_KB
    advisor = load_advisor(kb)
    example_dir = examples or EXAMPLES
    sources: list[Iterable[Entry]] = []
    if example_dir.is_dir():
        sources.append(read_directory(example_dir))
    if generated:
        cohort = boundary_records(advisor, "full" if full else "default")
        sources.append(
            Entry(index, f"generated:{record['id']}", None, record) for index, record in enumerate(cohort, start=1)
        )
    summary = Audit()
    outcomes = run(chain(*sources), advisor, kb_path=kb, workers=workers, answers=False)
    try:
        with stop_on_signals():
            for outcome in outcomes:
                summary.add(outcome)
    except Interrupted as interruption:
        outcomes.close()  # ends the worker processes
        click.echo(f"Error: interrupted by {interruption.name} after {summary.patients} patients", err=True)
        exit_at_once(interruption.exit_code)
    if output_format == "json":
        result = summary.to_json()
        emit_json({"patients": result["patients"], "errors": result["errors"], "violations": result["violations"]})
    else:
        for line in verify_lines(summary):
            click.echo(line.text)
    if summary.violations or summary.errors:
        sys.exit(1)


# -- serve ----------------------------------------------------------------------------


@main.command(context_settings=CONTEXT_SETTINGS)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; loopback by default.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option(
    "--public-url",
    help="The base URL EHRs call the service at; card links and the JWT audience use it. [default: http://HOST:PORT]",
)
@click.option(
    "--issuer",
    "issuers",
    multiple=True,
    metavar="ISS=JWKS_URL",
    help="A trusted EHR: its JWT issuer and the URL of its JSON Web Key Set (repeatable).",
)
@click.option(
    "--no-auth", is_flag=True, help="Development only: accept calls without a JWT (e.g. from a local sandbox)."
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes serving calls."
)
@click.option(
    "--cors-origin", "cors_origins", multiple=True, help="A browser origin allowed to call the service (repeatable)."
)
@click.option(
    "--fhir-server",
    "fhir_servers",
    multiple=True,
    help="A FHIR server the service may query for a missing prefetch, with the call's token (repeatable).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="How much the server logs.",
)
@output_options()
def serve(
    host: str,
    port: int,
    public_url: str | None,
    issuers: tuple[str, ...],
    no_auth: bool,
    workers: int,
    cors_origins: tuple[str, ...],
    fhir_servers: tuple[str, ...],
    log_level: str,
    kb_path: Path | None,
    output_format: str,
) -> None:
    """Run the CDS Hooks service (patient-view and order-sign) over HTTP until interrupted.

    Calls must carry a JWT of an EHR named with --issuer (CDS Hooks 2.0: signature checked
    with the issuer's JWKS, aud = the URL called, exp, jti used once); --no-auth is for
    development only. Discovery is at GET /cds-services and GET /health answers when the
    service is up; each card links to GET /why/{token} for the full explanation. Patients
    arrive as FHIR R4 in the request's prefetch (see docs/cds-hooks.md). Before serving it
    prints where it listens: a sentence, or with --format json one JSON line {"url",
    "discovery", "knowledge_base"} for a supervisor to read. Each request is logged as one
    JSON line on stderr, without bodies. Needs the cds extra: pip install 'backspasm[cds]'.

    Example:

    \b
        curl -s http://127.0.0.1:8080/cds-services   # once it runs
        backspasm serve --port 8080 --no-auth   # development, against a local sandbox
        backspasm serve --workers 2 --public-url https://cds.example.org --issuer https://ehr.example.org=https://ehr.example.org/jwks.json
    """
    trusted: dict[str, str] = {}
    for issuer in issuers:
        name, equals, jwks = issuer.rpartition("=")
        if not equals or not name or not jwks.startswith(("https://", "http://")):
            raise click.BadParameter(f"{issuer!r} is not ISS=JWKS_URL", param_hint="--issuer")
        trusted[name] = jwks
    if not trusted and not no_auth:
        raise click.UsageError(
            "name the EHRs that may call with --issuer ISS=JWKS_URL, or pass --no-auth for development"
        )
    if trusted and no_auth:
        raise click.UsageError("--no-auth and --issuer contradict each other")
    advisor = load_advisor(kb_path)
    try:
        from .reasoner.cds import ServiceSettings
        from .reasoner.cds import serve as run_service
    except ImportError as error:
        raise click.ClickException(
            f"the CDS Hooks service needs the cds extra ({error.name} is missing): pip install 'backspasm[cds]'"
        ) from None
    url = f"http://{host}:{port}"
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"warning: listening on {host}, reachable from other machines"
            + ("; without authentication anyone there can read patients' advice" if no_auth else "")
            + (f"; card links use {public_url}" if public_url else f"; card links use {url}: set --public-url"),
            err=True,
        )
    if no_auth:
        click.echo("warning: --no-auth: calls are not authenticated; for development only", err=True)
    if output_format == "json":
        click.echo(
            json.dumps(
                {"url": url, "discovery": f"{url}/cds-services", "knowledge_base": advisor.identity}, sort_keys=True
            )
        )
    else:
        click.echo(f"CDS Hooks service for {advisor.kb.name} {advisor.kb.version} at {url}/cds-services")
    sys.stdout.flush()
    settings = ServiceSettings(
        public_url=public_url or url,
        kb_path=str(kb_path or BUNDLED_KB),
        issuers=trusted,
        allow_unauthenticated=no_auth,
        cors_origins=cors_origins,
        fhir_servers=fhir_servers,
        log_level=log_level,
    )
    run_service(settings, host, port, workers=workers)


def all_commands() -> Iterator[tuple[list[str], click.Command]]:
    """Every command, group and subcommand, with its path of names, in help order."""

    def walk(path: list[str], command: click.Command) -> Iterator[tuple[list[str], click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk([*path, name], sub)

    yield from walk(["backspasm"], main)


def help_text(path: list[str]) -> str:
    """The --help output of a command, at a fixed width so the reference is the same everywhere."""
    context: click.Context | None = None
    command: click.Command = main
    for depth, name in enumerate(path):
        if depth:
            assert isinstance(command, click.Group)
            command = command.commands[name]
        context = command.make_context(
            name, [], parent=context, resilient_parsing=True, terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH
        )
    assert context is not None
    return context.get_help()


def cli_reference() -> str:
    """docs/cli-reference.md: every command's --help, generated, never written by hand."""
    parts = [
        "# Command-line reference",
        "",
        "Generated from `--help` by `backspasm kb docs`; do not edit by hand.",
        "",
    ]
    for path, _command in all_commands():
        parts += [f"## {' '.join(path)}", "", "```", help_text(path), "```", ""]
    return "\n".join(parts)


def extra_schemas() -> dict[str, Any]:
    """Schemas of the CDS Hooks service's responses; the library's own are among the generated pages."""
    from .reasoner.cds.schemas import CDS_SCHEMAS

    return CDS_SCHEMAS


if __name__ == "__main__":
    main(prog_name="backspasm")
