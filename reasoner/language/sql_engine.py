"""Run a compiled program on DuckDB for many subjects at once.

The SQL counterpart of ``engine.py``: where that engine asserts one subject's facts into
pyDatalog, this one loads a whole cohort's input facts into tables, each row tagged with
its subject number, runs the steps of :mod:`to_sql` in order, and reads back any
predicate's rows with the subject and the rule behind each row. Each run uses its own
in-memory database, so two runs never share a table.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

import duckdb
import sqlglot.expressions as exp

from ..errors import ReasonerError
from .budget import default_budget
from .duckdb_connections import DuckDBConfig, open_duckdb
from .engine import Fact, Row, row_order
from .program import PredicateKey, Program, Value
from .sql_values import table_named
from .to_sql import (
    RULE,
    SUBJECT,
    SUBJECTS_TABLE,
    CompiledProgram,
    FactStep,
    RecursiveStep,
    Relation,
    RuleStep,
    column_types,
    compile_program,
    decode,
    delta_table,
    encode,
    program_symbols,
)

GROUPS_TABLE = "_answer_groups"
REPRESENTATIVES = f"SELECT DISTINCT representative FROM {GROUPS_TABLE}"
"""After :meth:`SqlEngine.same_rows`: one subject of each distinct set of rows."""
SYMBOL_TYPE = "symbol_value"
"""The DuckDB ``ENUM`` of a closed vocabulary's symbols (:meth:`SqlEngine.connect` with ``enum``)."""
MAX_RECURSIVE_ROUNDS = 20_000
"""Rounds of a recursive group before it is stopped; its facts are capped by the default budget's, per subject."""

DerivedRow = tuple[int, Row, int]
"""``(subject, arguments, rule index)``: one derived row and the rule that gave it."""


class SqlEvaluationError(ReasonerError):
    """Input facts that do not fit the program, or a recursive group that never ends."""


class FactFiles:
    """A cohort's input facts as JSON Lines, one file per input table, written one subject at a time.

    The one place a subject's facts become table rows, checked against the slot types and
    tagged in ``any`` slots: DuckDB and Spark both read these files, so a fact is stored
    alike on either engine. Subjects are numbered in the order they are added, from 0;
    only the files of the open tables are held, so memory does not grow with the cohort.
    """

    def __init__(self, compiled: CompiledProgram, folder: Path) -> None:
        self.compiled = compiled
        self.folder = folder
        self.subjects = 0
        self._inputs = compiled.program.inputs()
        self._files: dict[PredicateKey, IO[str]] = {}

    def add(self, facts: Iterable[Fact]) -> int:
        """Write one subject's facts; its subject number."""
        subject = self.subjects
        rows: set[tuple[PredicateKey, tuple[object, ...]]] = set()
        for fact in facts:
            key = (fact.predicate, len(fact.arguments))
            if key not in self._inputs:
                raise SqlEvaluationError(f"{fact} is not an input of the program")
            relation = self.compiled.relations[key]
            slots = zip(fact.arguments, relation.types, strict=True)
            rows.add((key, tuple(_stored(value, slot, fact) for value, slot in slots)))
        for key, stored in sorted(rows, key=str):
            relation = self.compiled.relations[key]
            file = self._files.get(key)
            if file is None:
                file = self._files[key] = (self.folder / f"{relation.table}.jsonl").open("w", encoding="utf-8")
            file.write(json.dumps(dict(zip(relation.columns, (subject, *stored), strict=True))) + "\n")
        self.subjects += 1
        return subject

    def close(self) -> dict[Relation, Path]:
        """The file of every input table that has rows (the others stay empty)."""
        written: dict[Relation, Path] = {}
        for key, file in self._files.items():
            file.close()
            written[self.compiled.relations[key]] = Path(file.name)
        self._files.clear()
        return written


