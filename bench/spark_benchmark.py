"""``batch --engine spark`` (local mode) beside ``--engine duckdb``: the whole command, one run.

For each size, the seeded synthetic cohort of ``batch_benchmark.py`` is written as JSON
Lines, then answered by ``backspasm batch`` once per engine, each in a fresh process
(``--engine spark --master local[*]``: Spark's Java process is a child of the command).
Reported per engine: wall time, patients per second, and the peak resident memory of the
command's whole process tree (Python and Java together), sampled every 0.2 s. The run
fails unless both engines wrote the same bytes. Figures are printed, never asserted.

    python bench/spark_benchmark.py --sizes 10000,100000
    python bench/spark_benchmark.py --sizes 1000000 --keep bench/results
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from batch_benchmark import SEED, synthetic_patient  # noqa: E402

SAMPLE_SECONDS = 0.2


def write_cohort(path: Path, size: int) -> None:
    rng = random.Random(SEED)
    with path.open("w", encoding="utf-8") as file:
        for number in range(size):
            file.write(json.dumps(synthetic_patient(rng, number)) + "\n")


def tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    resident: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0").strip())
        resident[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                changed = True
    return sum(resident.get(pid, 0) for pid in tree)


def timed(command: list[str], output: Path) -> tuple[float, float]:
    """Wall seconds and peak MiB of the command's process tree; its answers go to ``output``."""
    peak = 0
    started = time.perf_counter()
    with output.open("wb") as answers:
        process = subprocess.Popen(command, stdout=answers, stderr=subprocess.PIPE)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss_kib(process.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample)
        sampler.start()
        _, errors = process.communicate()
        done.set()
        sampler.join()
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {errors.decode()[-2000:]}")
    return seconds, peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--keep", type=Path, help="write cohorts and answers here instead of a temporary folder")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="spark-benchmark-"))
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "backspasm", "batch"]
    print(f"cores {os.cpu_count()}, master {options.master}")
    print("| patients | engine | wall s | patients/s | peak MiB (process tree) | spark/duckdb time | same bytes |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for size in [int(text) for text in options.sizes.split(",") if text]:
        cohort = folder / f"cohort-{size}.jsonl"
        if not cohort.exists():
            write_cohort(cohort, size)
        duckdb_answers, spark_answers = folder / f"duckdb-{size}.jsonl", folder / f"spark-{size}.jsonl"
        duckdb_seconds, duckdb_peak = timed([*command, str(cohort), "--engine", "duckdb"], duckdb_answers)
        spark_seconds, spark_peak = timed(
            [*command, str(cohort), "--engine", "spark", "--master", options.master], spark_answers
        )
        same = filecmp.cmp(duckdb_answers, spark_answers, shallow=False)
        print(
            f"| {size:,} | duckdb | {duckdb_seconds:.1f} | {size / duckdb_seconds:,.0f} | {duckdb_peak:.0f} | | |",
            flush=True,
        )
        print(
            f"| {size:,} | spark | {spark_seconds:.1f} | {size / spark_seconds:,.0f} | {spark_peak:.0f} "
            f"| {spark_seconds / duckdb_seconds:.2f}× | {'yes' if same else 'NO'} |",
            flush=True,
        )
        if not same:
            raise SystemExit(f"Spark and DuckDB wrote different answers for {size} patients")


if __name__ == "__main__":
    main()
