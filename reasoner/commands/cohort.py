"""``backspasm batch``: a cohort answered, one JSON answer a line, in input order."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .group import EXIT_INVALID
from .options import BUNDLED_KB, CONTEXT_SETTINGS, load_advisor, output_options, workers_option

if TYPE_CHECKING:
    from ..advisor.batch import Outcome
    from ..advisor.cohort_lines import LineSlice
    from ..advisor.outputs import JsonLinesAnswers, ParquetAnswers


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("cohort", type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Write answers here."
)
@workers_option("Worker processes, each loading the knowledge base once; 0 for one per core.")
@click.option("--audit", is_flag=True, help="Also report how many patients get each code, and broken invariants.")
@click.option(
    "--chunk-size",
    type=click.IntRange(1),
    default=None,
    help="Patients per unit of work [default: 20000 on duckdb (40000 with --answers compact), 64 on pydatalog].",
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
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="For a FHIR Bulk Data export: the date it is read at (ages and symptom days count to it); default today.",
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
    today: Any,
    kb_path: Path | None,
    output_format: str,
) -> None:
    """Answer a cohort: JSON Lines, Parquet, a directory of record files or a FHIR Bulk Data export in,
    one JSON answer a line out.

    COHORT is a .jsonl or .parquet file, - for standard input, a directory of .json/.yaml
    records, or a FHIR Bulk Data export: a directory holding a manifest.json or any
    *.ndjson file (Patient.ndjson, Condition.002.ndjson, …), or its manifest.json. A
    directory with neither is read as record files. An export's resources are grouped
    by patient (subject or patient: Patient/id) and each patient is read through the KB's
    FHIR mapping as its Bundle would be, in the order of the Patient files; each answer
    also lists what was not understood (docs/fhir.md). A malformed line, or a resource
    of a patient not in the Patient files, is an error line naming its file:line.
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
        backspasm batch "$(backspasm example bulk --fhir --path)" --today 2026-11-26
        cat cohort.jsonl | backspasm batch - > answers.jsonl
    """
    from ..advisor.audit_sql import ChunkAudit
    from ..advisor.batch import DEFAULT_CHUNK_SIZE, Audit, run
    from ..advisor.cohort import DEFAULT_SPARK_CHUNK_SIZE, DEFAULT_SQL_CHUNK_SIZE, DEFAULT_SQL_COMPACT_CHUNK_SIZE
    from ..advisor.cohort_lines import LineSlice, line_slices
    from ..advisor.compact import advisor_header
    from ..advisor.inputs import read_cohort
    from ..advisor.signals import Interrupted, exit_at_once, stop_on_signals
    from ..fhir.bulk import bulk_cohort, find_export
    from ..render.cohort import audit_text, record_error_text
    from ..render.progress import CohortProgress

    if engine != "spark" and (master is not None or spark_staging is not None):
        raise click.UsageError("--master and --spark-staging go with --engine spark")
    if engine == "spark":
        require_spark()
    kb = kb_path or BUNDLED_KB
    advisor = load_advisor(kb)
    stream = open_answers(output, advisor_header(advisor) if answer_form == "compact" else None)
    export = None if str(cohort) == "-" else find_export(cohort)
    bulk = bulk_cohort(export, advisor, today=today and today.date(), parse=engine != "duckdb") if export else None
    entries = bulk.entries() if bulk else read_cohort(cohort, sys.stdin, parse=engine != "duckdb")
    if chunk_size is None:
        sql_chunk = DEFAULT_SQL_COMPACT_CHUNK_SIZE if answer_form == "compact" else DEFAULT_SQL_CHUNK_SIZE
        defaults = {"duckdb": sql_chunk, "spark": DEFAULT_SPARK_CHUNK_SIZE}
        chunk_size = defaults.get(engine, DEFAULT_CHUNK_SIZE)
    summary = Audit()
    progress = CohortProgress.for_cohort(export.root if export else cohort, answers_to_file=output is not None)
    written = 0
    work: Iterator[Outcome | LineSlice]
    if engine == "duckdb" and not bulk:
        # The fast path: DuckDB writes the lines and counts the audit; Python sees only the errors
        # (reasoner/advisor/cohort_lines.py).
        source: Generator[Any, None, None] = line_slices(
            advisor, entries, chunk_size=chunk_size, form=answer_form, audit=audit
        )
        work = source
    else:
        source = run(
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
        work = bulk.annotate(source) if bulk else source
    try:
        with stop_on_signals():
            for done in work:
                if isinstance(done, LineSlice):
                    stream.write_slice(done)
                    figures = done.audit or ChunkAudit()
                    summary.add_many(done.count, done.errors, figures.codes, figures.violations)
                    errors, count = done.errors, done.count
                else:
                    summary.add(done)
                    stream.write(done, done.to_text())
                    errors, count = [done] if done.error is not None else [], 1
                written += count
                for failed in errors:
                    if failed.error is not None:
                        progress.say(record_error_text(failed.error))
                progress.advance(count)
    except Interrupted as interruption:
        source.close()  # ends the worker processes before anything else
        stream.flush()
        if output:
            stream.close()
        progress.stop()
        click.echo(
            f"Error: interrupted by {interruption.name} after {written} records were written (whole lines only)",
            err=True,
        )
        exit_at_once(interruption.exit_code)
    finally:
        progress.stop()
        stream.close()
    if audit:
        click.echo(audit_text(summary, output_format), err=output is None, nl=False)
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
    from ..advisor.outputs import answer_writer

    try:
        return answer_writer(path, sys.stdout, header)
    except OSError as error:
        raise click.FileError(str(path), hint=error.strerror or str(error)) from None
