"""The batch's fast path writes, line for line, what the outcome-by-outcome path writes, and says every error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner.advisor import cohort_lines, cohort_sql
from backspasm.reasoner.advisor.batch import run
from backspasm.reasoner.advisor.cohort_lines import line_slices
from backspasm.reasoner.advisor.inputs import read_jsonl
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.language.sql_engine import SqlEngine

from .test_cohort import cohort_lines as example_lines

ROOT = Path(__file__).resolve().parents[2]

ODD_LINES = [
    '{"id": "Zoë", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
    '{"id": "tab\\there", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
    '{"id": "a\\"b", "age": 70.0, "symptom_days": 30, "relaxant_days_taken": 3, "conditions": ["osteoporosis"]}',
    '{"id": "quote\\" and \\\\ backslash", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
    '{"id": "", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
    '{"age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
    '{"id": "comma", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0,}',
    '{"id": "nan", "age": NaN, "symptom_days": 10, "relaxant_days_taken": 0}',
    "",
    "[1, 2]",
]
"""Identifiers JSON escapes, an empty one, a missing one, lines the SQL checks hand to Python, a blank line, a list."""


def lines_of(advisor: Advisor) -> list[str]:
    return ODD_LINES[:4] + example_lines(advisor, 40) + ODD_LINES[4:]


ERRORS = 3 + 5
"""The example lines' three bad records, and here: an empty id, no id, a trailing comma, NaN, a list."""


def expected_lines(advisor: Advisor, lines: list[str], form: str) -> list[str]:
    outcomes = run(read_jsonl(lines, "c", parse=False), advisor, engine="duckdb", form=form, chunk_size=16)
    return [outcome.to_text() for outcome in outcomes]


def written(advisor: Advisor, lines: list[str], form: str) -> tuple[list[str], list[Any], int]:
    text, errors, count = [], [], 0
    for piece in line_slices(advisor, read_jsonl(lines, "c", parse=False), chunk_size=16, form=form):
        text.extend(piece.text.split("\n") if piece.text else [])
        errors.extend(piece.errors)
        count += piece.count
    return text, errors, count


@pytest.mark.parametrize("form", ["full", "compact"])
def test_lines_are_the_outcomes_texts_in_input_order(advisor: Advisor, form: str, monkeypatch: Any) -> None:
    monkeypatch.setattr(cohort_lines, "LINES_AT_ONCE", 5)  # slices that cut chunks anywhere
    monkeypatch.setattr(cohort_sql, "TEXT_ROWS_AT_ONCE", 3)  # and lines sent to DuckDB in pieces
    lines = lines_of(advisor)
    found, errors, count = written(advisor, lines, form)
    expected = expected_lines(advisor, lines, form)
    assert found == expected
    assert count == len(expected) == len([line for line in lines if line.strip()])
    assert [error.to_text() for error in errors] == [text for text in expected if text.startswith('{"error"')]
    assert len(errors) == ERRORS


def test_subjects_put_in_by_sql_are_escaped_as_json(advisor: Advisor) -> None:
    found, _, _ = written(advisor, ODD_LINES[:4], "compact")
    assert [line[line.index('"subject":') :] for line in found] == [
        '"subject":"Zo\\u00eb"}',
        '"subject":"tab\\there"}',
        '"subject":"a\\"b"}',
        '"subject":"quote\\" and \\\\ backslash"}',
    ]


def test_a_symbol_the_enum_does_not_list_sends_its_chunk_through_again_as_text(
    advisor: Advisor, monkeypatch: Any
) -> None:
    """Symbol columns are an ENUM of the program's and the record's symbols. With the record's left
    out, a preference ("walking") cannot be stored: DuckDB refuses it, the chunk is evaluated again
    with symbols as text, and the lines are the same, none lost or wrong."""
    monkeypatch.setattr(cohort_lines, "SqlEngine", _engine_without_record_symbols)
    connections: list[bool] = []
    connect = SqlEngine.connect
    monkeypatch.setattr(SqlEngine, "connect", lambda self, enum=False: connections.append(enum) or connect(self, enum))
    lines = lines_of(advisor)
    assert any('"walking"' in line for line in lines)
    found, errors, count = written(advisor, lines, "compact")
    assert found == expected_lines(advisor, lines, "compact")
    assert count == len(found) and len(errors) == ERRORS
    assert connections[:2] == [True, False]  # the first chunk holds a preference: tried as an ENUM, then as text


def _engine_without_record_symbols(program: Any, memory_limit: str | None = None, symbols: Any = ()) -> SqlEngine:
    return SqlEngine(program, memory_limit=memory_limit)


