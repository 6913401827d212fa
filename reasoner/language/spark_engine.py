"""Run a compiled program on Apache Spark, for cohorts beyond one machine.

The same program, compiled by :mod:`to_sql` and written in Spark's SQL dialect, evaluated
in the same order of steps as :class:`sql_engine.SqlEngine`; only how the tables are kept
differs. pyspark is an optional extra (``pip install 'backspasm[spark]'``): this module
is imported by ``batch --engine spark`` alone, never on the start-up path of a command.

Every table of the program is a temporary view of the session, re-registered at the
start of each run, so nothing of an earlier run is ever read. Spark pays per job, not
per row, so the work is laid out in few jobs:

- **Subject-independent tables first.** The KB's facts and what follows from them alone
  are computed, read back, and registered as literal ``VALUES`` (a local relation Spark
  broadcasts to every join without a job of its own).
- **Waves.** The per-subject steps are cut, in order, into waves of rules none of which
  reads another rule of its wave. A wave is one Spark job: its rules' rows, and the rows
  already in the tables it adds to, are gathered into one table of tagged rows (every
  argument as text, cast back per column on reading), hash-partitioned by subject and
  kept (a local checkpoint), which cuts the plan's lineage so no plan grows with the
  program's depth. All per-subject tables are partitioned alike, and joins on the
  subject need no shuffle.
- **Recursive groups** run semi-naively, one wave per round, until a round adds nothing.

Subjects' input facts come from the JSON Lines files of :class:`sql_engine.FactFiles`,
the same files DuckDB reads, so a fact is checked and stored alike on both engines.
The wanted rows are grouped per subject, written by Spark as JSON Lines in subject order
and read back part by part, so the driver's memory does not grow with the cohort.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlglot.expressions as exp
from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .budget import default_budget
from .engine import Fact, Row, row_order
from .program import PredicateKey, Program
from .spark_rows import TAG, Model, model_of, relation_name, row_arguments, value_literal, written_rows
from .spark_session import DEFAULT_MASTER, SparkError, active_session, first_line, session_config, spark_session
from .sql_engine import MAX_RECURSIVE_ROUNDS, FactFiles, SqlEvaluationError
from .to_sql import (
    RULE,
    SUBJECT,
    SUBJECTS_TABLE,
    CompiledProgram,
    FactStep,
    RecursiveStep,
    Relation,
    Step,
    column_types,
    compile_program,
    delta_table,
    rule_dependencies,
)

DIALECT = "spark"
SUBJECTS_PER_PARTITION = 10_000
"""Subjects per partition of the per-subject tables (at least one partition per core): a
task's rows of one wave stay a few hundred thousand, well inside the Java heap."""
CODEGEN_FROM_SUBJECTS = 10_000
"""Runs of fewer subjects skip whole-stage code generation (bench/spark_benchmark.py)."""


class SparkEngine:
    """Evaluate a validated program over a cohort on a Spark session."""

    def __init__(self, program: Program, session: SparkSession) -> None:
        self.compiled: CompiledProgram = compile_program(program)
        self.session = session
        relations = list(self.compiled.relations.values())
        self._ids = {relation.key: number for number, relation in enumerate(relations)}
        self._subjects_id = len(relations)
        self._width = max((len(relation.types) for relation in relations), default=0)

    def run(self, files: Mapping[Relation, Path], subjects: int, folder: Path) -> SparkRun:
        """Evaluate the program for ``subjects`` subjects whose input facts are in ``files``;
        rows read back are written in ``folder``.

        Small runs are interpreted rather than compiled to Java code per stage: below
        :data:`CODEGEN_FROM_SUBJECTS` subjects the compiling costs more than it saves.
        """
        partitions = max(self.session.sparkContext.defaultParallelism, math.ceil(subjects / SUBJECTS_PER_PARTITION))
        self.session.conf.set("spark.sql.shuffle.partitions", str(partitions))
        self.session.conf.set("spark.sql.codegen.wholeStage", str(subjects >= CODEGEN_FROM_SUBJECTS).lower())
        evaluation = SparkRun(self, partitions, subjects, folder)
        try:
            evaluation.load(files)
            evaluation.evaluate()
        except (PySparkException, Py4JError) as error:
            evaluation.close()
            raise SparkError(f"Spark stopped the run: {first_line(error)}") from None
        return evaluation

    def evaluate_by_rule(self, subjects: Sequence[Iterable[Fact]], predicates: Iterable[PredicateKey]) -> list[Model]:
        """Like :meth:`SqlEngine.evaluate_by_rule`: each subject's rows of ``predicates`` with their rules."""
        with tempfile.TemporaryDirectory(prefix="backspasm-spark-") as folder:
            writer = FactFiles(self.compiled, Path(folder))
            for facts in subjects:
                writer.add(facts)
            evaluation = self.run(writer.close(), writer.subjects, Path(folder))
            try:
                return list(evaluation.models(predicates))
            finally:
                evaluation.close()


