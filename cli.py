"""The ``backspasm`` command line: click commands over :mod:`reasoner`'s API, nothing more.

Each command turns its arguments into calls of the library and renders what comes back.
Errors are the library's own exception types; this module alone turns them into exit
codes: 0 answered, 1 an invalid record, query or knowledge base, 2 a usage error.
Heavy modules (the parser, rich, the tracer) are imported only by the commands that
need them, so answering one patient starts fast.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from reasoner.errors import Problem, ReasonerError

if TYPE_CHECKING:
    from reasoner.answer import Answer
    from reasoner.api import Advisor
    from reasoner.kb import KnowledgeBase
    from reasoner.program import Atom
    from reasoner.records import Record

ROOT = Path(__file__).resolve().parent
BUNDLED_KB = ROOT / "kb"
EXAMPLES = ROOT / "examples" / "patients"
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


def output_options(*extra: str) -> Callable[[F], F]:
    """The options every command shares: ``--kb`` and ``--format``."""

    def decorate(function: F) -> F:
        return kb_option(format_option(*extra)(function))

    return decorate


# -- output -----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of text output: its depth in the tree, its text and a rich style for terminals."""

    depth: int
    text: str
    style: str = ""


def on_terminal(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def emit(lines: Iterable[Line]) -> None:
    """Plain indented text when piped; a coloured tree (rich) on a terminal."""
    if not on_terminal():
        for line in lines:
            click.echo("  " * line.depth + line.text)
        return
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    console = Console(force_terminal=None, highlight=False)
    stack: list[Tree] = []
    for line in lines:
        text = Text(line.text, style=line.style)
        if line.depth == 0 or not stack:
            if stack:
                console.print(stack[0])
            stack = [Tree(text, guide_style="dim")]
            continue
        del stack[line.depth :]
        stack.append(stack[-1].add(text))
    if stack:
        console.print(stack[0])


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def relative(path: str) -> str:
    """A path relative to the working directory when it lies beneath it, for shorter output."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else path
    except (OSError, ValueError):
        return path


def problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "file": relative(problem.position.file),
        "line": problem.position.line,
        "column": problem.position.column,
        "severity": problem.severity,
        "check": problem.check,
        "message": problem.message,
    }


def problem_text(problem: Problem) -> str:
    position = problem.position
    where = f"{relative(position.file)}:{position.line}:{position.column}"
    return f"{where}: {problem.severity}: {problem.message} [{problem.check}]"


# -- loading ------------------------------------------------------------------------


def load_advisor(kb_path: Path | None) -> Advisor:
    from reasoner.kbcache import load_advisor_cached

    return load_advisor_cached(kb_path or BUNDLED_KB)


def load_knowledge_base(kb_path: Path | None) -> KnowledgeBase:
    from reasoner.kbcache import load_kb_cached

    return load_kb_cached(kb_path or BUNDLED_KB)


def read_patient_data(patient: str) -> tuple[Any, str]:
    """The parsed value of a JSON/YAML file, or of standard input for ``-``, and its source name."""
    from reasoner.inputs import parse_record_text, read_record_file

    if patient == "-":
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
        fhir = importlib.import_module("reasoner.fhir")
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
    """A group whose commands report the library's errors as messages and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReasonerError as error:
            for line in str(error).splitlines() or [type(error).__name__]:
                click.echo(f"Error: {line}", err=True)
            ctx.exit(1)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


def print_version(ctx: click.Context, _parameter: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("backspasm")
    except PackageNotFoundError:
        import tomllib

        package = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    kb = load_knowledge_base(None)
    click.echo(f"backspasm {package}, knowledge base {kb.name} {kb.version}")
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
    query or knowledge base is invalid (the message names the field or file:line:col),
    2 a usage error.

    Example:

    \b
        backspasm recommend examples/patients/acute.json
        backspasm recommend --age 45 --symptom-days 10 --medication ssri
        backspasm why examples/patients/acute.json muscle_relaxant_short_course
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


def evidence_of(kb: KnowledgeBase, evidence_ids: Iterable[str]) -> str:
    """``ref1 (moderate), beers2023 (moderate; strong against)``: each evidence id with its quality
    from the registry and, where the source states one, the strength of its recommendation."""
    parts = []
    for evidence_id in evidence_ids:
        entry = kb.evidence.get(evidence_id)
        if entry is None:
            parts.append(evidence_id)
        elif entry.strength:
            parts.append(f"{evidence_id} ({entry.quality}; {entry.strength} {entry.direction or ''}".rstrip() + ")")
        else:
            parts.append(f"{evidence_id} ({entry.quality})")
    return ", ".join(parts)


def answer_lines(answer: Answer, advisor: Advisor) -> Iterator[Line]:
    kb = answer.knowledge_base
    yield Line(0, f"Answer for {answer.subject} ({kb['name']} {kb['version']})", "bold")
    styles = {"refer": "bold red", "warn": "yellow", "recommend": "green", "consider": "cyan", "avoid": "magenta"}
    for kind in advisor.answer_spec.kinds:
        items = [item for item in answer.items if item.kind == kind]
        if not items:
            continue
        yield Line(1, kind.upper(), styles.get(kind, "bold"))
        for item in items:
            yield Line(2, f"{item.label} [{item.code}]", "bold")
            if item.statements:
                yield Line(3, item.statements[0], "italic")
            for name, value in item.parameters.items():
                shown = ", ".join(str(part) for part in value) if isinstance(value, tuple) else str(value)
                yield Line(3, f"{name}: {shown}")
            yield Line(3, "evidence: " + evidence_of(advisor.kb, [ref.evidence_id for ref in item.evidence]), "dim")
            if item.conflicting_evidence:
                conflicting = [ref.evidence_id for ref in item.conflicting_evidence]
                yield Line(3, "conflicting evidence: " + evidence_of(advisor.kb, conflicting), "red")


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
@output_options()
@click.pass_context
def recommend(
    ctx: click.Context, /, patient: str | None, kb_path: Path | None, output_format: str, **options: Any
) -> None:
    """Advise on one patient: items grouped by kind (red flags first), with parameters and evidence.

    PATIENT is a JSON or YAML record file, a FHIR R4 Bundle (Patient, Condition,
    MedicationStatement/Request, Observation, AllergyIntolerance; codes it cannot map
    are listed as not understood), or - to read either from standard input. Instead
    of a file, give the record as options for a quick question (codes are the record's
    codes: see docs/schemas/patient.schema.json).

    Example:

    \b
        backspasm recommend examples/patients/acute.json
        backspasm recommend --age 45 --symptom-days 10 --medication ssri
        backspasm recommend --age 70 --symptom-days 3 --condition hepatic_impairment:mild --format json
        cat patient.json | backspasm recommend -
        backspasm recommend examples/fhir/acute.json --today 2026-11-26
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
                emit_json(result.to_json())
            else:
                emit([*answer_lines(result.answer, advisor), *bundle_reading_lines(result.reading)])
            return
        record = advisor.read_record(data, source)
    else:
        record = advisor.read_record(quick_record(advisor, options), "command line")
    answer = advisor.recommend(record)
    if output_format == "json":
        emit_json(answer.to_json())
    else:
        emit(answer_lines(answer, advisor))


def bundle_reading_lines(reading: Any) -> Iterator[Line]:
    """What the Bundle held that the answer could not use, and the defaults it assumed."""
    if reading.not_understood:
        yield Line(1, "NOT UNDERSTOOD (not used by this answer)", "bold red")
        for item in reading.not_understood:
            yield Line(2, " ".join(f"{key}: {value}" for key, value in item.to_json().items() if value))
    if reading.assumptions:
        yield Line(1, "ASSUMED", "bold")
        for assumption in reading.assumptions:
            yield Line(2, str(assumption))


# -- why, why-not --------------------------------------------------------------------


def check_code(advisor: Advisor, code: str) -> None:
    if code not in advisor.answer_spec.codes:
        allowed = ", ".join(advisor.answer_spec.codes)
        raise click.BadParameter(f"{code!r} is not an answer code; allowed: {allowed}", param_hint="'CODE'")


def kind_option(function: F) -> F:
    return click.option(
        "--kind", help="The item's kind (refer, warn, recommend, consider, avoid); default: see above."
    )(function)


def item_atom(advisor: Advisor, code: str, kind: str) -> Atom:
    """The ground atom ``item(CODE, KIND)`` of the answer's item predicate."""
    from reasoner.program import Atom, Constant

    return Atom(advisor.answer_spec.items, (Constant(code), Constant(kind)))


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
@output_options("dot", "mermaid", "sentence")
def why(
    patient: str,
    code: str,
    kind: str | None,
    all_proofs: bool,
    limit: int,
    kb_path: Path | None,
    output_format: str,
) -> None:
    """Why the answer for PATIENT holds CODE: the proof tree, with each rule's statement and evidence.

    The item explained is the one the answer holds for CODE (or --kind KIND). dot and
    mermaid draw the proof as a graph; sentence gives it in one sentence.

    Example:

    \b
        backspasm why examples/patients/acute.json muscle_relaxant_short_course
        backspasm why examples/patients/acute.json tens --format dot | dot -Tsvg > tens.svg
    """
    from reasoner import explain, render

    advisor = load_advisor(kb_path)
    check_code(advisor, code)
    check_kind(advisor, kind)
    record = read_patient(advisor, patient)
    with advisor.session(record) as session:
        held = [str(row[1]) for row in session.query(advisor.answer_spec.items, code, None)]
        chosen = kind or (held[0] if held else None)
        proofs = (
            explain.why(session, item_atom(advisor, code, chosen), all_proofs=all_proofs, limit=limit) if chosen else []
        )
        if not proofs:
            message = f"{code} is not in the answer for {record.identifier}" + (f" as {kind}" if kind else "")
            if output_format == "json":
                emit_json(
                    {"fact": f"{advisor.answer_spec.items}({code}, {chosen or '_'})", "holds": False, "proofs": []}
                )
            else:
                click.echo(f"{message}; ask `backspasm why-not {patient} {code}` for the reason.")
            return
        evidence = advisor.kb.evidence
        if output_format == "json":
            emit_json(
                {
                    "fact": str(proofs[0].fact),
                    "holds": True,
                    "proofs": [render.render_json(p, evidence) for p in proofs],
                }
            )
            return
        for number, proof in enumerate(proofs):
            if number:
                click.echo("")
            if output_format == "dot":
                click.echo(render.render_dot(proof), nl=False)
            elif output_format == "mermaid":
                click.echo(render.render_mermaid(proof), nl=False)
            elif output_format == "sentence":
                click.echo(render.render_sentence(proof))
            else:
                click.echo(render.render_text(proof, evidence), nl=False)


@main.command("why-not", context_settings=CONTEXT_SETTINGS)
@patient_argument
@click.argument("code")
@kind_option
@output_options("dot", "mermaid", "sentence")
def why_not(patient: str, code: str, kind: str | None, kb_path: Path | None, output_format: str) -> None:
    """Why the answer for PATIENT does not offer CODE: for each rule, the first condition that fails.

    Without --kind every kind some rule could offer it with is explained (every kind
    but avoid): for muscle_relaxant_short_course, why it is not considered. When no
    rule offers CODE at all (tens), the answer says what the knowledge base holds instead.

    Example:

    \b
        backspasm why-not examples/patients/elderly.json muscle_relaxant_short_course
        backspasm why-not examples/patients/acute.json tens --kind recommend --format json
        backspasm why-not examples/patients/elderly.json muscle_relaxant_short_course --format mermaid
    """
    from reasoner import explain, render
    from reasoner.program import Constant

    advisor = load_advisor(kb_path)
    check_code(advisor, code)
    check_kind(advisor, kind)
    record = read_patient(advisor, patient)
    kinds = [kind] if kind else [name for name in advisor.answer_spec.kinds if name != "avoid"]
    with advisor.session(record) as session:
        every = [explain.why_not(session, item_atom(advisor, code, name)) for name in kinds]
    # Kinds no rule could give at all are noise beside the ones a rule could give; when no
    # rule offers the code at all (tens), one of them says what the knowledge base holds instead.
    explanations = [explanation for explanation in every if explanation.kind != "no-rule"]
    if not explanations:
        explanations = [next((e for e in every if e.fact.arguments[1] == Constant("recommend")), every[0])]
    evidence = advisor.kb.evidence
    if output_format == "json":
        emit_json({"code": code, "explanations": [render.render_json(e, evidence) for e in explanations]})
        return
    for number, explanation in enumerate(explanations):
        if number:
            click.echo("")
        if output_format == "dot":
            click.echo(render.render_dot(explanation), nl=False)
        elif output_format == "mermaid":
            click.echo(render.render_mermaid(explanation), nl=False)
        elif output_format == "sentence":
            click.echo(render.render_sentence(explanation))
        else:
            click.echo(render.render_text(explanation, evidence), nl=False)


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
@click.option("--chunk-size", type=click.IntRange(1), default=64, show_default=True, help="Patients per unit of work.")
@output_options()
def batch(
    cohort: Path,
    output: Path | None,
    workers: int,
    audit: bool,
    chunk_size: int,
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
    record was invalid or any invariant was violated.

    Example:

    \b
        backspasm batch cohort.jsonl --output answers.jsonl --workers 0 --audit
        cat cohort.jsonl | backspasm batch - > answers.jsonl
    """
    from reasoner.batch import Audit, run
    from reasoner.inputs import read_cohort

    kb = kb_path or BUNDLED_KB
    advisor = load_advisor(kb)
    entries = read_cohort(cohort, sys.stdin)
    outcomes = run(entries, advisor, kb_path=kb, workers=workers, audit=audit, chunk_size=chunk_size)
    summary = Audit()
    stream = click.open_file(str(output), "w", encoding="utf-8") if output else sys.stdout
    progress = None
    if on_terminal(sys.stderr) and (output is not None or not on_terminal()):
        from rich.console import Console
        from rich.progress import Progress

        progress = Progress(console=Console(stderr=True), transient=True)
        progress.start()
        task = progress.add_task("patients", total=_count_lines(cohort))
    try:
        for outcome in outcomes:
            summary.add(outcome)
            stream.write(json.dumps(outcome.to_json(), sort_keys=True, separators=(",", ":")) + "\n")
            if outcome.error is not None:
                problems = "; ".join(
                    f"{problem['field']}: {problem['message']}" if problem["field"] else problem["message"]
                    for problem in outcome.error["problems"]
                )
                message = f"Error: {outcome.error['source']}: {problems}"
                if progress is not None:
                    progress.console.print(message, markup=False, highlight=False, soft_wrap=True)
                else:
                    click.echo(message, err=True)
            if progress is not None:
                progress.advance(task)
    finally:
        if progress is not None:
            progress.stop()
        if output:
            stream.close()
        else:
            stream.flush()
    if audit:
        to_stderr = output is None
        if output_format == "json":
            click.echo(json.dumps(summary.to_json(), indent=2, sort_keys=True), err=to_stderr)
        else:
            for line in audit_lines(summary):
                click.echo("  " * line.depth + line.text, err=to_stderr)
    if summary.errors or summary.violations:
        sys.exit(1)


def _count_lines(path: Path) -> int | None:
    if str(path) == "-" or path.is_dir():
        return None
    with path.open("rb") as file:
        return sum(1 for line in file if line.strip())


def audit_lines(summary: Any) -> Iterator[Line]:
    yield Line(0, f"{summary.patients} patients answered, {summary.errors} invalid records")
    yield Line(0, "codes (patients):")
    for (code, kind), count in sorted(summary.codes.items()):
        yield Line(1, f"{code} {kind}: {count}")
    if not summary.violations:
        yield Line(0, "invariants: none violated")
        return
    yield Line(0, "invariants violated:")
    for name, count in sorted(summary.violations.items()):
        yield Line(1, f"{name}: {count} patients, e.g. {', '.join(summary.examples[name])}")


# -- query -------------------------------------------------------------------------------


@main.command(context_settings=CONTEXT_SETTINGS)
@click.argument("query")
@click.option(
    "--facts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Input facts: a JSON/YAML patient record for a guideline, or Datalog facts (edge(a, b).) for a program.",
)
@output_options()
def query(query: str, facts: Path | None, kb_path: Path | None, output_format: str) -> None:
    """Evaluate a Datalog QUERY against a knowledge base and print the matching tuples.

    The query is a conjunction such as 'item(C, K), K != avoid'; each solution gives a
    value to every named variable (a table in text, a list of objects in json). A query
    without variables prints yes or no ([{}] or [] in json).

    Example:

    \b
        backspasm query --facts examples/patients/acute.json 'item(Code, consider)'
        backspasm query --kb graph.dl --facts edges.facts 'reach(a, X)' --format json
    """
    kb = load_knowledge_base(kb_path)
    input_facts: list[Any] = []
    if facts is not None:
        from reasoner.inputs import read_facts_file, read_record_file

        if facts.suffix in (".json", ".yaml", ".yml") and "record" in kb.data:
            from reasoner.api import advisor_for

            advisor = advisor_for(kb, kb_path or BUNDLED_KB)
            input_facts = list(advisor.read_record(read_record_file(facts), str(facts)).facts)
        else:
            input_facts = read_facts_file(facts)
    with kb.session(input_facts) as session:
        rows = session.ask(query)
    if output_format == "json":
        emit_json(rows)
        return
    names = list(rows[0]) if rows else []
    if not names:
        click.echo("yes" if rows else "no")
        return
    cells = [[str(row[name]) for name in names] for row in rows]
    widths = [max(len(name), *(len(line[index]) for line in cells)) for index, name in enumerate(names)]
    click.echo("  ".join(name.ljust(width) for name, width in zip(names, widths, strict=True)).rstrip())
    for line in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


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
        backspasm kb lint my-rules.dl --format json
    """
    from reasoner.errors import KnowledgeBaseError
    from reasoner.lint import lint as lint_kb

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
        warnings = len(problems) - errors
        click.echo(
            f"{relative(str(target))}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        )
    if errors:
        sys.exit(1)


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
    from reasoner.program import Constant

    kb = load_knowledge_base(kb_path)
    selected = [
        rule
        for rule in kb.program.rules
        if code is None or any(isinstance(term, Constant) and term.value == code for term in rule.head.arguments)
    ]
    if output_format == "json":
        emit_json(
            [
                {
                    "id": rule.rule_id,
                    "statement": rule.metadata.statement,
                    "datalog": str(rule),
                    "evidence": list(rule.metadata.evidence),
                    "position": f"{relative(rule.position.file)}:{rule.position.line}:{rule.position.column}",
                }
                for rule in selected
            ]
        )
        return
    lines: list[Line] = []
    for rule in selected:
        lines.append(Line(0, rule.rule_id or "(fact)", "bold"))
        if rule.metadata.statement:
            lines.append(Line(1, rule.metadata.statement, "italic"))
        lines.append(Line(1, str(rule), "cyan"))
        if rule.metadata.evidence:
            lines.append(Line(1, "evidence: " + evidence_of(kb, rule.metadata.evidence), "dim"))
    emit(lines)


@kb.command(context_settings=CONTEXT_SETTINGS)
@output_options()
def evidence(kb_path: Path | None, output_format: str) -> None:
    """List the evidence registry: each reference's quality, origin, source and what it backs.

    Example:

    \b
        backspasm kb evidence
        backspasm kb evidence --format json
    """
    kb = load_knowledge_base(kb_path)
    if output_format == "json":
        emit_json(
            [
                {
                    "id": entry.evidence_id,
                    "quality": entry.quality,
                    "grade": entry.grade,
                    "origin": entry.origin,
                    "source": entry.source,
                    "backs": entry.backs,
                    "direction": entry.direction,
                    "strength": entry.strength,
                    "link": entry.link,
                }
                for entry in kb.evidence.values()
            ]
        )
        return
    lines: list[Line] = []
    for entry in kb.evidence.values():
        lines.append(Line(0, f"{entry.evidence_id} ({entry.grade})", "bold"))
        lines.append(Line(1, f"{entry.origin}: {entry.source}"))
        lines.append(Line(1, f"backs: {entry.backs}", "dim"))
    emit(lines)


@kb.command(context_settings=CONTEXT_SETTINGS)
@output_options()
def coverage(kb_path: Path | None, output_format: str) -> None:
    """The traceability matrix: each guideline line beside the rules that encode it.

    Example:

    \b
        backspasm kb coverage
        backspasm kb coverage --format json
    """
    from reasoner.traceability import read_traceability

    kb = load_knowledge_base(kb_path)
    if "traceability" not in kb.data or kb.root is None:
        raise click.UsageError(f"{kb.name} has no traceability data file (data.traceability in its manifest)")
    matrix = read_traceability(kb.data["traceability"], kb.root)
    if output_format == "json":
        emit_json(
            [
                {
                    "line": number,
                    "text": statement.text,
                    "heading": statement.heading,
                    "rules": list(statement.rules),
                    "not_actionable": statement.not_actionable,
                }
                for number, statement in enumerate(matrix.statements, start=1)
            ]
        )
        return
    lines: list[Line] = []
    for number, statement in enumerate(matrix.statements, start=1):
        lines.append(Line(0, f"{number}. {statement.text}", "bold" if statement.heading else ""))
        if statement.rules:
            lines.append(Line(1, "encoded by: " + ", ".join(statement.rules), "green"))
        else:
            lines.append(Line(1, f"not actionable: {statement.not_actionable}", "dim"))
    emit(lines)


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
    from reasoner.kbdocs import write_pages

    advisor = load_advisor(kb_path)
    written = write_pages(advisor, output_dir)
    reference = output_dir / "cli-reference.md"
    reference.write_text(cli_reference(), encoding="utf-8")
    written.append(reference)
    for relative_path, schema in extra_schemas().items():
        path = output_dir / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
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
    help="Directory of example records (default: examples/patients beside cli.py).",
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
    patient per distinct answer (every patient with --full; see reasoner/verify.py).
    Exit code 1 when any answer breaks an invariant.

    Example:

    \b
        backspasm kb verify
        backspasm kb verify --no-generated --format json
    """
    from itertools import chain

    from reasoner.batch import Audit, run
    from reasoner.inputs import Entry, read_directory
    from reasoner.verify import boundary_records

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
    for outcome in run(chain(*sources), advisor, kb_path=kb, workers=workers, answers=False):
        summary.add(outcome)
    if output_format == "json":
        result = summary.to_json()
        emit_json({"patients": result["patients"], "errors": result["errors"], "violations": result["violations"]})
    else:
        click.echo(f"{summary.patients} patients checked ({summary.errors} invalid records)")
        if not summary.violations:
            click.echo("no invariant violated")
        for name, count in sorted(summary.violations.items()):
            click.echo(f"violated {name}: {count} patients, e.g. {', '.join(summary.examples[name])}")
    if summary.violations or summary.errors:
        sys.exit(1)


# -- documentation ------------------------------------------------------------------------


# -- serve ----------------------------------------------------------------------------


@main.command(context_settings=CONTEXT_SETTINGS)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; loopback by default.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option(
    "--cors-origin", "cors_origins", multiple=True, help="A browser origin allowed to call the service (repeatable)."
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
    host: str, port: int, cors_origins: tuple[str, ...], log_level: str, kb_path: Path | None, output_format: str
) -> None:
    """Run the CDS Hooks service (patient-view and order-sign) over HTTP until interrupted.

    Discovery is at GET /cds-services; each card links to GET /why/{card} for the full
    explanation. Patients arrive as FHIR R4 in the request's prefetch (see
    docs/cds-hooks.md). Before serving it prints where it listens: a sentence, or with
    --format json one JSON line {"url", "discovery", "knowledge_base"} for a supervisor to
    read. Needs the cds extra: pip install 'backspasm[cds]'.

    Example:

    \b
        curl -s http://127.0.0.1:8080/cds-services
        backspasm serve --port 8080
    """
    advisor = load_advisor(kb_path)
    try:
        from reasoner.cds import serve as run_service
    except ImportError as error:
        raise click.ClickException(
            f"the CDS Hooks service needs the cds extra ({error.name} is missing): pip install 'backspasm[cds]'"
        ) from None
    url = f"http://{host}:{port}"
    if output_format == "json":
        click.echo(
            json.dumps(
                {"url": url, "discovery": f"{url}/cds-services", "knowledge_base": advisor.identity}, sort_keys=True
            )
        )
    else:
        click.echo(f"CDS Hooks service for {advisor.kb.name} {advisor.kb.version} at {url}/cds-services")
    sys.stdout.flush()
    run_service(advisor, host, port, log_level=log_level, cors_origins=cors_origins)


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
    """Schemas of the JSON the CLI prints besides answers and explanations."""
    from reasoner.schemas import CLI_SCHEMAS

    return CLI_SCHEMAS


if __name__ == "__main__":
    main(prog_name="backspasm")
