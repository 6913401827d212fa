"""The cohort path on DuckDB gives the same answers, errors and violations as pyDatalog, line for line."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner.advisor.batch import run
from backspasm.reasoner.advisor.inputs import read_jsonl
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.errors import RecordError
from backspasm.reasoner.kbtools.verify import boundary_records
from backspasm.reasoner.language.sql_engine import SqlEngine

BAD_LINES = ['{"id": "no-age", "symptom_days": 3, "relaxant_days_taken": 0}', "{not json", '{"age": -4}']


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def cohort_lines(advisor: Advisor, size: int) -> list[str]:
    """The shipped example cohort and patients, the first boundary records, and three bad lines."""
    examples = (EXAMPLES / "cohort.jsonl").read_text().splitlines()
    patients = [json.dumps(json.loads(path.read_text())) for path in sorted((EXAMPLES / "patients").glob("*.json"))]
    grid = [json.dumps(record) for record in islice(boundary_records(advisor), size)]
    return examples[:5] + BAD_LINES + examples[5:] + patients + grid


def outcomes(advisor: Advisor, lines: list[str], engine: str, chunk_size: int) -> list[Any]:
    return [
        (outcome.to_json(), outcome.violations, outcome.line)
        for outcome in run(read_jsonl(lines, "cohort"), advisor, audit=True, engine=engine, chunk_size=chunk_size)
    ]


def test_duckdb_answers_equal_pydatalog_answers_with_bad_records_in_between(advisor: Advisor) -> None:
    lines = cohort_lines(advisor, 40)
    assert outcomes(advisor, lines, "duckdb", chunk_size=16) == outcomes(advisor, lines, "pydatalog", chunk_size=64)


def test_batch_defaults_to_duckdb_and_writes_what_pydatalog_writes(tmp_path: Path, advisor: Advisor) -> None:
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n".join(cohort_lines(advisor, 40)) + "\n")
    written = {}
    for engine in ("default", "pydatalog"):
        target = tmp_path / f"{engine}.jsonl"
        options = [] if engine == "default" else ["--engine", engine]
        result = CliRunner().invoke(main, ["batch", str(cohort), "--output", str(target), *options])
        assert result.exit_code == 1  # three records are invalid
        written[engine] = target.read_text()
    assert written["default"] == written["pydatalog"]
    assert written["default"].count('"error"') == len(BAD_LINES)


def test_lines_left_to_the_python_validator_are_answered_beside_those_checked_in_sql(advisor: Advisor) -> None:
    """Valid records whose text SQL hands back (non-ASCII, escapes, 11.0, a trailing comma) among ordinary ones."""
    lines = [
        '{"id": "Zoë", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
        '{"id": "a\\"b", "age": 70.0, "symptom_days": 30, "relaxant_days_taken": 3, "conditions": ["osteoporosis"]}',
        '{"id": "plain", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
        '{"id": "comma", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0,}',
        '{"id": "same-as-plain", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
        '{"id": "nan", "age": NaN, "symptom_days": 10, "relaxant_days_taken": 0}',
    ]
    texts = [
        (outcome.to_text(), outcome.codes)
        for outcome in run(read_jsonl(lines, "c", parse=False), advisor, engine="duckdb")
    ]
    expected = [
        (outcome.to_text(), outcome.codes) for outcome in run(read_jsonl(lines, "c"), advisor, engine="pydatalog")
    ]
    assert texts == expected
    assert sum('"error"' in text for text, _ in texts) == 2


def test_every_derived_table_holds_each_row_once(advisor: Advisor) -> None:
    """What SqlEngine.same_rows relies on to group answers without a DISTINCT: a row derived by two rules
    is two rows (each with its rule), never one row twice, for the bundled knowledge base over a cohort."""
    subjects = []
    for line in cohort_lines(advisor, 200):
        try:
            subjects.append(advisor.read_record(json.loads(line)).facts)
        except (ValueError, RecordError):  # the bad lines
            continue
    engine = SqlEngine(advisor.kb.program)
    rows, repeated = 0, {}
    with engine.connect() as connection:
        engine.load_facts(connection, subjects)
        engine.run(connection)
        for relation in engine.compiled.relations.values():
            if relation.derived:
                counted = connection.execute(
                    f"SELECT count(*), count(DISTINCT ({', '.join(relation.columns)})) FROM {relation.table}"
                ).fetchone()
                assert counted is not None
                rows += counted[0]
                if counted[0] != counted[1]:
                    repeated[relation.table] = counted
    assert rows > 10 * len(subjects)
    assert repeated == {}
