"""A cohort's answer lines written by DuckDB: no Python object per patient on the batch's fast path.

After the program ran over a chunk (:func:`cohort_sql.evaluate_text_chunk`) and the subjects
alike in their answer rows were grouped (:meth:`SqlEngine.same_rows`), the tables nothing
reads any more are dropped and each distinct answer's text, with an empty subject, goes into
a table: written by DuckDB for compact answers (:mod:`compact_sql`), by Python for those it
leaves and for full answers. A query per slice of entries then joins each subject to its
answer's text and puts its identifier in, beside the lines Python wrote for the rest (record
errors, records read by the Python validator, identifiers that are not printable ASCII), in
input order; the chunk's lines are never all in memory at once. The bytes are those of
:meth:`Outcome.for_subject`, line for line; what Python still sees per patient is only what
it must say: the errors.

Used by ``batch`` on DuckDB for JSON Lines and Parquet input, with or without ``--audit``
(its figures counted in SQL, :mod:`audit_sql`); a FHIR Bulk Data export goes outcome by outcome.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass

import duckdb

from ..language.sql_engine import GROUPS_TABLE, REPRESENTATIVES, SqlEngine
from .advisor import Advisor
from .audit_sql import ChunkAudit, chunk_audit
from .batch import EMPTY_SUBJECT, Outcome, chunks
from .cohort import MEMORY_LIMIT, answer_chunk_sql, answer_keys, subject_outcome
from .cohort_sql import (
    SUBJECTS,
    EvaluatedChunk,
    compact_slices,
    distinct_answer_slices,
    evaluate_text_chunk,
    problem_outcome,
    text_rows,
)
from .compact_sql import json_string
from .inputs import Entry

LINES_AT_ONCE = 2_000
"""Output lines fetched from DuckDB at a time: memory for this many answers in Python, whatever the chunk."""
TEXTS = "_answer_texts"
"""Each representative subject's answer text, its subject empty."""
ANSWERED = f"_lines_ids i JOIN {TEXTS} t ON t.subject = i.representative"
"""Each answered entry (:func:`_store_line_ids`) with its answer's text."""


@dataclass(frozen=True)
class LineSlice:
    """Consecutive entries' output lines, in input order, and which of them were errors."""

    text: str
    """The lines, joined by newlines (none after the last)."""
    places: list[tuple[int, str, int | None]]
    """Each line's entry: its index, source and line number."""
    errors: list[Outcome]
    audit: ChunkAudit | None = None
    """With ``audit``: the figures of the whole chunk, on its first slice."""

    @property
    def count(self) -> int:
        return len(self.places)


def line_slices(
    advisor: Advisor, entries: Iterable[Entry], *, chunk_size: int, form: str = "full", audit: bool = False
) -> Generator[LineSlice, None, None]:
    """Every entry's output line, as ``batch`` writes it, a slice at a time; with ``audit``, each chunk's
    figures (:mod:`audit_sql`).

    The same lines and figures as ``run(..., engine="duckdb")`` gives, outcome by outcome.
    """
    # The record's codes are the symbols its facts may hold: with the program's, the vocabulary of
    # the ENUM each chunk's symbol columns are typed with (see _evaluated).
    engine = SqlEngine(advisor.kb.program, memory_limit=MEMORY_LIMIT, symbols=advisor.record_spec.code_words())
    for chunk in chunks(entries, chunk_size):
        yield from _chunk_slices(advisor, engine, chunk, form, audit)


