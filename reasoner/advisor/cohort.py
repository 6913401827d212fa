"""Answer a chunk of a cohort set-at-a-time: the compiled program on DuckDB.

Records are read and validated as for one patient (:meth:`Advisor.read_record`), so a
bad record gives the same error outcome as on the pyDatalog path and never stops the
others. The valid ones are evaluated together by :class:`SqlEngine` in one in-memory
database per chunk, and each patient's answer is assembled from its own rows by the
same :func:`answer.assemble` that reads a pyDatalog session: the JSON is the same, item
for item, rule for rule.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from ..language.engine import Row, row_order
from ..language.program import PredicateKey, Program, Rule, Value
from ..language.sql_engine import FactFiles, SqlEngine
from . import answer as answers
from .advisor import Advisor
from .batch import Outcome, read_entry
from .cohort_sql import answer_text_chunk
from .compact import compact_answer
from .inputs import Entry
from .records import Record

DEFAULT_SQL_CHUNK_SIZE = 20_000
"""Patients per database: large enough that the fixed cost of ~250 statements is shared,
small enough that a chunk's tables and its distinct full answers (~10 KB each) stay well under
the memory limit."""
DEFAULT_SQL_COMPACT_CHUNK_SIZE = 40_000
"""Patients per database for compact answers (~2 KB each): twice as many fit in the same memory
(100 000 patients peaked at 350 MB in chunks of 40 000, 313 MB in chunks of 20 000)."""
DEFAULT_SPARK_CHUNK_SIZE = 1_000_000
"""Patients per Spark evaluation: the fixed cost of a run (a job per wave of rules) is
paid once per chunk, and the driver keeps a chunk on disk, not in memory."""
MEMORY_LIMIT = "1GB"
"""DuckDB's own ceiling; past it DuckDB spills to temporary files or fails, never grows unbounded."""


class SubjectRows:
    """One subject's derived rows with the rule behind each: what an answer is read from."""

    def __init__(self, program: Program, rows: dict[str, list[tuple[Row, int]]]) -> None:
        self._rules = program.rules
        self._rows = rows

    def derivations(self, predicate: str, *arguments: Value | None) -> list[tuple[Rule, Row]]:
        found = self._rows.get(f"{predicate}/{len(arguments)}", [])
        # The order a Session gives: by rule index, then by row, so answers cite rules alike.
        ordered = sorted(found, key=lambda entry: row_order((entry[1], *entry[0])))
        return [(self._rules[rule], row) for row, rule in ordered if _matches(row, arguments)]

    def query(self, predicate: str, *arguments: Value | None) -> list[Row]:
        rows = {row for _, row in self.derivations(predicate, *arguments)}
        return sorted(rows, key=row_order)


def _matches(row: Row, arguments: tuple[Value | None, ...]) -> bool:
    return all(wanted is None or wanted == value for value, wanted in zip(row, arguments, strict=True))


def answer_keys(advisor: Advisor, audit: bool, answers_wanted: bool) -> tuple[list[PredicateKey], bool]:
    """The predicates an answer is read from, and whether the invariants are among them."""
    spec = advisor.answer_spec
    keys: set[PredicateKey] = {(spec.items, 2)}
    if spec.parameters is not None:
        keys.add((spec.parameters, 3))
    if spec.conflicts is not None:
        keys.add((spec.conflicts, 2))
    checks = ("violation", 1) in advisor.kb.program.defined_predicates() and (audit or not answers_wanted)
    if checks:
        keys.add(("violation", 1))
    return sorted(keys), checks


def subject_outcome(
    advisor: Advisor,
    place: tuple[int, str, int | None],
    identifier: str,
    model: dict[str, list[tuple[Row, int]]],
    checks: bool,
    answers_wanted: bool,
    form: str = "full",
) -> Outcome:
    """One subject's outcome from its rows, whichever engine derived them: the same JSON as pyDatalog's.

    The compact form skips what it leaves out (statements, evidence references) rather than
    assembling and dropping them.
    """
    index, source, line = place
    rows = SubjectRows(advisor.kb.program, model)
    violations = tuple(str(row[0]) for row in rows.query("violation", None)) if checks else ()
    if not answers_wanted:
        return Outcome(index, source, line, violations=violations)
    compact = form == "compact"
    answer = answers.assemble(
        rows, advisor.answer_spec, advisor.kb.evidence, identifier, advisor.identity, details=not compact
    )
    text = compact_answer(answer) if compact else answer.to_json()
    return Outcome(index, source, line, text, answer.codes(), violations)


