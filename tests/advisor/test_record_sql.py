"""The record checks in SQL judge every line as the hand-written validator does: same lines, fields, words."""

from __future__ import annotations

import json
from typing import Any

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from backspasm.reasoner.advisor.record_sql import check_lines, python_verdict
from tests.strategies import RECORD_SPEC, patients

FIELDS = [field.name for field in RECORD_SPEC.fields]
CODES = sorted({code for field in RECORD_SPEC.fields for code in field.codes})
ATTRIBUTES = sorted({attribute.name for field in RECORD_SPEC.fields for attribute in field.attributes})

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.integers(-(10**20), 10**20),
    st.sampled_from([*CODES, "", " ", "mild", "huge", "x y"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=4),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=6,
)
"""Any JSON value: what a field may be spoiled with."""


def code_items() -> st.SearchStrategy[Any]:
    """An item of a code list as people get it wrong: unknown codes, objects with odd or missing keys."""
    keys = st.sampled_from(["code", *ATTRIBUTES, "other"])
    return st.one_of(
        st.sampled_from(CODES),
        scalars,
        st.dictionaries(keys, st.one_of(st.sampled_from(CODES), scalars), max_size=3),
    )


@st.composite
def spoiled_patients(draw: st.DrawFn) -> dict[str, Any]:
    """A valid patient with a few things wrong: a field replaced, removed, added, or a code list spoiled."""
    record = draw(patients())
    for _ in range(draw(st.integers(1, 3))):
        change = draw(st.sampled_from(["replace", "remove", "add", "items", "number"]))
        name = draw(st.sampled_from(FIELDS))
        if change == "replace":
            record[name] = draw(values)
        elif change == "remove":
            record.pop(name, None)
        elif change == "add":
            record[draw(st.sampled_from(["extra", "Age", "notes", *FIELDS]))] = draw(values)
        elif change == "items":
            record[draw(st.sampled_from(["conditions", "medications", "allergies"]))] = draw(
                st.lists(code_items(), max_size=5)
            )
        else:
            record[name] = draw(st.integers(-3, 40000))
    return record


def verdicts_agree(lines: list[str]) -> int:
    """Assert SQL and Python give every line the same verdict; return how many lines SQL judged itself."""
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE cohort (line BIGINT, text VARCHAR)")
        connection.executemany("INSERT INTO cohort VALUES (?, ?)", list(enumerate(lines, start=1)))
        found = list(check_lines(RECORD_SPEC, connection, "cohort", "cohort.jsonl"))
        (hard,) = connection.execute("SELECT count(*) FROM record_hard").fetchone() or (0,)
    assert [line for line, _ in found] == list(range(1, len(lines) + 1))
    for (line, error), text in zip(found, lines, strict=True):
        expected = python_verdict(RECORD_SPEC, text, f"cohort.jsonl:{line}")
        assert (None if error is None else (error.source, error.problems)) == (
            None if expected is None else (expected.source, expected.problems)
        ), text
    return len(lines) - int(hard)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(patients(), spoiled_patients(), spoiled_patients()), min_size=1, max_size=25))
def test_sql_checks_give_each_record_the_python_validator_s_verdict(records: list[dict[str, Any]]) -> None:
    verdicts_agree([json.dumps(record) for record in records])


@settings(max_examples=15, deadline=None)
@given(st.lists(st.one_of(values, st.text(max_size=20)), min_size=1, max_size=10))
def test_lines_that_are_not_records_get_the_python_validator_s_verdict(raw: list[Any]) -> None:
    verdicts_agree([text if isinstance(text, str) and text.strip() else json.dumps(text) for text in raw])


def test_ordinary_mistakes_are_judged_in_sql_not_handed_back() -> None:
    lines = [
        '{"id": "no-age", "symptom_days": 3, "relaxant_days_taken": 0}',
        '{"id": "a", "age": 300, "symptom_days": 5, "relaxant_days_taken": 9, "foo": 1, "conditions": ["pregnancy", '
        '{"code": "hepatic_impairment"}, "pregnancy", {"code": "zzz", "bar": 2}, 3, null]}',
        '{"id": "b", "age": 30, "symptom_days": 5, "relaxant_days_taken": 4, "relaxant_course_day": 20}',
        '{"id": "b2", "age": 30, "symptom_days": 5, "relaxant_days_taken": 9, "relaxant_course_day": 20}',
        '{"id": "", "age": true, "symptom_days": [1], "relaxant_days_taken": {}, "flare_up": 3, "allergies": "x"}',
        '{"id": "c", "age": 30, "symptom_days": 5, "relaxant_days_taken": 3, "medications": '
        '[{"code": "maoi", "days_since_last_dose": -1}], "conditions": [{"code": "hepatic_impairment", '
        '"severity": "huge"}, {"code": "pregnancy", "gestational_week": 50}]}',
        '{"id": "d", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
    ]
    assert verdicts_agree(lines) == len(lines)


def test_lines_sql_could_misread_are_handed_to_the_python_validator() -> None:
    """Each line here holds one thing DuckDB's JSON reader would read otherwise than the strict one, or
    whose message SQL cannot write exactly: every one goes to Python, which gives its verdict."""
    ordinary = '"age": 30, "symptom_days": 5, "relaxant_days_taken": 0'
    deep = "[" * 64 + "]" * 64  # with the record's brace, 65: one more than MAX_NESTING
    lines = [
        '{"id": "Zoë", ' + ordinary + "}",
        '{"id": "a\\"b", ' + ordinary + "}",
        '{"id": "x", "age": 30.0, "symptom_days": 5, "relaxant_days_taken": 0}',
        '{"id": "x", "age": 3e1, "symptom_days": 5, "relaxant_days_taken": 0}',
        '{"id": "x", "age": 1234567890123456789012, "symptom_days": 5, "relaxant_days_taken": 0}',
        '{"id": "x", ' + ordinary + ",}",
        '{"id": "x", "age": NaN, "symptom_days": 5, "relaxant_days_taken": 0}',
        '{"id": "x", "age": -Infinity, "symptom_days": 5, "relaxant_days_taken": 0}',
        '{"id": "x", ' + ordinary + ', "notes": ' + deep + "}",
        '{"id": "x", "id": "y", ' + ordinary + "}",
    ]
    assert verdicts_agree(lines) == 0
    nested_to_the_limit = '{"id": "x", ' + ordinary + ', "notes": ' + "[" * 63 + "]" * 63 + "}"
    assert verdicts_agree([nested_to_the_limit]) == 1  # 64 brackets in all: judged in SQL