def _chunk_slices(
    advisor: Advisor, engine: SqlEngine, chunk: list[Entry], form: str, audit: bool
) -> Iterator[LineSlice]:
    keys, _ = answer_keys(advisor, audit=audit, answers_wanted=True)
    connection, evaluated = _evaluated(advisor, engine, chunk)
    try:
        if evaluated is None:  # facts SQL cannot build: the outcomes the other path gives
            yield from _outcome_slices(answer_chunk_sql(advisor, engine, chunk, audit=audit, form=form), audit)
            return
        engine.keep_only(connection, keys)
        engine.same_rows(connection, keys)
        _answer_texts(connection, engine, advisor, form)
        errors: dict[int, Outcome] = {}
        for entry in chunk:
            found = evaluated.read.get(entry.index)
            if isinstance(found, Outcome):
                errors[entry.index] = found
            elif entry.index in evaluated.checked.problems:
                errors[entry.index] = problem_outcome(entry, evaluated.checked)
        python_lines = {index: outcome.to_text() for index, outcome in errors.items()}
        identifiers = {
            int(subject): (int(line), str(identifier))
            for line, subject, identifier in connection.execute(
                f"SELECT line, subject, identifier FROM {SUBJECTS} WHERE {json_string('identifier')} IS NULL"
            ).fetchall()
        }
        identifiers.update(
            (subject, (index, identifier)) for index, (subject, identifier) in evaluated.python_subjects.items()
        )
        text_rows(
            connection,
            "_python_ids",
            {"line": [line for line, _ in identifiers.values()], "subject": list(identifiers)},
            [json.dumps(identifier) for _, identifier in identifiers.values()],
        )
        text_rows(connection, "_python_lines", {"line": list(python_lines)}, list(python_lines.values()))
        _store_line_ids(connection)
        _check_line_count(connection, len(chunk))
        figures = (
            chunk_audit(
                connection,
                engine,
                TEXTS,
                f"SELECT line, subject FROM {SUBJECTS} UNION SELECT line, subject FROM _python_ids",
                {entry.index: entry.source for entry in chunk}.__getitem__,
            )
            if audit
            else None
        )
        for start in range(0, len(chunk), LINES_AT_ONCE):
            part = chunk[start : start + LINES_AT_ONCE]
            text = _slice_text(connection, part[0].index, part[-1].index, len(part))
            places = [(entry.index, entry.source, entry.line) for entry in part]
            failed = [errors[entry.index] for entry in part if entry.index in errors]
            yield LineSlice(text, places, failed, figures if start == 0 else None)
    finally:
        connection.close()


def _evaluated(
    advisor: Advisor, engine: SqlEngine, chunk: list[Entry]
) -> tuple[duckdb.DuckDBPyConnection, EvaluatedChunk | None]:
    """The chunk read, checked and evaluated (:func:`evaluate_text_chunk`), and the connection holding it.

    Symbols are a DuckDB ``ENUM`` of the program's and the record's symbols (about a fifth off
    the rules' time). A fact with any other symbol (a record spec whose text fields become
    facts) cannot be stored in those tables: DuckDB refuses the insert, and the chunk is read
    and evaluated again with symbols as text, the same answers.
    """
    for enum in (True, False):
        connection = engine.connect(enum=enum)
        try:
            return connection, evaluate_text_chunk(advisor, engine, connection, chunk)
        except BaseException as error:
            connection.close()
            if not (enum and isinstance(error, duckdb.ConversionException)):
                raise
    raise AssertionError("unreachable: the text connection returns or raises")


def _outcome_slices(outcomes: list[Outcome], audit: bool) -> Iterator[LineSlice]:
    """Outcomes made one by one, as slices of lines, with the audit's figures of them all on the first."""
    figures = ChunkAudit() if audit else None
    for outcome in outcomes:
        if figures is not None and outcome.error is None:
            figures.codes.update(outcome.codes.items())
            figures.violations.extend((name, outcome.source) for name in outcome.violations)
    for start in range(0, len(outcomes), LINES_AT_ONCE):
        written = outcomes[start : start + LINES_AT_ONCE]
        failed = [outcome for outcome in written if outcome.error is not None]
        places = [(outcome.index, outcome.source, outcome.line) for outcome in written]
        text = "\n".join(outcome.to_text() for outcome in written)
        yield LineSlice(text, places, failed, figures if start == 0 else None)