def test_a_chunk_sql_cannot_hold_is_written_by_the_other_path(advisor: Advisor, monkeypatch: Any) -> None:
    """When a KB's facts do not fit the SQL columns, the chunk's outcomes come from the outcome path, unchanged."""
    monkeypatch.setattr(cohort_sql, "fact_statements", lambda spec, compiled: None)
    lines = lines_of(advisor)
    found, errors, count = written(advisor, lines, "full")
    assert found == expected_lines(advisor, lines, "full")
    assert count == len(found) and len(errors) == ERRORS


def test_compact_lines_duckdb_leaves_out_are_assembled_by_python(advisor: Advisor, monkeypatch: Any) -> None:
    """A representative whose compact line SQL cannot write (here: every one) is assembled in Python, same bytes."""
    monkeypatch.setattr(cohort_sql, "stored_lines_query", _no_lines)
    lines = lines_of(advisor)
    found, _, _ = written(advisor, lines, "compact")
    assert found == expected_lines(advisor, lines, "compact")


def _no_lines(subjects: str) -> str:
    return f"SELECT subject, NULL::VARCHAR AS line FROM ({subjects})"


def test_the_audit_counted_in_sql_is_the_audit_of_the_outcomes(tmp_path: Path, advisor: Advisor) -> None:
    """With a rule broken so that invariants fail, --audit on DuckDB's fast path counts what pydatalog counts."""
    broken = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", broken)
    relaxant = broken / "relaxant.dl"
    relaxant.write_text(relaxant.read_text().replace(", not relaxant_excluded(_).", "."))
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n".join(lines_of(advisor) + example_lines(advisor, 200)) + "\n")
    printed = {}
    for engine in ("duckdb", "pydatalog"):
        answers = tmp_path / f"{engine}.jsonl"
        options = ["--kb", str(broken), "--audit", "--format", "json", "--chunk-size", "16", "-o", str(answers)]
        result = CliRunner().invoke(main, ["batch", str(cohort), "--engine", engine, *options])
        assert result.exit_code == 1, result.output
        printed[engine] = (json.loads(result.stdout), answers.read_text())
    assert printed["duckdb"] == printed["pydatalog"]
    audit = printed["duckdb"][0]
    assert audit["errors"] == 2 * 3 + 5 and audit["codes"]
    assert sum(entry["patients"] for entry in audit["violations"]) > 10  # examples capped at 10, over chunks


def test_a_chunk_whose_lines_do_not_match_its_entries_is_never_written(
    advisor: Advisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer text gone missing would shift every later line onto the wrong patient: the chunk stops
    with an error instead, before any of its lines is written, and each slice is checked again."""
    stored = cohort_lines._answer_texts

    def one_text_lost(connection: Any, *arguments: Any) -> None:
        stored(connection, *arguments)
        connection.execute(
            f"DELETE FROM {cohort_lines.TEXTS} WHERE subject = (SELECT max(subject) FROM {cohort_lines.TEXTS})"
        )

    monkeypatch.setattr(cohort_lines, "_answer_texts", one_text_lost)
    lines = lines_of(advisor)
    slices = line_slices(advisor, read_jsonl(lines, "c", parse=False), chunk_size=len(lines), form="compact")
    with pytest.raises(RuntimeError, match=r"a chunk of \d+ entries gave \d+ lines"):
        next(slices)
    monkeypatch.setattr(cohort_lines, "_check_line_count", lambda connection, expected: None)
    monkeypatch.setattr(cohort_lines, "LINES_AT_ONCE", 10)
    found = []
    with pytest.raises(RuntimeError, match=r"entries \d+ to \d+ gave \d+ lines, not 10"):
        for piece in line_slices(
            advisor, read_jsonl(lines_of(advisor), "c", parse=False), chunk_size=64, form="compact"
        ):
            found.append(piece.count)
    assert all(count == 10 for count in found)


@pytest.mark.parametrize("rows_at_once", [1, 2, 5, 10_000])
def test_text_rows_sent_in_pieces_are_the_rows_sent_at_once(rows_at_once: int) -> None:
    texts = ['{"a": 1}', "", "{}", 'x,"y"', "last"]
    numbers = {"line": [7, 3, 11, 0, 5], "subject": [70, 30, 110, 0, 50]}
    connection = duckdb.connect()
    cohort_sql.text_rows(connection, "rows", numbers, texts, rows_at_once=rows_at_once)
    found = connection.execute("SELECT line, subject, text FROM rows ORDER BY line").fetchall()
    assert found == sorted(zip(numbers["line"], numbers["subject"], texts, strict=True))
    cohort_sql.text_rows(connection, "rows", {"line": []}, [], rows_at_once=rows_at_once)
    assert connection.execute("SELECT count(*) FROM rows").fetchone() == (0,)
    assert [name for name, *_ in connection.execute("DESCRIBE rows").fetchall()] == ["line", "text"]
