"""A FHIR Bulk Data export read as a cohort: time and peak memory against Bundles read one by one.

A generated export of N patients (the example Bundles, each copied with new ids, ages and
onsets; Patient, Condition, Observation, MedicationStatement, Encounter files, and a
manifest) is answered three ways, each in its own process so that each peak is its own:

- ``bundles``: the same patients as one Bundle a line (JSON Lines), each read by
  ``bundle_to_record`` in turn: the FHIR reading alone, with no grouping (the baseline);
- ``bulk read``: the export's patients grouped in DuckDB and read (``BulkCohort.entries``);
- ``bulk batch``: ``backspasm batch EXPORT`` on the default engine (duckdb), answers to a file.

It prints each one's median seconds, patients a second, peak resident memory (MiB) and
ratio to the baseline, measured in the same run. No test asserts a timing.

    python bench/fhir_bulk_benchmark.py                 # 10 000 patients
    python bench/fhir_bulk_benchmark.py --patients 2000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 26)


def generated_bundles(patients: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Copies of the example Bundles, each with its own ids, birth date and onset."""
    examples = [json.loads(path.read_text()) for path in sorted((ROOT / "examples" / "fhir").glob("*.json"))]
    rng = random.Random(seed)
    for number in range(patients):
        text = json.dumps(examples[number % len(examples)])
        original = json.loads(text)["entry"][0]["resource"]["id"]
        identifier = f"p{number}"
        text = text.replace(f'"Patient/{original}"', f'"Patient/{identifier}"')
        bundle = json.loads(text)
        for position, entry in enumerate(bundle["entry"]):
            entry["resource"]["id"] = identifier if position == 0 else f"{identifier}-{position}"
            entry.pop("fullUrl", None)
        bundle["entry"][0]["resource"]["birthDate"] = str(date(1940, 1, 1) + timedelta(days=rng.randrange(0, 25000)))
        for entry in bundle["entry"]:
            if "onsetDateTime" in entry["resource"]:
                entry["resource"]["onsetDateTime"] = str(TODAY - timedelta(days=rng.randrange(10, 120)))
        yield bundle


def write(folder: Path, patients: int) -> tuple[Path, Path]:
    """The export folder and a JSON Lines file of the same patients' Bundles."""
    from backspasm.reasoner.fhir.bulk import write_export

    bundles = folder / "bundles.jsonl"
    with bundles.open("w") as file:
        for bundle in generated_bundles(patients):
            file.write(json.dumps(bundle) + "\n")
    write_export((json.loads(line) for line in bundles.open()), folder / "export")
    return folder / "export", bundles


def measure(kind: str, path: Path, output: Path) -> None:
    """One way, in this process: prints ``seconds peak_mib patients``."""
    from backspasm.reasoner.api import load_advisor

    advisor = load_advisor(ROOT / "kb")
    started = time.perf_counter()
    count = 0
    if kind == "bundles":
        from backspasm.reasoner.fhir import bundle_to_record, load_mapping, load_terminology

        mapping, terminology = load_mapping(advisor), load_terminology(advisor)
        with path.open() as file:
            for line in file:
                bundle_to_record(json.loads(line), mapping, today=TODAY, terminology=terminology)
                count += 1
    elif kind == "bulk read":
        from backspasm.reasoner.fhir.bulk import bulk_cohort, find_export

        export = find_export(path)
        assert export is not None
        for entry in bulk_cohort(export, advisor, today=TODAY).entries():
            assert entry.error is None, entry.error
            count += 1
    else:
        result = subprocess.run(
            [sys.executable, "-m", "backspasm", "batch", str(path), "--today", str(TODAY), "-o", str(output)],
            capture_output=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode()
        count = sum(1 for _ in output.open())
    seconds = time.perf_counter() - started
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    print(f"{seconds:.3f} {peak / 1024:.0f} {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1, help="runs of each way; the median is printed")
    parser.add_argument("--measure", nargs=3, metavar=("KIND", "PATH", "OUTPUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        kind, path, output = arguments.measure
        measure(kind, Path(path), Path(output))
        return
    with tempfile.TemporaryDirectory(prefix="backspasm-bulk-bench-") as name:
        folder = Path(name)
        export, bundles = write(folder, arguments.patients)
        lines = sum(1 for file in export.glob("*.ndjson") for _ in file.open())
        print(f"{arguments.patients:,} patients, {lines:,} resources in {len(list(export.glob('*.ndjson')))} files")
        print("| way | seconds (median) | patients/s | peak MiB | ratio |")
        print("|---|---:|---:|---:|---|")
        baseline = None
        for kind, path in (("bundles", bundles), ("bulk read", export), ("bulk batch", export)):
            runs = []
            for _ in range(arguments.runs):
                result = subprocess.run(
                    [sys.executable, __file__, "--measure", kind, str(path), str(folder / "answers.jsonl")],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                seconds, peak, count = result.stdout.split()
                assert int(count) == arguments.patients, (kind, count)
                runs.append((float(seconds), int(peak)))
            seconds = statistics.median(run[0] for run in runs)
            peak = max(run[1] for run in runs)
            baseline = baseline or seconds
            ratio = "baseline" if kind == "bundles" else f"{seconds / baseline:.2f}x the bundles"
            rate = arguments.patients / seconds
            print(f"| {kind} | {seconds:.1f} | {rate:,.0f} | {peak} | {ratio} |")


if __name__ == "__main__":
    main()