def answer_chunk_sql(
    advisor: Advisor,
    engine: SqlEngine,
    chunk: list[Entry],
    audit: bool,
    answers_wanted: bool = True,
    form: str = "full",
) -> list[Outcome]:
    """Outcomes of one chunk, in input order: errors for bad records, answers for the rest.

    A chunk of unparsed JSON Lines is parsed, validated and turned into facts by DuckDB
    (:mod:`cohort_sql`); entries that came parsed are validated in Python, one at a time.
    """
    keys, checks = answer_keys(advisor, audit, answers_wanted)
    if any(entry.text is not None for entry in chunk):
        outcomes = answer_text_chunk(
            advisor,
            engine,
            chunk,
            keys,
            lambda identifier, model: subject_outcome(
                advisor, (-1, "", None), identifier, model, checks, answers_wanted, form
            ),
            compact=form == "compact" and answers_wanted and not checks,
        )
        if outcomes is not None:
            return outcomes
    read = [read_entry(advisor, entry) for entry in chunk]
    valid = [record for record in read if isinstance(record, Record)]
    models = iter(engine.evaluate_by_rule([record.facts for record in valid], keys) if valid else [])
    return [
        found
        if isinstance(found, Outcome)
        else subject_outcome(
            advisor,
            (entry.index, entry.source, entry.line),
            found.identifier,
            next(models),
            checks,
            answers_wanted,
            form,
        )
        for entry, found in zip(chunk, read, strict=True)
    ]


def answer_cohort_spark(
    advisor: Advisor,
    entries: Iterable[Entry],
    *,
    audit: bool,
    answers_wanted: bool = True,
    chunk_size: int = DEFAULT_SPARK_CHUNK_SIZE,
    master: str | None = None,
    staging: Path | None = None,
    form: str = "full",
) -> Iterator[Outcome]:
    """Outcomes of a cohort on Spark, in input order, each chunk one Spark evaluation.

    Records are validated in Python, one at a time, by the record spec (as on the other
    engines); each valid record's facts go to the chunk's fact files in ``staging`` (a
    temporary folder, which a cluster's executors must be able to read), and what each
    entry needs for its outcome (its place, its identifier, or its error) to a ledger file
    beside them, so the driver holds no record of the chunk in memory. Answers stream back
    in subject order and are assembled as on DuckDB. The Spark session is the process's
    own (started for ``master``, default ``local[*]``, when there is none) and is stopped
    at the end only if this run started it.
    """
    from ..language.spark_engine import DEFAULT_MASTER, SparkEngine, active_session, spark_session

    started = active_session() is None
    session = spark_session(master or DEFAULT_MASTER)
    try:
        engine = SparkEngine(advisor.kb.program, session)
        keys, checks = answer_keys(advisor, audit, answers_wanted)
        iterator = iter(entries)
        while True:
            chunk = islice(iterator, chunk_size)
            with tempfile.TemporaryDirectory(prefix="backspasm-spark-", dir=staging) as folder:
                writer = FactFiles(engine.compiled, Path(folder))
                ledger_path = Path(folder) / "ledger.jsonl"
                count = 0
                try:
                    with ledger_path.open("w", encoding="utf-8") as ledger:
                        for entry in chunk:
                            count += 1
                            found = read_entry(advisor, entry)
                            place: dict[str, Any] = {"index": entry.index, "source": entry.source, "line": entry.line}
                            if isinstance(found, Outcome):
                                place["error"] = found.error
                            else:
                                writer.add(found.facts)
                                place["id"] = found.identifier
                            ledger.write(json.dumps(place) + "\n")
                finally:
                    files = writer.close()
                if count == 0:
                    return
                evaluation = engine.run(files, writer.subjects, Path(folder)) if writer.subjects else None
                try:
                    models = evaluation.models(keys) if evaluation is not None else iter(())
                    with ledger_path.open(encoding="utf-8") as ledger:
                        for text in ledger:
                            place = json.loads(text)
                            index, source, line_number = place["index"], place["source"], place["line"]
                            if "error" in place:
                                yield Outcome(index, source, line_number, error=place["error"])
                            else:
                                yield subject_outcome(
                                    advisor,
                                    (index, source, line_number),
                                    place["id"],
                                    next(models),
                                    checks,
                                    answers_wanted,
                                    form,
                                )
                finally:
                    if evaluation is not None:
                        evaluation.close()
    finally:
        if started:
            session.stop()


__all__ = [
    "DEFAULT_SPARK_CHUNK_SIZE",
    "DEFAULT_SQL_CHUNK_SIZE",
    "DEFAULT_SQL_COMPACT_CHUNK_SIZE",
    "MEMORY_LIMIT",
    "SubjectRows",
    "answer_chunk_sql",
    "answer_cohort_spark",
    "answer_keys",
    "read_entry",
    "subject_outcome",
]
