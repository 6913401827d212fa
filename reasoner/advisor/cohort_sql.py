"""A chunk of JSON Lines answered on DuckDB from text: parsed, validated and turned into facts in SQL.

The lines of a chunk go into one DuckDB table as text. The record spec's checks, compiled
to SQL (:mod:`record_sql`), judge every line at once; the valid lines' input facts are
inserted into the program's input tables by SQL too, straight from the parsed JSON, with
no Python object per record. Lines the SQL checks leave to the Python validator (and any
entry that arrives parsed) are read as before and their facts added beside. The program
then runs over the chunk, and each patient's answer is assembled from its rows as on the
other engines, so the output is the same, byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import duckdb

from ..errors import RecordError
from ..language.engine import Row
from ..language.program import PredicateKey
from ..language.sql_engine import REPRESENTATIVES, SqlEngine
from ..language.to_sql import NUMBER_TAG, SUBJECTS_TABLE, SYMBOL_TAG, CompiledProgram
from .advisor import Advisor
from .batch import Outcome, error_json, read_entry
from .compact_sql import prepare, store_items, stored_lines_query
from .inputs import Entry
from .record_sql import INTEGER_TYPES, Checked, _path, _present, check_table, type_of
from .records import Record, RecordSpec

ASSEMBLED_AT_ONCE = 2_000
"""Distinct answers whose rows are read into Python together: memory for this many, whatever the chunk."""
COMPACT_AT_ONCE = 2_000
"""Distinct answers whose compact lines one query builds: memory for this many, whatever the chunk."""
TEXT_ROWS_AT_ONCE = 10_000
"""Rows :func:`text_rows` sends in one statement: with chunks of 100 000 lines, one statement for them
all peaked 15-40 MiB higher (the joined text, and DuckDB's copy and split of it)."""
REPRESENTATIVE_SUBJECTS = f"SELECT representative AS subject FROM ({REPRESENTATIVES})"
SUBJECTS = "record_subjects"
"""The valid lines judged in SQL, each with its subject number, from 0 in line order."""


def _slot(value: str, slot: str, number: bool) -> str | None:
    """A value as its table column stores it; None where the slot cannot hold it (the Python path says why)."""
    if slot == "any":
        if number:
            return f"'{NUMBER_TAG}' || CAST(CAST({value} AS BIGINT) AS VARCHAR)"
        return f"'{SYMBOL_TAG}' || ({value} ->> '$')"
    if (slot == "number") != number:
        return None
    return f"CAST({value} AS BIGINT)" if number else f"({value} ->> '$')"


def fact_statements(spec: RecordSpec, compiled: CompiledProgram) -> list[str] | None:
    """INSERTs of every valid line's input facts, as :meth:`RecordSpec.read` makes them; None when a fact's
    value does not fit its column's type (then the chunk is read in Python, which reports it)."""
    statements = [
        f"CREATE OR REPLACE TEMP TABLE {SUBJECTS} AS SELECT line, row_number() OVER (ORDER BY line) - 1 AS subject, "
        f"coalesce(json_extract_string(j, {_path(spec.identifier)}), '') AS identifier FROM record_fields "
        "WHERE line NOT IN (SELECT line FROM record_problems)"
    ]

    def insert(key: PredicateKey, values: list[tuple[str, bool]], source: str, where: str) -> bool:
        relation = compiled.relations.get(key)
        if relation is None:
            return False
        stored = [_slot(value, slot, number) for (value, number), slot in zip(values, relation.types, strict=True)]
        if any(column is None for column in stored):
            return False
        columns = ", ".join(["s.subject", *(column for column in stored if column is not None)])
        statements.append(
            f"INSERT INTO {relation.table} ({', '.join(relation.columns)}) SELECT {columns} FROM {source} "
            f"JOIN {SUBJECTS} s USING (line) WHERE {where}"
        )
        return True

    for index, field in enumerate(spec.fields):
        value = f"v{index}"
        if field.type == "integer" and field.fact:
            fits = insert((field.fact, 1), [(value, True)], "record_fields", f"{type_of(value)} IN {INTEGER_TYPES}")
        elif field.type == "boolean" and field.fact:
            fits = insert(
                (field.fact, 0), [], "record_fields", f"{type_of(value)} = 'BOOLEAN' AND {value} ->> '$' = 'true'"
            )
        elif field.type == "codes":
            items = f"record_items{index}"
            fits = insert((field.fact or field.name, 1), [("code", False)], items, "true")
            for attribute in field.attributes:
                attribute_value = f"json_extract(item, {_path(attribute.name)})"
                fits = fits and insert(
                    (attribute.fact, 2),
                    [("code", False), (attribute_value, attribute.type == "integer")],
                    items,
                    f"object AND {_present(attribute_value)}",
                )
        else:
            continue
        if not fits:
            return None
    return statements


@dataclass(frozen=True)
class EvaluatedChunk:
    """A chunk of text lines after the program ran over it in ``connection``.

    The lines judged valid in SQL are subjects 0 to ``count - 1`` (table ``record_subjects``:
    line, subject, identifier); ``read`` holds the entries read in Python instead (lines the
    SQL checks leave to the Python validator, entries that came parsed): a Record, numbered
    after them in ``python_subjects`` (entry index to subject and identifier), or the Outcome
    that reports why there is none. ``checked.problems`` are the lines SQL found invalid.
    """

    checked: Checked
    read: dict[int, Record | Outcome]
    python_subjects: dict[int, tuple[int, str]]
    count: int


def evaluate_text_chunk(
    advisor: Advisor, engine: SqlEngine, connection: duckdb.DuckDBPyConnection, chunk: list[Entry]
) -> EvaluatedChunk | None:
    """Read, check and evaluate a chunk in ``connection``; None when the facts cannot be built in SQL."""
    spec = advisor.record_spec
    statements = fact_statements(spec, engine.compiled)
    if statements is None:
        return None
    texts = [entry for entry in chunk if entry.text is not None and entry.error is None and "\n" not in entry.text]
    text_rows(
        connection, "record_lines", {"line": [entry.index for entry in texts]}, [entry.text or "" for entry in texts]
    )
    checked = check_table(spec, connection, "record_lines")
    for statement in statements:
        connection.execute(statement)
    counted = connection.execute(f"SELECT count(*) FROM {SUBJECTS}").fetchone()
    count = int(counted[0]) if counted else 0
    _drop_record_tables(connection)
    connection.execute(f"INSERT INTO {SUBJECTS_TABLE} SELECT range FROM range(?)", [count])
    in_sql = {entry.index for entry in texts}
    read: dict[int, Record | Outcome] = {
        entry.index: read_entry(advisor, entry)
        for entry in chunk
        if entry.index not in in_sql or entry.index in checked.hard
    }
    records = [(index, found) for index, found in read.items() if isinstance(found, Record)]
    python_subjects = {index: (count + number, record.identifier) for number, (index, record) in enumerate(records)}
    engine.load_facts(connection, [record.facts for _, record in records], first=count)
    engine.run(connection)
    return EvaluatedChunk(checked, read, python_subjects, count)


def _drop_record_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Drop the tables the records were checked and turned into facts with (their text and JSON), all but
    :data:`SUBJECTS`: the problems are in Python by now and the facts in the program's tables."""
    for (table,) in connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'record_') "
        "AND table_name <> ?",
        [SUBJECTS],
    ).fetchall():
        connection.execute(f"DROP TABLE {table}")