class SqlEngine:
    """Evaluate a validated program over a cohort in an embedded DuckDB database."""

    def __init__(
        self,
        program: Program,
        memory_limit: str | None = None,
        threads: int | None = None,
        symbols: Iterable[str] = (),
    ) -> None:
        """``symbols``: those the input may hold beside the program's own (a record spec's codes),
        the vocabulary of ``connect(enum=True)``."""
        self.compiled: CompiledProgram = compile_program(program)
        self.memory_limit = memory_limit
        self.threads = threads
        # Sorted as DuckDB sorts text, so an ENUM's order (its members' places) is the text's order.
        self.vocabulary = tuple(sorted(program_symbols(program) | set(symbols)))
        self._tables: dict[bool, list[str]] = {}
        """The statements of a fresh database, with symbols as an ENUM (True) or as text (False), written once."""
        self._written: list[str | RecursiveStep] | None = None

    def connect(self, enum: bool = False) -> duckdb.DuckDBPyConnection:
        """A fresh in-memory database with the program's tables, empty.

        With ``enum``, every column of symbols only is a DuckDB ``ENUM`` of :attr:`vocabulary`
        (a small integer per value instead of a string): a chunk's rules run about a fifth
        faster. A symbol outside the vocabulary cannot go into such a table: the insert raises
        ``duckdb.ConversionException``, nothing is stored wrong, and the caller evaluates again
        on a connection without ``enum``.
        """
        config: DuckDBConfig = {}
        if self.memory_limit is not None:
            config["memory_limit"] = self.memory_limit
        if self.threads is not None:
            config["threads"] = self.threads
        connection = open_duckdb(":memory:", config)
        enum = enum and bool(self.vocabulary)  # DuckDB has no empty ENUM; no symbols, nothing to gain
        if enum not in self._tables:
            members = ", ".join(exp.Literal.string(symbol).sql(dialect="duckdb") for symbol in self.vocabulary)
            self._tables[enum] = [f"CREATE TYPE {SYMBOL_TYPE} AS ENUM ({members})"] if enum else []
            self._tables[enum] += [
                statement.sql(dialect="duckdb")
                for statement in self.compiled.create_tables(symbol_type=SYMBOL_TYPE if enum else "VARCHAR")
            ]
        for statement in self._tables[enum]:
            connection.execute(statement)
        return connection

    def load_facts(
        self, connection: duckdb.DuckDBPyConnection, subjects: Sequence[Iterable[Fact]], first: int = 0
    ) -> None:
        """Subjects numbered from ``first`` in order, each with its input facts."""
        connection.execute(
            f"INSERT INTO {SUBJECTS_TABLE} SELECT range FROM range(?, ?)", [first, first + len(subjects)]
        )
        with tempfile.TemporaryDirectory(prefix="backspasm-facts-") as folder:
            writer = FactFiles(self.compiled, Path(folder))
            writer.subjects = first
            for facts in subjects:
                writer.add(facts)
            for relation, path in writer.close().items():
                # One bulk read per input table: DuckDB inserts a JSON Lines file far faster
                # than row-by-row parameters, and the file holds data only.
                types = dict(column_types(relation))
                columns = ", ".join(f"'{name}': '{kind}'" for name, kind in types.items())
                connection.execute(
                    f"INSERT INTO {relation.table} SELECT {', '.join(relation.columns)} "
                    f"FROM read_json(?, format='newline_delimited', columns={{{columns}}})",
                    [str(path)],
                )

    def run(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Every step of the program, in order: afterwards every derived table is complete."""
        for step in self._statements():
            if isinstance(step, str):
                connection.execute(step)
            else:
                self._fixpoint(connection, step)

    def _statements(self) -> list[str | RecursiveStep]:
        """The steps as DuckDB's SQL text, written once per engine: writing the trees out costs
        more than running a small chunk's statements."""
        if self._written is None:
            self._written = [
                self.compiled.insert_facts(step).sql(dialect="duckdb", copy=False)
                if isinstance(step, FactStep)
                else self.compiled.insert_rule(step.rule).sql(dialect="duckdb", copy=False)
                if isinstance(step, RuleStep)
                else step
                for step in self.compiled.steps
            ]
        return self._written

    def _fixpoint(self, connection: duckdb.DuckDBPyConnection, step: RecursiveStep) -> None:
        relations = self.compiled.step_relations(step)
        for statement in self.compiled.create_delta_tables(step, temporary=True):
            connection.execute(statement.sql(dialect="duckdb"))
        total = 0
        facts_per_subject = default_budget().facts
        for round_number in range(MAX_RECURSIVE_ROUNDS):
            fresh: list[Relation] = []
            for relation in relations:
                query = self.compiled.round_select(step, relation.key, first=round_number == 0)
                if query is None:
                    continue
                create = exp.Create(
                    this=table_named(f"{relation.table}__new"),
                    kind="TABLE",
                    expression=query,
                    replace=True,
                    properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                )
                connection.execute(create.sql(dialect="duckdb"))
                fresh.append(relation)
            added = 0
            for relation in relations:
                connection.execute(f"DELETE FROM {delta_table(relation)}")
            for relation in fresh:
                new = f"{relation.table}__new"
                connection.execute(f"INSERT INTO {delta_table(relation)} SELECT * FROM {new}")
                connection.execute(f"INSERT INTO {relation.table} SELECT * FROM {new}")
                counted = connection.execute(f"SELECT count(*) FROM {new}").fetchone()
                added += int(counted[0]) if counted else 0
            total += added
            if added == 0:
                return
            if total > facts_per_subject * max(1, self._subject_count(connection)):
                break
        rules = ", ".join(str(self.compiled.program.rules[index]) for index in step.rules)
        raise SqlEvaluationError(f"recursive rules keep deriving new facts and were stopped: {rules}")

    def keep_only(self, connection: duckdb.DuckDBPyConnection, predicates: Iterable[PredicateKey]) -> None:
        """After :meth:`run`: drop the tables of every predicate but ``predicates``, whose rows are
        all that is read from then on, so their memory is free for what comes next."""
        kept = set(predicates)
        for key, relation in self.compiled.relations.items():
            if key not in kept:
                connection.execute(f"DROP TABLE IF EXISTS {relation.table}")

    @staticmethod
    def _subject_count(connection: duckdb.DuckDBPyConnection) -> int:
        counted = connection.execute(f"SELECT count(*) FROM {SUBJECTS_TABLE}").fetchone()
        return int(counted[0]) if counted else 0

    def derived(
        self, connection: duckdb.DuckDBPyConnection, key: PredicateKey, only: str | None = None
    ) -> list[DerivedRow]:
        """Every row of a derived predicate, per subject, with its rule; subject -1 when shared.

        ``only``: a query of subject numbers; the rows of other subjects are left in the database.
        """
        relation = self.compiled.relations[key]
        found: list[DerivedRow] = []
        where = f" WHERE {SUBJECT} IN ({only})" if only is not None and relation.per_subject else ""
        query = f"SELECT {', '.join(relation.columns)} FROM {relation.table}{where}"
        for row in connection.execute(query).fetchall():
            subject = int(row[0]) if relation.per_subject else -1
            values = row[1:-1] if relation.per_subject else row[:-1]
            arguments = tuple(_loaded(value, slot) for value, slot in zip(values, relation.types, strict=True))
            found.append((subject, arguments, int(row[-1])))
        return found

    def same_rows(self, connection: duckdb.DuckDBPyConnection, predicates: Iterable[PredicateKey]) -> list[int]:
        """After :meth:`run`: for each subject in order, the first subject with the very same rows of
        ``predicates``, rule for rule (itself when none before it has them).

        Subjects alike in these rows get alike answers: an answer is assembled once per distinct
        set of rows and shared (:meth:`models` with ``only=REPRESENTATIVES``). The rows are
        compared column by column (NULL alike only with NULL), so no two different rows can look alike.
        """
        keys = [key for key in sorted(set(predicates)) if self.compiled.relations[key].per_subject]
        inputs = [f"{key[0]}/{key[1]}" for key in keys if not self.compiled.relations[key].derived]
        if inputs:
            raise ValueError(f"same_rows compares derived predicates, rule for rule; inputs given: {', '.join(inputs)}")
        # shared rows are every subject's alike; each distinct row of a relation gets a number of its own
        # (the relation's place among them in its last digits), so no two different rows compare alike.
        numbered, found = [], []
        for place, key in enumerate(keys):
            relation = self.compiled.relations[key]
            columns = [*relation.argument_columns, RULE]
            listed = ", ".join(columns)
            numbered.append(
                f"numbered{place} AS (SELECT {listed}, row_number() OVER () * {len(keys)} + {place} AS number "
                f"FROM (SELECT DISTINCT {listed} FROM {relation.table}))"
            )
            same = " AND ".join(f"r.{column} IS NOT DISTINCT FROM n.{column}" for column in columns)
            # A derived table holds each row once (every rule's SELECT is DISTINCT and carries its own
            # rule; a recursive round adds only rows not there yet), so each (subject, number) comes
            # once without a DISTINCT: a sixth of the grouping's time.
            found.append(
                f"SELECT r.{SUBJECT} AS subject, n.number FROM {relation.table} r JOIN numbered{place} n ON {same}"
            )
        rows = " UNION ALL ".join(found) or "SELECT NULL::BIGINT AS subject, NULL::BIGINT AS number WHERE false"
        # A subject's signature is the sorted list of its rows' numbers: lists of integers group and
        # compare in a fraction of the time and memory of the rows themselves.
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {GROUPS_TABLE} AS WITH {''.join(part + ', ' for part in numbered)}"
            f"found AS ({rows}), "
            "signatures AS (SELECT s.subject, coalesce(lists.signature, []) AS signature "
            f"FROM (SELECT {SUBJECT} AS subject FROM {SUBJECTS_TABLE}) s LEFT JOIN "
            "(SELECT subject, list_sort(list(number)) AS signature FROM found GROUP BY subject) lists USING (subject)) "
            "SELECT subject, representative FROM signatures JOIN (SELECT signature, min(subject) AS representative "
            "FROM signatures GROUP BY signature) USING (signature)"
        )
        return [
            int(representative)
            for _, representative in connection.execute(
                f"SELECT subject, representative FROM {GROUPS_TABLE} ORDER BY subject"
            ).fetchall()
        ]

    def models_of(
        self, connection: duckdb.DuckDBPyConnection, predicates: Iterable[PredicateKey], only: str
    ) -> dict[int, dict[str, list[tuple[Row, int]]]]:
        """The rows of ``predicates`` for the subjects of the query ``only``, each row with its rule, sorted."""
        subjects = [int(subject) for (subject,) in connection.execute(only).fetchall()]
        return self._fill(connection, predicates, subjects, only)

    def evaluate(
        self, subjects: Sequence[Iterable[Fact]], predicates: Iterable[PredicateKey]
    ) -> list[dict[str, tuple[Row, ...]]]:
        """The rows of ``predicates`` for each subject, keyed ``name/arity``, rows sorted."""
        return [
            {name: tuple(sorted({row for row, _ in rows}, key=row_order)) for name, rows in model.items()}
            for model in self.evaluate_by_rule(subjects, predicates)
        ]

    def evaluate_by_rule(
        self, subjects: Sequence[Iterable[Fact]], predicates: Iterable[PredicateKey], enum: bool = False
    ) -> list[dict[str, list[tuple[Row, int]]]]:
        """Like :meth:`evaluate`, each row with the index of the rule that gave it (a row may have several);
        ``enum`` as for :meth:`connect`."""
        connection = self.connect(enum)
        try:
            self.load_facts(connection, subjects)
            self.run(connection)
            return self.models(connection, len(subjects), predicates)
        finally:
            connection.close()

    def models(
        self, connection: duckdb.DuckDBPyConnection, count: int, predicates: Iterable[PredicateKey]
    ) -> list[dict[str, list[tuple[Row, int]]]]:
        """After :meth:`run`: the rows of ``predicates`` for subjects 0 to ``count - 1``, each with its rule."""
        models = self._fill(connection, predicates, range(count), None)
        return [models[subject] for subject in range(count)]

    def _fill(
        self,
        connection: duckdb.DuckDBPyConnection,
        predicates: Iterable[PredicateKey],
        subjects: Iterable[int],
        only: str | None,
    ) -> dict[int, dict[str, list[tuple[Row, int]]]]:
        wanted = sorted(set(predicates))
        models: dict[int, dict[str, list[tuple[Row, int]]]] = {
            subject: {f"{name}/{arity}": [] for name, arity in wanted} for subject in subjects
        }
        for key in wanted:
            name = f"{key[0]}/{key[1]}"
            for subject, row, rule in self.derived(connection, key, only):
                for model in models.values() if subject < 0 else [models[subject]]:
                    model[name].append((row, rule))
        for model in models.values():
            for rows in model.values():
                rows.sort(key=lambda entry: (row_order(entry[0]), entry[1]))
        return models


def _stored(value: Value, slot: str, fact: Fact) -> object:
    if slot == "any":
        return encode(value)
    if (slot == "number") != isinstance(value, int) or isinstance(value, bool):
        raise SqlEvaluationError(f"{fact}: {value!r} is not a {slot}")
    return value


def _loaded(value: object, slot: str) -> Value:
    if slot == "any":
        return decode(str(value))
    if slot == "number":
        return int(str(value))
    return str(value)


__all__ = [
    "GROUPS_TABLE",
    "REPRESENTATIVES",
    "DerivedRow",
    "FactFiles",
    "SqlEngine",
    "SqlEvaluationError",
]
