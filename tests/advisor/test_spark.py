"""``batch --engine spark`` writes what ``--engine duckdb`` writes, byte for byte.

The command runs in its own process, as a user runs it, so that anything Spark's Java
process printed would show: standard output must hold the answers alone and standard
error the same record errors as DuckDB's. The cohort is the shipped examples, 200
boundary patients and three bad lines among them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner.api import Advisor
from tests.advisor.test_cohort import BAD_LINES, cohort_lines
from tests.conftest import require_pyspark


def test_spark_batch_writes_duckdb_s_bytes_and_reports_bad_records_alike(tmp_path: Path, advisor: Advisor) -> None:
    require_pyspark()
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n".join(cohort_lines(advisor, 200)) + "\n")
    duckdb = CliRunner().invoke(main, ["batch", str(cohort), "--audit"])
    spark = subprocess.run(
        [
            sys.executable,
            "-m",
            "backspasm",
            "batch",
            str(cohort),
            "--audit",
            "--engine",
            "spark",
            "--master",
            "local[2]",
        ],
        capture_output=True,
        env={**os.environ, "BACKSPASM_CACHE_DIR": str(tmp_path / "cache")},
        timeout=600,
    )
    assert (spark.returncode, duckdb.exit_code) == (1, 1)  # three records are invalid
    assert spark.stdout == duckdb.stdout_bytes
    assert spark.stdout.count(b'"error"') == len(BAD_LINES)
    assert spark.stderr.decode() == duckdb.stderr  # the record errors, then the audit: no word from Spark
    assert "patients" in duckdb.stderr


def test_engine_spark_without_pyspark_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *rest: None if name == "pyspark" else real(name, *rest)
    )
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text('{"id": "a", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}\n')
    result = CliRunner().invoke(main, ["batch", str(cohort), "--engine", "spark"])
    assert result.exit_code == 1
    assert (
        result.output
        == "Error: --engine spark needs the spark extra (pyspark is missing): pip install 'backspasm[spark]'\n"
    )


def test_master_goes_with_the_spark_engine_only(tmp_path: Path) -> None:
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n")
    result = CliRunner().invoke(main, ["batch", str(cohort), "--master", "local[2]"])
    assert result.exit_code == 2
    assert "--master and --spark-staging go with --engine spark" in result.output


def test_no_other_command_imports_pyspark(tmp_path: Path) -> None:
    """pyspark (and its Java process) is for --engine spark alone: other runs never import it."""
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text('{"id": "a", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}\n')
    patient = Path(__file__).resolve().parents[2] / "examples" / "patients" / "acute.json"
    script = (
        "import sys\n"
        "from backspasm.cli import main\n"
        "for arguments in (['recommend', sys.argv[1]], ['batch', sys.argv[2], '-o', sys.argv[3]]):\n"
        "    try:\n"
        "        main(arguments)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('pyspark', 'py4j')))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(patient), str(cohort), str(tmp_path / "answers.jsonl")],
        capture_output=True,
        text=True,
        env={**os.environ, "BACKSPASM_CACHE_DIR": str(tmp_path / "cache")},
        check=True,
    )
    assert run.stdout.splitlines()[-1] == "[]"
