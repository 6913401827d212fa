"""A cohort from Parquet to Parquet on DuckDB, at sizes up to ten million: time and peak memory.

For each size, the seeded synthetic cohort of ``batch_benchmark.py`` is written as JSON
Lines, then turned into a Parquet file by DuckDB (a column per field: numbers BIGINT,
``flare_up`` BOOLEAN, code lists VARCHAR[] or JSON[] where items may be objects). Then
``python -m backspasm batch COHORT.parquet --answers compact -o ANSWERS.parquet`` runs in a
fresh process and is timed as a whole (start-up included), with its peak resident memory
(``ru_maxrss`` from ``wait4``). The answers file is checked: one row per patient, in
order, none an error, the compact header in its metadata. Memory should not grow with the
cohort: the peak at every size is printed side by side. Figures are printed, never asserted.

    python bench/parquet_benchmark.py --sizes 1000000,10000000 --keep bench/results
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from cohort_benchmark import timed  # noqa: E402
from spark_benchmark import write_cohort  # noqa: E402

COLUMNS = {
    "id": "VARCHAR",
    "age": "BIGINT",
    "symptom_days": "BIGINT",
    "relaxant_days_taken": "BIGINT",
    "flare_up": "BOOLEAN",
    "conditions": "JSON[]",
    "medications": "JSON[]",
    "red_flags": "VARCHAR[]",
    "preferences": "VARCHAR[]",
    "allergies": "VARCHAR[]",
}
"""The synthetic records' fields as Parquet columns (items of conditions and medications may be objects)."""


def parquet_cohort(folder: Path, size: int) -> Path:
    """The seeded cohort of ``size`` patients as Parquet, written once and kept in ``folder``."""
    import duckdb

    target = folder / f"cohort-{size}.parquet"
    if target.exists():
        return target
    lines = folder / f"cohort-{size}.jsonl"
    if not lines.exists():
        write_cohort(lines, size)
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items())
    connection = duckdb.connect(":memory:")
    try:
        connection.execute(
            f"COPY (SELECT * FROM read_json('{lines}', format='newline_delimited', columns={{{columns}}})) "
            f"TO '{target}' (FORMAT parquet)"
        )
    finally:
        connection.close()
    return target


def check_answers(path: Path, size: int) -> None:
    """One row per patient, rows 1..size in order, no error, the compact header in the metadata."""
    import duckdb

    connection = duckdb.connect(":memory:")
    try:
        found = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE error), bool_and(row = position) FROM "
            "(SELECT row, error, row_number() OVER () AS position FROM read_parquet(?))",
            [str(path)],
        ).fetchone()
        keys = connection.execute("SELECT key FROM parquet_kv_metadata(?)", [str(path)]).fetchall()
    finally:
        connection.close()
    if found is None or found[0] != size or found[1] != 0 or not found[2]:
        raise SystemExit(f"{path}: expected {size} answers in order and no error, found {found}")
    if not any(bytes(key).decode() == "backspasm.compact.header" for (key,) in keys):
        raise SystemExit(f"{path}: the compact header is missing from the metadata")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000", help="cohort sizes, comma-separated")
    parser.add_argument("--keep", type=Path, help="write cohorts and answers here instead of a temporary folder")
    arguments = parser.parse_args()
    folder = (arguments.keep or Path(tempfile.mkdtemp(prefix="backspasm-parquet-bench-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    print("| patients | wall s | patients/s | peak MiB | answers checked |")
    print("|---:|---:|---:|---:|---|")
    try:
        for size in (int(size) for size in arguments.sizes.split(",") if size):
            cohort = parquet_cohort(folder, size)
            answers = folder / f"answers-{size}.parquet"
            run = timed(
                [sys.executable, "-m", "backspasm", "batch", str(cohort), "--answers", "compact", "-o", str(answers)]
            )
            check_answers(answers, size)
            print(
                f"| {size:,} | {run['seconds']:.1f} | {size / run['seconds']:,.0f} | {run['mib']:.0f} | "
                f"yes ({size:,} rows) |",
                flush=True,
            )
    finally:
        if arguments.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