class SparkRun:
    """One evaluation: the session's views of every table, for one set of subjects.

    A relation's view is a query over the kept table of the last wave that added to it
    (``_wave3``, say), selecting its tag and casting its columns back; the queries are
    built as sqlglot trees and written in Spark's dialect, like the rules themselves.
    """

    def __init__(self, engine: SparkEngine, partitions: int, subjects: int, folder: Path) -> None:
        self.engine = engine
        self.folder = folder
        """Where rows read back are written: the input facts' folder."""
        self._reads = 0
        self.compiled = engine.compiled
        self.session = engine.session
        self.partitions = partitions
        self.subjects = subjects
        self._views: set[str] = set()
        self._waves = 0

    # -- tables -------------------------------------------------------------------------

    def _sql(self, query: exp.Expr) -> DataFrame:
        return self.session.sql(query.sql(dialect=DIALECT))

    def _read(self, frame: DataFrame) -> Iterator[dict[str, Any]]:
        self._reads += 1
        return written_rows(frame, self.folder / f"_read{self._reads}")

    def _register(self, name: str, frame: DataFrame) -> None:
        frame.createOrReplaceTempView(name)
        self._views.add(name)

    def _empty(self, relation: Relation) -> DataFrame:
        columns = [exp.alias_(exp.cast(exp.null(), kind), name) for name, kind in column_types(relation)]
        return self._sql(exp.select(*columns).where(exp.false()))

    def _tag(self, relation: Relation) -> int:
        return self.engine._ids[relation.key]

    def _tagged(self, relation: Relation, source: exp.Expr) -> exp.Select:
        """Rows of ``relation`` in the shape every kept table shares: tag, subject, rule, arguments as text."""
        subject: exp.Expr = exp.column(SUBJECT) if relation.per_subject else exp.cast(exp.null(), "BIGINT")
        rule: exp.Expr = exp.column(RULE) if relation.derived else exp.cast(exp.null(), "INT")
        arguments = [
            exp.alias_(
                exp.cast(exp.column(f"a{index}") if index < len(relation.types) else exp.null(), "VARCHAR"),
                f"a{index}",
            )
            for index in range(self.engine._width)
        ]
        columns = [exp.alias_(exp.Literal.number(self._tag(relation)), TAG), exp.alias_(subject, SUBJECT)]
        return exp.select(*columns, exp.alias_(rule, RULE), *arguments).from_(source)

    def _untagged(self, table: str, relation: Relation, tag: int | None = None) -> exp.Select:
        """The rows of one relation in a kept table, with the relation's own column types.

        The subject column is passed through untouched, so the kept table's partitioning holds.
        """
        columns = [
            # TRY_CAST: Spark may compute a cast before the tag's filter, on other relations' rows.
            exp.column(name)
            if name == SUBJECT
            else exp.alias_(exp.TryCast(this=exp.column(name), to=exp.DataType.build(kind), safe=True), name)
            for name, kind in column_types(relation)
        ]
        wanted = self._tag(relation) if tag is None else tag
        return (
            exp.select(*columns).from_(table).where(exp.EQ(this=exp.column(TAG), expression=exp.Literal.number(wanted)))
        )

    def _keep(self, parts: list[exp.Select]) -> str:
        """Tagged rows in one table, hash-partitioned by subject, computed now (one job) and kept; its view's name."""
        union: exp.Query = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False)
        table = self._sql(union).repartition(self.partitions, SUBJECT).localCheckpoint(eager=True)
        name = f"_wave{self._waves}"
        self._waves += 1
        self._register(name, table)
        return name

    def _wave(self, pieces: list[tuple[Relation, exp.Select]]) -> None:
        """One job: the pieces' rows and the rows already in their tables, kept together."""
        touched = {relation.key: relation for relation, _ in pieces}
        parts = [self._tagged(relation, select.subquery("piece")) for relation, select in pieces]
        parts += [self._tagged(relation, exp.to_table(relation.table)) for relation in touched.values()]
        table = self._keep(parts)
        for relation in touched.values():
            self._register(relation.table, self._sql(self._untagged(table, relation)))

    # -- loading ------------------------------------------------------------------------

    def load(self, files: Mapping[Relation, Path]) -> None:
        """The subjects and their input facts, in one job; every other table empty."""
        width = self.engine._width
        schema = ", ".join([f"{SUBJECT} BIGINT", *(f"a{index} STRING" for index in range(width))])
        self._register(
            "_subject_numbers",
            self.session.range(0, self.subjects, 1, self.partitions).withColumnRenamed("id", SUBJECT),
        )
        subjects = exp.select(
            exp.alias_(exp.Literal.number(self.engine._subjects_id), TAG),
            exp.column(SUBJECT),
            exp.alias_(exp.cast(exp.null(), "INT"), RULE),
            *(exp.alias_(exp.cast(exp.null(), "VARCHAR"), f"a{index}") for index in range(width)),
        ).from_("_subject_numbers")
        parts = [subjects]
        if files:
            # One read of every input file; each row is tagged by the file it came from. The
            # arguments are read as text (Spark's JSON reader gives a number's digits) and
            # cast back per column like every kept table's.
            facts = self.session.read.schema(schema).json([str(path) for path in files.values()])
            self._register("_input_facts", facts.select("*", F.col("_metadata.file_name").alias("file_name")))
            tag = exp.Case(
                ifs=[
                    exp.If(
                        this=exp.EQ(this=exp.column("file_name"), expression=exp.Literal.string(path.name)),
                        true=exp.Literal.number(self._tag(relation)),
                    )
                    for relation, path in files.items()
                ]
            )
            parts.append(
                exp.select(
                    exp.alias_(tag, TAG),
                    exp.column(SUBJECT),
                    exp.alias_(exp.cast(exp.null(), "INT"), RULE),
                    *(exp.column(f"a{index}") for index in range(width)),
                ).from_("_input_facts")
            )
        table = self._keep(parts)
        subjects_only = exp.select(SUBJECT).from_(table)
        self._register(SUBJECTS_TABLE, self._sql(subjects_only.where(f"{TAG} = {self.engine._subjects_id}")))
        for relation in self.compiled.relations.values():
            # Every per-subject table, empty or not, starts partitioned like the others.
            frame = self._sql(self._untagged(table, relation)) if relation.per_subject else self._empty(relation)
            self._register(relation.table, frame)

    # -- evaluation ---------------------------------------------------------------------

    def evaluate(self) -> None:
        """Every step: the subject-independent ones first, then the per-subject ones in waves."""
        shared: list[Step] = []
        per_subject: list[Step] = []
        for step in self.compiled.steps:
            (per_subject if self._step_per_subject(step) else shared).append(step)
        self._run_steps(shared)
        self._literals([relation for relation in self.compiled.relations.values() if not relation.per_subject])
        self._run_steps(per_subject)

    def _step_per_subject(self, step: Step) -> bool:
        rules = step.rules if isinstance(step, FactStep | RecursiveStep) else (step.rule,)
        return any(self.compiled.relations[self.compiled.program.rules[index].head.key].per_subject for index in rules)

    def _run_steps(self, steps: list[Step]) -> None:
        """Steps in order, cut into waves: a step that reads a rule of the current wave starts the next."""
        needs = rule_dependencies(self.compiled.program)
        wave: list[tuple[Relation, exp.Select]] = []
        in_wave: set[int] = set()
        for step in steps:
            if isinstance(step, RecursiveStep):
                if wave:
                    self._wave(wave)
                    wave, in_wave = [], set()
                self._fixpoint(step)
                continue
            if isinstance(step, FactStep):
                relation, rules = self.compiled.relations[step.key], step.rules
                select = self.compiled.insert_facts(step).expression
            else:
                relation, rules = self.compiled.relations[self.compiled.program.rules[step.rule].head.key], (step.rule,)
                select = self.compiled.rule_select(step.rule)
            if any(needs.get(index, set()) & in_wave for index in rules):
                self._wave(wave)
                wave, in_wave = [], set()
            wave.append((relation, select))
            in_wave.update(rules)
        if wave:
            self._wave(wave)

    def _literals(self, relations: list[Relation]) -> None:
        """Subject-independent tables as ``VALUES``, read back in one job: local relations,
        broadcast to every join (by a hint) at no job's cost."""
        if not relations:
            return
        by_tag = {self._tag(relation): relation for relation in relations}
        parts = [self._tagged(relation, exp.to_table(relation.table)) for relation in relations]
        union: exp.Query = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False)
        rows: dict[int, list[tuple[Row, int]]] = {tag: [] for tag in by_tag}
        for found in self._read(self._sql(union)):
            tag = int(found[TAG])
            rows[tag].append((row_arguments(found, by_tag[tag]), int(found[RULE])))
        for tag, relation in by_tag.items():
            self._register(relation.table, F.broadcast(self._values(relation, sorted(rows[tag], key=str))))

    def _values(self, relation: Relation, rows: list[tuple[Row, int]]) -> DataFrame:
        if not rows:
            return self._empty(relation)
        columns = column_types(relation)
        values = [
            exp.Tuple(
                expressions=[
                    *(value_literal(value, slot) for value, slot in zip(row, relation.types, strict=True)),
                    exp.Literal.number(rule),
                ]
            )
            for row, rule in rows
        ]
        source = exp.values(values, alias="v", columns=[name for name, _ in columns])
        return self._sql(
            exp.select(*(exp.alias_(exp.cast(exp.column(name), kind), name) for name, kind in columns)).from_(source)
        )

    def _fixpoint(self, step: RecursiveStep) -> None:
        """Semi-naive rounds: each round's new rows become the next round's delta tables, until none is new."""
        relations = self.compiled.step_relations(step)
        for relation in relations:
            self._register(delta_table(relation), self._empty(relation))
        limit = default_budget().facts * max(1, self.subjects)
        total = 0
        for round_number in range(MAX_RECURSIVE_ROUNDS):
            parts = []
            for relation in relations:
                query = self.compiled.round_select(step, relation.key, first=round_number == 0)
                if isinstance(query, exp.Query):
                    parts.append(self._tagged(relation, query.subquery("piece")))
            if not parts:
                return
            fresh = self._keep(parts)
            added = self.session.table(fresh).count()
            if added == 0:
                return
            for relation in relations:
                self._register(delta_table(relation), self._sql(self._untagged(fresh, relation)))
            self._wave([(relation, exp.select("*").from_(delta_table(relation))) for relation in relations])
            total += added
            if total > limit:
                break
        rules = ", ".join(str(self.compiled.program.rules[index]) for index in step.rules)
        raise SqlEvaluationError(f"recursive rules keep deriving new facts and were stopped: {rules}")

    # -- reading ------------------------------------------------------------------------

    def models(self, predicates: Iterable[PredicateKey]) -> Iterator[Model]:
        """Each subject's rows of ``predicates``, subject by subject from 0, read as they stream in."""
        wanted = sorted(set(predicates))
        relations = [self.compiled.relations[key] for key in wanted]
        shared: Model = {}
        for relation in relations:
            if not relation.per_subject:
                rows = self._read(self._sql(self._tagged(relation, exp.to_table(relation.table))))
                shared[relation_name(relation)] = [(row_arguments(row, relation), int(row[RULE])) for row in rows]
        by_tag = {self._tag(relation): relation for relation in relations if relation.per_subject}
        grouped: Iterator[tuple[int, Model]] = iter(())
        if by_tag:
            parts = [self._tagged(relation, exp.to_table(relation.table)) for relation in by_tag.values()]
            union: exp.Query = parts[0]
            for part in parts[1:]:
                union = exp.union(union, part, distinct=False)
            columns = [TAG, RULE, *(f"a{index}" for index in range(self.engine._width))]
            # Grouped where the rows are (the tables are partitioned by subject), then cut into
            # ranges of subjects, so that partitions stream in subject order.
            per_subject = (
                self._sql(union)
                .groupBy(SUBJECT)
                .agg(F.collect_list(F.struct(*columns)).alias("rows"))
                .repartitionByRange(self.partitions, SUBJECT)
                .sortWithinPartitions(SUBJECT)
            )
            grouped = ((int(found[SUBJECT]), model_of(found["rows"], by_tag)) for found in self._read(per_subject))
        pending = next(grouped, None)
        for subject in range(self.subjects):
            model: Model = {
                relation_name(relation): list(shared.get(relation_name(relation), [])) for relation in relations
            }
            if pending is not None and pending[0] == subject:
                for name, found in pending[1].items():
                    model[name].extend(found)
                pending = next(grouped, None)
            for found in model.values():
                found.sort(key=lambda entry: (row_order(entry[0]), entry[1]))
            yield model
        if pending is not None or next(grouped, None) is not None:
            raise SparkError("Spark gave rows for a subject that the run does not have")

    def close(self) -> None:
        """Drop this run's views; Spark frees their kept partitions once nothing refers to them."""
        for name in self._views:
            self.session.catalog.dropTempView(name)
        self._views.clear()


__all__ = [
    "DEFAULT_MASTER",
    "Model",
    "SparkEngine",
    "SparkError",
    "SparkRun",
    "active_session",
    "session_config",
    "spark_session",
]
