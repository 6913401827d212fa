"""Answer a chunk of a cohort set-at-a-time: the compiled program on DuckDB.

Records are read and validated as for one patient (:meth:`Advisor.read_record`), so a
bad record gives the same error outcome as on the pyDatalog path and never stops the
others. The valid ones are evaluated together by :class:`SqlEngine` in one in-memory
database per chunk, and each patient's answer is assembled from its own rows by the
same :func:`answer.assemble` that reads a pyDatalog session: the JSON is the same, item
for item, rule for rule.
"""

from __future__ import annotations

from ..errors import RecordError
from ..language.engine import Row, row_order
from ..language.program import PredicateKey, Program, Rule, Value
from ..language.sql_engine import SqlEngine
from . import answer as answers
from .advisor import Advisor
from .batch import Outcome, error_json
from .inputs import Entry
from .records import Record

DEFAULT_SQL_CHUNK_SIZE = 20_000
"""Patients per database: large enough that the fixed cost of ~100 statements is shared,
small enough that a chunk's tables stay well under the memory limit."""
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


def answer_chunk_sql(
    advisor: Advisor, engine: SqlEngine, chunk: list[Entry], audit: bool, answers_wanted: bool = True
) -> list[Outcome]:
    """Outcomes of one chunk, in input order: errors for bad records, answers for the rest."""
    outcomes: dict[int, Outcome] = {}
    valid: list[tuple[Entry, Record]] = []
    for position, entry in enumerate(chunk):
        if entry.error is not None:
            outcomes[position] = Outcome(
                entry.index, entry.source, entry.line, error=error_json(entry.error, entry.source, entry.line)
            )
            continue
        try:
            valid.append((entry, advisor.read_record(entry.data, entry.source)))
        except RecordError as error:
            outcomes[position] = Outcome(
                entry.index, entry.source, entry.line, error=error_json(error, entry.source, entry.line)
            )
    spec = advisor.answer_spec
    program = advisor.kb.program
    keys: set[PredicateKey] = {(spec.items, 2)}
    if spec.parameters is not None:
        keys.add((spec.parameters, 3))
    if spec.conflicts is not None:
        keys.add((spec.conflicts, 2))
    checks = ("violation", 1) in program.defined_predicates() and (audit or not answers_wanted)
    if checks:
        keys.add(("violation", 1))
    models = engine.evaluate_by_rule([record.facts for _, record in valid], sorted(keys)) if valid else []
    answered = iter(zip(valid, models, strict=True))
    results: list[Outcome] = []
    for position in range(len(chunk)):
        if position in outcomes:
            results.append(outcomes[position])
            continue
        (entry, record), model = next(answered)
        rows = SubjectRows(program, model)
        violations = tuple(str(row[0]) for row in rows.query("violation", None)) if checks else ()
        if not answers_wanted:
            results.append(Outcome(entry.index, entry.source, entry.line, violations=violations))
            continue
        answer = answers.assemble(rows, spec, advisor.kb.evidence, record.identifier, advisor.identity)
        results.append(Outcome(entry.index, entry.source, entry.line, answer.to_json(), answer.codes(), violations))
    return results


__all__ = ["DEFAULT_SQL_CHUNK_SIZE", "MEMORY_LIMIT", "SubjectRows", "answer_chunk_sql"]