def text_rows(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    numbers: dict[str, list[int]],
    texts: list[str],
    rows_at_once: int | None = None,
) -> None:
    """A new temporary table of integer columns ``numbers`` and a last column ``text``, a row for each text.

    Each column goes in as one string parameter, split by DuckDB: a list parameter, or a
    row per call, costs a hundred times more per row. A text must hold no newline (JSON
    text and a JSON Lines line hold none). The rows go in ``rows_at_once`` at a time
    (:data:`TEXT_ROWS_AT_ONCE`), so the joined strings and DuckDB's split lists stay small
    whatever the chunk.
    """
    rows_at_once = rows_at_once or TEXT_ROWS_AT_ONCE
    columns = [f"CAST(unnest(string_split(?, ',')) AS BIGINT) AS {name}" for name in numbers]
    query = f"SELECT {', '.join(columns)}, unnest(string_split(?, chr(10))) AS text WHERE ? > 0"
    for start in range(0, max(len(texts), 1), rows_at_once):
        end = start + rows_at_once
        piece = texts[start:end]
        parameters = [*(",".join(map(str, values[start:end])) for values in numbers.values()), "\n".join(piece)]
        statement = f"CREATE OR REPLACE TEMP TABLE {table} AS {query}" if start == 0 else f"INSERT INTO {table} {query}"
        connection.execute(statement, [*parameters, len(piece)])


def answer_text_chunk(
    advisor: Advisor,
    engine: SqlEngine,
    chunk: list[Entry],
    keys: list[PredicateKey],
    answer: Callable[[str, dict[str, list[tuple[Row, int]]]], Outcome],
    compact: bool = False,
) -> list[Outcome] | None:
    """Outcomes of a chunk whose lines are text, in input order; None when the facts cannot be built in SQL.

    ``answer`` gives the outcome of a subject's rows (under an identifier); it is called once
    per distinct set of rows (:meth:`SqlEngine.same_rows`), and the outcome shared. With
    ``compact``, each distinct answer's compact line is built by DuckDB (:mod:`compact_sql`)
    and ``answer`` is called only for the few it leaves to Python.
    """
    connection = engine.connect()
    try:
        evaluated = evaluate_text_chunk(advisor, engine, connection, chunk)
        if evaluated is None:
            return None
        subjects = {
            int(line): (int(subject), str(identifier))
            for line, subject, identifier in connection.execute(
                f"SELECT line, subject, identifier FROM {SUBJECTS}"
            ).fetchall()
        }
        subjects.update(evaluated.python_subjects)
        groups = engine.same_rows(connection, keys)
        shared = distinct_answers(connection, engine, advisor, keys, answer, compact)
    finally:
        connection.close()
    outcomes: list[Outcome] = []
    for entry in chunk:
        found = evaluated.read.get(entry.index)
        if isinstance(found, Outcome):
            outcomes.append(found)
        elif entry.index in evaluated.checked.problems:
            outcomes.append(problem_outcome(entry, evaluated.checked))
        else:
            subject, identifier = subjects[entry.index]
            outcomes.append(shared[groups[subject]].for_subject(entry.index, entry.source, entry.line, identifier))
    return outcomes


