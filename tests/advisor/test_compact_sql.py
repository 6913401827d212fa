"""Compact lines built by DuckDB are, byte for byte, the lines Python assembles from the same rows."""

from __future__ import annotations

import json
from typing import Any

import duckdb
from hypothesis import given, settings
from hypothesis.strategies import lists

from backspasm.reasoner.advisor import cohort_sql
from backspasm.reasoner.advisor.batch import run
from backspasm.reasoner.advisor.cohort import answer_keys, subject_outcome
from backspasm.reasoner.advisor.compact_sql import _numbered, compact_lines
from backspasm.reasoner.advisor.inputs import read_jsonl
from backspasm.reasoner.advisor.records import Record
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.errors import RecordError
from backspasm.reasoner.language.sql_engine import SqlEngine
from backspasm.reasoner.language.to_sql import SUBJECTS_TABLE, encode
from tests.advisor.test_cohort import cohort_lines
from tests.strategies import patients


def sql_and_python_lines(advisor: Advisor, cohort: list[dict[str, Any]]) -> tuple[list[str | None], list[str]]:
    """Each patient's compact line (empty subject) as DuckDB writes it, and as Python writes it from its rows."""
    records = [advisor.read_record(data) for data in cohort]
    assert all(isinstance(record, Record) for record in records)
    engine = SqlEngine(advisor.kb.program)
    keys, checks = answer_keys(advisor, audit=False, answers_wanted=True)
    connection = engine.connect()
    try:
        engine.load_facts(connection, [record.facts for record in records])
        engine.run(connection)
        written = compact_lines(
            connection, engine.compiled, advisor.answer_spec, f"SELECT subject FROM {SUBJECTS_TABLE}"
        )
        models = engine.models(connection, len(records), keys)
    finally:
        connection.close()
    python = [
        subject_outcome(advisor, (-1, "", None), "", model, checks, True, "compact").to_text() for model in models
    ]
    return [written[subject] for subject in range(len(records))], python


def test_duckdb_writes_the_python_compact_line_of_every_example_and_boundary_patient(advisor: Advisor) -> None:
    cohort = []
    for line in cohort_lines(advisor, 200):
        try:
            data = json.loads(line)
            advisor.read_record(data)
        except (ValueError, RecordError):  # the bad lines among them: not a patient to answer
            continue
        cohort.append(data)
    sql, python = sql_and_python_lines(advisor, cohort)
    assert len(cohort) > 150
    assert any('"parameters":{"' in line for line in python)  # parameters and their rules are exercised
    assert sql == python


@settings(max_examples=10, deadline=None)
@given(lists(patients(), min_size=1, max_size=18))
def test_duckdb_writes_the_python_compact_line_of_generated_cohorts(
    advisor: Advisor, cohort: list[dict[str, Any]]
) -> None:
    sql, python = sql_and_python_lines(advisor, cohort)
    assert sql == python


def _item_lines(advisor: Advisor, parameters: list[list[tuple[str, object]]]) -> list[str | None]:
    """DuckDB's lines of subjects 0, 1, … each with the same one item of the spec, and subject N with the
    parameters ``parameters[N]`` (name, value) for it."""
    spec = advisor.answer_spec
    assert spec.parameters is not None
    engine = SqlEngine(advisor.kb.program)
    code, kind = next(iter(spec.codes)), spec.kinds[0]
    connection = engine.connect()
    try:
        for subject, named in enumerate(parameters):
            rows = [((spec.items, 2), [code, kind])]
            rows += [((spec.parameters, 3), [code, name, value]) for name, value in named]
            for key, values in rows:
                relation = engine.compiled.relations[key]
                assert relation.per_subject
                stored = [
                    encode(value) if slot == "any" else value
                    for value, slot in zip(values, relation.types, strict=True)
                ]
                marks = ", ".join("?" * len(stored))
                connection.execute(
                    f"INSERT INTO {relation.table} ({', '.join(relation.columns)}) VALUES ({subject}, {marks}, 0)",
                    stored,
                )
        subjects = " UNION ALL ".join(f"SELECT {subject}::BIGINT AS subject" for subject in range(len(parameters)))
        written = compact_lines(connection, engine.compiled, spec, subjects)
        return [written[subject] for subject in range(len(parameters))]
    finally:
        connection.close()


def _one_item_line(advisor: Advisor, value: str) -> str | None:
    """DuckDB's line of one subject with one item of the spec whose parameter ``days`` is the symbol ``value``."""
    return _item_lines(advisor, [[("days", value)]])[0]


def test_items_share_a_text_only_when_their_rows_are_the_same(advisor: Advisor) -> None:
    """Items whose rows would read alike if run together (a number and the symbol of its digits; a
    name and value that make the same characters as another name and value) keep their own text."""
    parameters: list[list[tuple[str, object]]] = [
        [("days", 5)],
        [("days", "5")],
        [("days", "s1")],
        [("day", "ss1")],
        [("days", 5)],
        [],
    ]
    together = _item_lines(advisor, parameters)
    alone = [_item_lines(advisor, [named])[0] for named in parameters]
    assert together == alone
    assert len(set(together)) == 5  # the first and fifth subjects alike, every other line its own
    assert '"parameters":{"days":5}' in str(together[0]) and '"parameters":{"days":"5"}' in str(together[1])


def test_a_string_json_would_escape_is_left_to_python(advisor: Advisor) -> None:
    """A value that is not printable ASCII makes the line Python's, which escapes it as JSON does."""
    rule = advisor.kb.program.rules[0]
    code, kind = next(iter(advisor.answer_spec.codes)), advisor.answer_spec.kinds[0]
    assert _one_item_line(advisor, 'a "b" \\ c') == json.dumps(
        {
            "items": [
                {
                    "code": code,
                    "conflicts": [],
                    "kind": kind,
                    "parameters": {"days": 'a "b" \\ c'},
                    "rules": [rule.rule_id or str(rule)],
                }
            ],
            "subject": "",
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    assert _one_item_line(advisor, "caf\u00e9") is None
    assert _one_item_line(advisor, "tab\there") is None


def test_lines_duckdb_leaves_to_python_are_assembled_there(advisor: Advisor, monkeypatch: Any) -> None:
    """Whatever lines SQL leaves out (here every other one), the batch's compact lines stay Python's."""
    written = cohort_sql.stored_lines_query

    def every_other(subjects: str) -> str:
        return f"SELECT subject, CASE WHEN subject % 2 = 1 THEN line END AS line FROM ({written(subjects)})"

    lines = cohort_lines(advisor, 30)
    expected = [
        outcome.to_text() for outcome in run(read_jsonl(lines, "c"), advisor, engine="pydatalog", form="compact")
    ]
    monkeypatch.setattr(cohort_sql, "stored_lines_query", every_other)
    found = [
        outcome.to_text()
        for outcome in run(read_jsonl(lines, "c"), advisor, engine="duckdb", form="compact", chunk_size=16)
    ]
    assert found == expected


def test_lookup_values_keep_their_places_even_with_a_newline_in_one() -> None:
    """The kinds, codes and rule ids go to DuckDB joined by newlines; a value holding a newline
    must not be split in two, nor shift the places of the values after it."""
    for values in (["refer", "warn", "recommend"], ["a", "b\nc", "d"], []):
        with duckdb.connect() as connection:
            connection.execute("CREATE TABLE places (value VARCHAR, place INT)")
            _numbered(connection, "places", values, "value, number")
            assert connection.execute("SELECT value, place FROM places ORDER BY place").fetchall() == [
                (value, place) for place, value in enumerate(values)
            ]
