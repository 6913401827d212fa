"""Set-at-a-time evaluation on DuckDB beside pyDatalog and the hand-coded floor.

Measures, in one run on the seeded synthetic cohort of ``batch_benchmark.py``:

- ``facts``: records read into input facts in Python (``Advisor.read_record``, one at a time);
- ``sql``: the compiled KB (``reasoner/language/to_sql.py``) on one in-memory DuckDB over the
  whole cohort, facts loaded and the item rows read back (``SqlEngine.evaluate``);
- ``pydatalog``: ``Advisor.recommend`` per patient on the first ``--sample`` patients,
  reported per patient;
- ``floor``: ``bench/floor.py`` deciding every patient.

Not the whole-process JSON Lines in / compact out figure of the cohort path: records are
still read in Python here. The run fails unless the SQL items' codes and kinds equal the
floor's for every patient. Figures are printed, never asserted.

    python bench/sql_benchmark.py --sizes 1000,10000
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from batch_benchmark import SEED, synthetic_patient  # noqa: E402
from floor import decide  # noqa: E402

from backspasm.reasoner.api import load_advisor  # noqa: E402
from backspasm.reasoner.language.sql_engine import SqlEngine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--sample", type=int, default=300, help="patients answered by pyDatalog per size")
    options = parser.parse_args()
    advisor = load_advisor(ROOT / "kb")
    engine = SqlEngine(advisor.kb.program)
    print(
        "| patients | facts s | sql s | sql µs/patient | pyDatalog µs/patient | floor µs/patient "
        "| sql/floor | pyDatalog/sql | same codes |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for size in [int(text) for text in options.sizes.split(",") if text]:
        rng = random.Random(SEED)
        records = [synthetic_patient(rng, number) for number in range(size)]
        started = time.perf_counter()
        facts = [advisor.read_record(record).facts for record in records]
        facts_seconds = time.perf_counter() - started
        started = time.perf_counter()
        models = engine.evaluate(facts, [("item", 2)])
        sql_seconds = time.perf_counter() - started
        started = time.perf_counter()
        floor = [decide(record) for record in records]
        floor_seconds = time.perf_counter() - started
        sample = records[: options.sample]
        started = time.perf_counter()
        for record in sample:
            advisor.recommend(record)
        pydatalog_each = (time.perf_counter() - started) / max(1, len(sample))
        same = sum(
            1
            for model, expected in zip(models, floor, strict=True)
            if {str(code): str(kind) for code, kind in model["item/2"]} == expected
        )
        if same != size:
            raise SystemExit(f"SQL and the floor differ on {size - same} of {size} patients")
        sql_each = sql_seconds / size
        floor_each = floor_seconds / size
        print(
            f"| {size:,} | {facts_seconds:.2f} | {sql_seconds:.2f} | {sql_each * 1e6:.0f} "
            f"| {pydatalog_each * 1e6:.0f} | {floor_each * 1e6:.1f} | {sql_each / floor_each:.0f}× "
            f"| {pydatalog_each / sql_each:.0f}× | yes ({same:,}) |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the whole run: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
