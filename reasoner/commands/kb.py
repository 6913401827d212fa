"""``backspasm kb ...``: inspect, check and document a knowledge base."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from .group import Commands
from .options import (
    BUNDLED_KB,
    CONTEXT_SETTINGS,
    EXAMPLES,
    emit,
    emit_json,
    format_option,
    kb_option,
    load_advisor,
    load_knowledge_base,
    output_options,
    workers_option,
)
from .reference import cli_reference


@click.group(cls=Commands, context_settings=CONTEXT_SETTINGS)
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
    from ..errors import KnowledgeBaseError
    from ..kbtools.lint import lint as lint_kb
    from ..render.listing import lint_summary, problem_json, problem_text

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
    from ..advisor.diff import diff_cohort
    from ..advisor.inputs import read_cohort
    from ..render.cohort import diff_lines

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
    from ..language.program import Constant

    kb = load_knowledge_base(kb_path)
    selected = [
        rule
        for rule in kb.program.rules
        if code is None or any(isinstance(term, Constant) and term.value == code for term in rule.head.arguments)
    ]
    from ..render.listing import rules_json, rules_lines

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
    from ..render.listing import evidence_json, evidence_lines

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
    from ..language.to_sql import compile_program

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
    from ..knowledge.traceability import read_traceability
    from ..render.listing import coverage_json, coverage_lines

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
    from ..cds.schemas import CDS_SCHEMAS
    from ..kbtools.docs import write_pages
    from ..render.listing import relative

    advisor = load_advisor(kb_path)
    written = write_pages(advisor, output_dir)
    reference = output_dir / "cli-reference.md"
    reference.write_text(cli_reference(click.get_current_context().find_root().command), encoding="utf-8")
    written.append(reference)
    for relative_path, schema in CDS_SCHEMAS.items():
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
@workers_option("Worker processes; 0 for one per core.")
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

    from ..advisor.batch import Audit, run
    from ..advisor.inputs import Entry, read_directory
    from ..advisor.signals import Interrupted, exit_at_once, stop_on_signals
    from ..kbtools.verify import boundary_records
    from ..render.cohort import verify_lines

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
