"""Compact answers say what full answers say: per patient on every engine, and the header once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner.advisor.batch import run
from backspasm.reasoner.advisor.compact import advisor_header, compact_from_full
from backspasm.reasoner.advisor.inputs import read_jsonl
from backspasm.reasoner.advisor.outputs import HEADER_KEY
from backspasm.reasoner.api import Advisor
from tests.advisor.test_cohort import BAD_LINES, cohort_lines
from tests.test_cli import validate


def lines_of(advisor: Advisor, lines: list[str], engine: str, form: str) -> list[dict[str, Any]]:
    outcomes = run(read_jsonl(lines, "cohort"), advisor, engine=engine, form=form, chunk_size=16)
    return [outcome.to_json() for outcome in outcomes]


def full_from_compact(header: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
    """What a full answer's items say beyond the statements, rebuilt from a compact line and the header."""

    def references(ids: list[str]) -> list[dict[str, str]]:
        return [{"id": evidence_id, **header["evidence"][evidence_id]} for evidence_id in dict.fromkeys(ids)]

    return {
        "subject": line["subject"],
        "knowledge_base": header["knowledge_base"],
        "items": [
            {
                "code": item["code"],
                "kind": item["kind"],
                "label": header["labels"][item["code"]],
                "parameters": item["parameters"],
                "rules": item["rules"],
                "evidence": references([cited for rule in item["rules"] for cited in header["rules"][rule]]),
                "conflicting_evidence": references(item["conflicts"]),
            }
            for item in line["items"]
        ],
    }


def without_statements(full: dict[str, Any]) -> dict[str, Any]:
    if "error" in full:
        return full
    return {**full, "items": [{k: v for k, v in item.items() if k != "statements"} for item in full["items"]]}


@pytest.mark.parametrize("engine", ["duckdb", "pydatalog"])
def test_compact_lines_are_what_the_full_answers_say(advisor: Advisor, engine: str) -> None:
    lines = cohort_lines(advisor, 30)
    full = lines_of(advisor, lines, engine, "full")
    compact = lines_of(advisor, lines, engine, "compact")
    assert compact == [compact_from_full(answer) for answer in full]
    assert sum("error" in line for line in compact) == len(BAD_LINES)
    header = advisor_header(advisor)
    rebuilt = [line if "error" in line else full_from_compact(header, line) for line in compact]
    assert rebuilt == [without_statements(answer) for answer in full]


def test_compact_on_spark_is_what_duckdb_s_full_answers_say(advisor: Advisor, spark: Any) -> None:
    lines = cohort_lines(advisor, 10)
    compact = lines_of(advisor, lines, "spark", "compact")
    assert compact == [compact_from_full(answer) for answer in lines_of(advisor, lines, "duckdb", "full")]


def test_batch_answers_compact_writes_a_header_then_a_line_per_patient(tmp_path: Path, advisor: Advisor) -> None:
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n".join(cohort_lines(advisor, 20)) + "\n")
    full = CliRunner().invoke(main, ["batch", str(cohort)])
    compact = CliRunner().invoke(main, ["batch", str(cohort), "--answers", "compact"])
    assert (full.exit_code, compact.exit_code) == (1, 1)  # three records are invalid
    assert compact.stderr == full.stderr
    header, *answers = [json.loads(line) for line in compact.stdout.splitlines()]
    for line in [header, *answers]:
        validate(line, "compact-answer.schema.json")
    assert header == advisor_header(advisor)
    assert answers == [compact_from_full(json.loads(line)) for line in full.stdout.splitlines()]


def test_compact_parquet_keeps_the_header_in_its_metadata(tmp_path: Path, advisor: Advisor) -> None:
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n".join(cohort_lines(advisor, 5)) + "\n")
    lines, rows = tmp_path / "answers.jsonl", tmp_path / "answers.parquet"
    for target in (lines, rows):
        result = CliRunner().invoke(main, ["batch", str(cohort), "--answers", "compact", "-o", str(target)])
        assert result.exit_code == 1
    header, *answers = lines.read_text().splitlines()
    with duckdb.connect() as connection:
        table = connection.execute(f"SELECT answer FROM '{rows}' ORDER BY row").fetchall()
        metadata = connection.execute(
            f"SELECT value FROM parquet_kv_metadata('{rows}') WHERE key = ?", [HEADER_KEY]
        ).fetchall()
    assert [answer for (answer,) in table] == answers
    assert [value.decode() for (value,) in metadata] == [header]
