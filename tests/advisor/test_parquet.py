"""Parquet in and out of ``batch``: the same answers as JSON Lines, row for line."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner.advisor.batch import Outcome, run
from backspasm.reasoner.advisor.cohort_lines import LineSlice
from backspasm.reasoner.advisor.inputs import read_parquet
from backspasm.reasoner.advisor.outputs import PARQUET_COLUMNS, ROWS_AT_ONCE, ParquetAnswers
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


def test_answers_written_one_by_one_and_by_slices_are_rows_in_order_and_leave_no_staging(tmp_path: Path) -> None:
    """The writer holds a slice at a time; rows from both ways of writing, however many, come out in
    order, a ``line`` that is None as null, a source with a newline in it kept whole, and once
    it closed nothing is left beside the target but the target."""
    target = tmp_path / "answers.parquet"
    writer = ParquetAnswers(target, header={"kb": "x"})
    expected: list[tuple[int, str, int | None, bool, str]] = []
    for number in range(ROWS_AT_ONCE + 3):  # more than are held at once
        failed = number % 7 == 0
        source = f"odd\nname.json:{number}" if number == 5 else f"cohort.jsonl:{number}"
        outcome = Outcome(number, source, None if number == 9 else number, error={"e": number} if failed else None)
        text = json.dumps({"n": number, "s": 'q"\\'})
        writer.write(outcome, text)
        expected.append((number + 1, source, outcome.line, failed, text))
    start = len(expected)
    places = [(start + offset, f"more.jsonl:{offset}", offset) for offset in range(3)]
    texts = [json.dumps({"m": offset}) for offset in range(3)]
    writer.write_slice(LineSlice("\n".join(texts), places, [Outcome(start + 1, "more.jsonl:1", 1, error={})]))
    expected += [
        (start + 1 + offset, f"more.jsonl:{offset}", offset, offset == 1, texts[offset]) for offset in range(3)
    ]
    writer.close()
    with duckdb.connect() as connection:
        rows = connection.execute(f"SELECT row, source, line, error, answer FROM '{target}'").fetchall()
        header = connection.execute(f"SELECT value FROM parquet_kv_metadata('{target}')").fetchone()
    assert rows == expected
    assert header is not None and json.loads(header[0]) == {"kb": "x"}
    assert sorted(tmp_path.iterdir()) == [target]


def test_a_writer_closed_before_any_answer_leaves_an_empty_file_with_the_columns(tmp_path: Path) -> None:
    target = tmp_path / "answers.parquet"
    ParquetAnswers(target).close()
    with duckdb.connect() as connection:
        described = connection.execute(f"DESCRIBE SELECT * FROM '{target}'").fetchall()
        counted = connection.execute(f"SELECT count(*) FROM '{target}'").fetchone()
    assert [(name, kind) for name, kind, *_ in described] == list(PARQUET_COLUMNS.items())
    assert counted == (0,)
    assert sorted(tmp_path.iterdir()) == [target]


def test_no_duckdb_connection_of_a_batch_may_draw_a_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In an interactive session (Python's prompt, a notebook, ``python -c``) DuckDB draws a progress
    bar on standard output, terminal or not, for any statement that runs over two seconds: among
    a batch's answers there. Every connection a batch opens, reading JSON Lines or Parquet,
    answering to standard output or to Parquet, has it off, even where DuckDB turned it on."""
    connect = duckdb.connect
    bars: list[bool] = []

    class Watched:
        """A connection that notes, as it closes, whether its progress bar was on."""

        def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
            self.connection = connection

        def __getattr__(self, name: str) -> Any:
            return getattr(self.connection, name)

        def __enter__(self) -> Watched:
            return self

        def __exit__(self, *_: object) -> None:
            self.close()

        def close(self) -> None:
            setting = self.connection.execute("SELECT current_setting('enable_progress_bar')").fetchone()
            bars.append(bool(setting and setting[0]))
            self.connection.close()

    jsonl, parquet = tmp_path / "cohort.jsonl", tmp_path / "cohort.parquet"
    write_parquet(records(), jsonl, parquet)

    def interactive(*arguments: Any, **options: Any) -> Watched:
        connection = connect(*arguments, **options)
        connection.execute("SET enable_progress_bar = true")  # as DuckDB starts in an interactive session
        return Watched(connection)

    monkeypatch.setattr(duckdb, "connect", interactive)
    for cohort in (jsonl, parquet):
        for output in ([], ["-o", str(tmp_path / "answers.parquet")]):
            bars.clear()
            result = CliRunner().invoke(main, ["batch", str(cohort), "--answers", "compact", *output])
            assert result.exit_code == 1, result.output
            assert len(bars) >= 1 + (cohort == parquet) + bool(output)
            assert not any(bars)
