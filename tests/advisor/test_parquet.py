"""Parquet in and out of ``batch``: the same answers as JSON Lines, row for line."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import duckdb
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner.advisor.batch import run
from backspasm.reasoner.advisor.inputs import read_parquet
from backspasm.reasoner.api import Advisor

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write_parquet(records: list[dict[str, object]], jsonl: Path, parquet: Path) -> None:
    """The records as JSON Lines, and as Parquet (one column per field, null where a record lacks one)."""
    jsonl.write_text("".join(json.dumps(record) + "\n" for record in records))
    with duckdb.connect() as connection:
        connection.execute(f"COPY (SELECT * FROM read_json('{jsonl}', format='newline_delimited')) TO '{parquet}'")


def records() -> list[dict[str, object]]:
    cohort = [json.loads(line) for line in (EXAMPLES / "cohort.jsonl").read_text().splitlines()]
    patients = [json.loads(path.read_text()) for path in sorted((EXAMPLES / "patients").glob("*.json"))]
    bad = {"id": "negative-age", "age": -4, "symptom_days": 3, "relaxant_days_taken": 0}
    return cohort[:3] + [bad] + cohort[3:] + patients


def test_a_parquet_cohort_is_answered_as_its_json_lines(tmp_path: Path) -> None:
    jsonl, parquet = tmp_path / "cohort.jsonl", tmp_path / "cohort.parquet"
    write_parquet(records(), jsonl, parquet)
    from_lines = CliRunner().invoke(main, ["batch", str(jsonl)])
    from_rows = CliRunner().invoke(main, ["batch", str(parquet)])
    assert (from_lines.exit_code, from_rows.exit_code) == (1, 1)
    assert from_rows.stdout == from_lines.stdout.replace(str(jsonl), str(parquet))
    assert from_rows.stderr.startswith(f"Error: {parquet}:4: age: -4 is below the minimum 0")


def test_answers_ending_in_parquet_hold_the_json_lines_row_for_line(tmp_path: Path) -> None:
    jsonl = tmp_path / "cohort.jsonl"
    jsonl.write_text("".join(json.dumps(record) + "\n" for record in records()))
    lines, rows = tmp_path / "answers.jsonl", tmp_path / "answers.parquet"
    assert CliRunner().invoke(main, ["batch", str(jsonl), "-o", str(lines)]).exit_code == 1
    assert CliRunner().invoke(main, ["batch", str(jsonl), "-o", str(rows)]).exit_code == 1
    with duckdb.connect() as connection:
        table = connection.execute(f"SELECT row, source, line, error, answer FROM '{rows}'").fetchall()
    expected = lines.read_text().splitlines()
    assert [answer for *_, answer in table] == expected
    assert [(row, source, line) for row, source, line, _, _ in table] == [
        (number, f"{jsonl}:{number}", number) for number in range(1, len(expected) + 1)
    ]
    assert [number for number, _, _, error, _ in table if error] == [4]


def test_a_file_that_is_not_parquet_is_one_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "cohort.parquet"
    broken.write_text("not parquet\n")
    result = CliRunner().invoke(main, ["batch", str(broken)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {broken}: cannot read the Parquet cohort: ")


ODD_ROWS = """
SELECT * FROM (VALUES
    ('Zoë "q" \\', 45::BIGINT, 10::BIGINT, 0::BIGINT, NULL::BOOLEAN,
        ['{"code": "hepatic_impairment", "severity": "mild"}', '"osteoporosis"']::JSON[],
        ['yoga', 'pilates']::VARCHAR[], NULL::INTEGER),
    (NULL, 70, 30, 3, true, NULL, ['not_a_preference'], NULL),
    ('tab' || chr(9), NULL, 5, 0, false, ['{"code": "pregnancy", "gestational_week": 12}']::JSON[], [], NULL),
    ('plain', 45, 10, 12, NULL, ['null']::JSON[], ['yoga', NULL], 7),
    ('limits', 45, 10, 30, NULL, []::JSON[], NULL, NULL)
) AS t(id, age, symptom_days, relaxant_days_taken, flare_up, conditions, preferences, unknown_field)
"""
"""Rows DuckDB writes as JSON text: escapes, nulls (absent fields), null list items, objects in a JSON list,
an unknown code, a missing id and age, an unknown column, days taken past the symptom days."""


def test_rows_written_as_json_text_are_judged_as_the_rows_read_in_python(tmp_path: Path, advisor: Advisor) -> None:
    parquet = tmp_path / "odd.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({ODD_ROWS}) TO '{parquet}'")
    as_text = list(read_parquet(parquet, parse=False))
    assert all(entry.text is not None for entry in as_text)
    texts = [outcome.to_text() for outcome in run(iter(as_text), advisor, engine="duckdb")]
    expected = [outcome.to_text() for outcome in run(read_parquet(parquet), advisor, engine="pydatalog")]
    assert texts == expected
    assert sum('"error"' in text for text in texts) == 4  # only 'Zoë' is valid


def test_columns_of_other_types_are_read_in_python(tmp_path: Path) -> None:
    """A DOUBLE or a DATE could be written differently from how Python reads it: such a file is not turned into text."""
    parquet = tmp_path / "typed.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"COPY (SELECT 'a' AS id, 45.0::DOUBLE AS age, DATE '2026-01-01' AS seen) TO '{parquet}'")
    (entry,) = read_parquet(parquet, parse=False)
    assert entry.text is None and entry.data == {"id": "a", "age": 45.0, "seen": datetime.date(2026, 1, 1)}