def problem_outcome(entry: Entry, checked: Checked) -> Outcome:
    """The error outcome of a line the SQL checks found invalid."""
    error = RecordError(checked.problems[entry.index], entry.source)
    return Outcome(entry.index, entry.source, entry.line, error=error_json(error, entry.source, entry.line))


def distinct_answers(
    connection: duckdb.DuckDBPyConnection,
    engine: SqlEngine,
    advisor: Advisor,
    keys: list[PredicateKey],
    answer: Callable[[str, dict[str, list[tuple[Row, int]]]], Outcome],
    compact: bool,
    only: str = REPRESENTATIVES,
) -> dict[int, Outcome]:
    """After :meth:`SqlEngine.same_rows`: the outcome of each representative subject of ``only`` (a query
    of a column ``representative``), with an empty identifier; with ``compact``, DuckDB writes the lines it can."""
    shared: dict[int, Outcome] = {}
    if compact:
        counted = connection.execute(f"SELECT count(*) FROM ({only})").fetchone()
        shared, missing = _compact_outcomes(connection, engine, advisor, int(counted[0]) if counted else 0)
        text_rows(connection, "_left_to_python", {"representative": missing}, [""] * len(missing))
        only = "SELECT representative FROM _left_to_python"
    for part in distinct_answer_slices(connection, engine, keys, answer, only):
        shared.update(part)
    return shared


def distinct_answer_slices(
    connection: duckdb.DuckDBPyConnection,
    engine: SqlEngine,
    keys: list[PredicateKey],
    answer: Callable[[str, dict[str, list[tuple[Row, int]]]], Outcome],
    only: str = REPRESENTATIVES,
) -> Iterator[dict[int, Outcome]]:
    """The outcomes of :func:`distinct_answers` (without ``compact``), a slice of representatives at a time:
    a caller that keeps only their text holds one slice's answers in memory, never the chunk's."""
    counted = connection.execute(f"SELECT count(*) FROM ({only})").fetchone()
    for offset in range(0, int(counted[0]) if counted else 0, ASSEMBLED_AT_ONCE):
        sliced = f"{only} ORDER BY representative LIMIT {ASSEMBLED_AT_ONCE} OFFSET {offset}"
        yield {
            subject: _written(answer("", model))
            for subject, model in engine.models_of(connection, keys, sliced).items()
        }


def _compact_outcomes(
    connection: duckdb.DuckDBPyConnection, engine: SqlEngine, advisor: Advisor, distinct: int
) -> tuple[dict[int, Outcome], list[int]]:
    """The outcomes of the distinct answers whose compact lines DuckDB wrote, and the subjects it left to Python."""
    shared: dict[int, Outcome] = {}
    missing: list[int] = []
    for query in compact_slices(connection, engine, advisor, distinct):
        for subject, line in connection.execute(query).fetchall():
            if line is None:
                missing.append(int(subject))
            else:
                shared[int(subject)] = _compact_outcome(line)
    return shared, missing


def compact_slices(
    connection: duckdb.DuckDBPyConnection, engine: SqlEngine, advisor: Advisor, distinct: int
) -> Iterator[str]:
    """The query of ``(subject, line)`` (:func:`stored_lines_query`) over each slice of the ``distinct``
    representatives in turn, the slice in place while it is yielded.

    The items' groups and texts are stored once for them all (:func:`store_items`); a slice at a
    time keeps the query's lists, and the lines read from it, small whatever the chunk.
    """
    prepare(connection, engine.compiled.program, advisor.answer_spec)
    store_items(connection, engine.compiled, advisor.answer_spec, REPRESENTATIVE_SUBJECTS)
    # The slice is a table, not a subquery: the query reads it several times.
    query = stored_lines_query("SELECT subject FROM _compact_slice")
    for offset in range(0, distinct, COMPACT_AT_ONCE):
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE _compact_slice AS {REPRESENTATIVE_SUBJECTS} ORDER BY subject "
            f"LIMIT {COMPACT_AT_ONCE} OFFSET {offset}"
        )
        yield query


def _compact_outcome(line: str) -> Outcome:
    """The outcome of a compact line DuckDB wrote, for the subjects that share it."""
    answer = json.loads(line)
    return Outcome(-1, "", None, answer, {item["code"]: item["kind"] for item in answer["items"]}, text=line)


def _written(outcome: Outcome) -> Outcome:
    """An outcome with its JSON text written once, for the subjects that share it."""
    return replace(outcome, text=outcome.to_text()) if outcome.answer is not None else outcome


__all__ = [
    "EvaluatedChunk",
    "answer_text_chunk",
    "distinct_answer_slices",
    "distinct_answers",
    "evaluate_text_chunk",
    "fact_statements",
    "compact_slices",
    "text_rows",
    "problem_outcome",
]
