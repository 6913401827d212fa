"""The installed command in a real process: what a shell user or a pipeline sees.

Runs ``python -m cli`` (and the ``backspasm`` script when it is on PATH) with pipes for
standard input and output, so no terminal: no colour, no progress bar, no traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backspasm import __version__
from tests.conftest import EXAMPLES, ROOT

ACUTE = "examples/patients/acute.json"


def installed_script() -> str | None:
    """The ``backspasm`` console script of the running environment (a venv's bin), else on PATH."""
    beside_python = Path(sys.executable).parent / "backspasm"
    return str(beside_python) if beside_python.exists() else shutil.which("backspasm")


def backspasm(*arguments: str, stdin: str | None = None, script: bool = False) -> subprocess.CompletedProcess[str]:
    command = [installed_script() or "backspasm"] if script else [sys.executable, "-m", "backspasm"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(
        [*command, *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=False,
    )


def test_recommend_text_in_a_pipe_is_plain() -> None:
    result = backspasm("recommend", ACUTE)
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout == (ROOT / "tests" / "golden" / "cli" / "recommend-acute.txt").read_text()
    assert "\x1b[" not in result.stdout


def test_recommend_json_from_stdin() -> None:
    result = backspasm("recommend", "-", "--format", "json", stdin=(EXAMPLES / "ssri.json").read_text())
    assert result.returncode == 0
    assert json.loads(result.stdout)["subject"] == "ssri"


def test_an_invalid_record_exits_1_with_a_message_and_no_traceback() -> None:
    result = backspasm("recommend", "-", stdin='{"id": "x", "age": 45, "symptom_days": -2, "relaxant_days_taken": 0}')
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Error: <stdin>: symptom_days: -2 is below the minimum 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_usage_error_exits_2() -> None:
    result = backspasm("recommend", "--format", "yaml", ACUTE)
    assert result.returncode == 2
    assert "Invalid value for '--format'" in result.stderr


def test_why_and_why_not() -> None:
    why = backspasm("why", ACUTE, "muscle_relaxant_short_course", "--format", "sentence")
    assert why.returncode == 0 and why.stdout.strip()
    why_not = backspasm("why-not", "examples/patients/elderly.json", "muscle_relaxant_short_course")
    assert why_not.returncode == 0
    assert "age_65_or_over" in why_not.stdout


def test_batch_in_a_pipe_has_no_progress_bar(tmp_path: Path) -> None:
    cohort = "\n".join(json.dumps(json.loads(path.read_text())) for path in sorted(EXAMPLES.glob("*.json")))
    result = backspasm("batch", "-", "--engine", "pydatalog", "--workers", "2", stdin=cohort + "\nnot json\n")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    bad_line = len(list(EXAMPLES.glob("*.json"))) + 1
    assert len(lines) == bad_line
    assert json.loads(lines[-1])["error"]["line"] == bad_line
    assert result.stderr == f"Error: <stdin>:{bad_line}: invalid JSON at column 1: Expecting value\n"


def test_version() -> None:
    result = backspasm("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(f"backspasm {__version__}, knowledge base back-spasm 1.0.0")


@pytest.mark.skipif(installed_script() is None, reason="the backspasm script is not installed")
def test_the_installed_script() -> None:
    result = backspasm("recommend", ACUTE, "--format", "json", script=True)
    assert result.returncode == 0
    assert json.loads(result.stdout)["subject"] == "acute"
