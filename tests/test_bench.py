"""The benchmark still runs, and its hand-coded floor still gives the knowledge base's codes.

Only agreement is checked here; the benchmark's timings are printed, never asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_the_batch_benchmark_runs_and_its_floor_agrees_with_the_kb(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "bench/batch_benchmark.py",
            "--sizes",
            "200",
            "--startup-runs",
            "0",
            "--results",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("yes (200)")


def test_the_record_validation_benchmark_runs_and_both_validators_agree() -> None:
    result = subprocess.run(
        [sys.executable, "bench/record_validation.py", "--rounds", "1", "--repeat", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("| jsonschema on patient.schema.json")