def _answer_texts(connection: duckdb.DuckDBPyConnection, engine: SqlEngine, advisor: Advisor, form: str) -> None:
    """The table of each distinct answer's text: compact lines by DuckDB where it can, the rest by Python."""
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {TEXTS} (subject BIGINT, text VARCHAR)")
    keys, checks = answer_keys(advisor, audit=False, answers_wanted=True)
    left = REPRESENTATIVES
    if form == "compact":
        counted = connection.execute(f"SELECT count(*) FROM ({REPRESENTATIVES})").fetchone()
        for query in compact_slices(connection, engine, advisor, int(counted[0]) if counted else 0):
            # Not ``WHERE line IS NOT NULL``: DuckDB would build each line twice, to test it and to store it.
            connection.execute(f"INSERT INTO {TEXTS} SELECT subject, line FROM ({query})")
        connection.execute(f"DELETE FROM {TEXTS} WHERE text IS NULL")  # the lines left to Python
        left = (
            f"SELECT representative FROM ({REPRESENTATIVES}) WHERE representative NOT IN (SELECT subject FROM {TEXTS})"
        )
    for shared in distinct_answer_slices(
        connection,
        engine,
        keys,
        lambda identifier, model: subject_outcome(advisor, (-1, "", None), identifier, model, checks, True, form),
        only=left,
    ):
        subjects = sorted(shared)
        text_rows(
            connection, "_texts_slice", {"subject": subjects}, [shared[subject].to_text() for subject in subjects]
        )
        connection.execute(f"INSERT INTO {TEXTS} SELECT subject, text FROM _texts_slice")


def _store_line_ids(connection: duckdb.DuckDBPyConnection) -> None:
    """``_lines_ids (line, representative, id_json)``: each answered entry's answer and identifier as JSON.

    The lines themselves are joined a slice at a time (:func:`_slice_text`): a chunk's lines are
    never all in memory at once, which for full answers (about 10 KB each) would be hundreds of MB.
    """
    identifier_json = json_string("identifier")
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE _lines_ids AS SELECT i.line, g.representative, i.id_json FROM ("
        f"SELECT line, subject, {identifier_json} AS id_json FROM {SUBJECTS} WHERE {identifier_json} IS NOT NULL "
        f"UNION ALL SELECT line, subject, text FROM _python_ids) i JOIN {GROUPS_TABLE} g USING (subject)"
    )


def _check_line_count(connection: duckdb.DuckDBPyConnection, expected: int) -> None:
    """Exactly one line per entry of the chunk, or the chunk is not written: never a shifted line."""
    counted = connection.execute(
        f"SELECT count(*) FROM (SELECT i.line FROM {ANSWERED} UNION ALL SELECT line FROM _python_lines)"
    ).fetchone()
    if counted is None or int(counted[0]) != expected:
        raise RuntimeError(f"a chunk of {expected} entries gave {counted[0] if counted else 0} lines")


def _slice_text(connection: duckdb.DuckDBPyConnection, first: int, last: int, expected: int) -> str:
    """The lines of the entries numbered ``first`` to ``last``, in order, joined by newlines.

    Fetched as ordered rows and joined here: ``string_agg(... ORDER BY line)`` took a fifth longer.
    """
    cut = len(EMPTY_SUBJECT)
    rows = connection.execute(
        "SELECT text FROM ("
        f"SELECT i.line, left(t.text, length(t.text) - {cut}) || '\"subject\":' || i.id_json || '}}' AS text "
        f"FROM {ANSWERED} WHERE i.line BETWEEN $1 AND $2 "
        "UNION ALL SELECT line, text FROM _python_lines WHERE line BETWEEN $1 AND $2) ORDER BY line",
        [first, last],
    ).fetchall()
    if len(rows) != expected:
        raise RuntimeError(f"entries {first} to {last} gave {len(rows)} lines, not {expected}")
    return "\n".join(text for (text,) in rows)


__all__ = ["LINES_AT_ONCE", "LineSlice", "line_slices"]
