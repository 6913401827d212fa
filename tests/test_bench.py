"""The benchmarks still run, and what they compare still agrees: the batch's hand-coded floor
gives the knowledge base's codes, both record validators judge alike, every counterfactual
timed gives what it says.

Only agreement is checked here; the benchmarks' timings are printed, never asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run_benchmark(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run ``bench/script`` with ``arguments`` from the repository root; it must succeed."""
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_batch_benchmark_runs_and_its_floor_agrees_with_the_kb(tmp_path: Path) -> None:
    result = run_benchmark("batch_benchmark.py", "--sizes", "200", "--startup-runs", "0", "--results", str(tmp_path))
    assert result.stdout.splitlines()[-1].endswith("yes (200)")


def test_the_cohort_benchmark_runs_and_batch_floor_and_clingo_agree(tmp_path: Path) -> None:
    result = run_benchmark(
        "cohort_benchmark.py", "--sizes", "300", "--clingo-sizes", "300", "--repeat", "2", "--keep", str(tmp_path)
    )
    rows = result.stdout.splitlines()[2:]
    assert [row.split(" | ")[1] for row in rows] == ["batch", "floor", "clingo"]
    assert all(row.endswith("yes (300) |") for row in rows)
    for row in rows:  # the median of two runs lies between the fastest and the slowest
        median, spread = row.split(" | ")[2:4]
        low, high = map(float, spread.split("–"))
        assert low <= float(median) <= high


def test_the_record_validation_benchmark_runs_and_both_validators_agree() -> None:
    result = run_benchmark("record_validation.py", "--rounds", "1", "--repeat", "1")
    assert result.stdout.splitlines()[-1].startswith("| jsonschema on patient.schema.json")


def test_the_counterfactual_benchmark_runs_and_every_option_it_times_holds() -> None:
    result = run_benchmark("counterfactual_benchmark.py", "--repeats", "1")
    assert len(result.stdout.splitlines()) == 2 + len(list((ROOT / "examples" / "patients").glob("*.json"))) + 1
    assert result.stdout.splitlines()[-1].startswith("median ratio ")
