"""Cost of the reasoner's basic operations on the bundled knowledge base.

    python bench/engine_benchmark.py [--repeat 15] [--patients 300]

Prints medians of: loading the knowledge base (parse + validate, no cache), building the
per-thread pyDatalog program, one session (open, assert the patient's facts, one query,
close), and one full answer (three provenance queries and assembly). Figures only; no
test asserts a time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backspasm.reasoner.api import load_advisor  # noqa: E402
from backspasm.reasoner.language.engine import Engine  # noqa: E402


def record(rng: random.Random, number: int) -> dict[str, object]:
    symptom_days = rng.choice([3, 10, 27, 28, 60, 84, 85, 200])
    return {
        "id": f"p{number}",
        "age": rng.choice([14, 30, 45, 64, 65, 80]),
        "symptom_days": symptom_days,
        "flare_up": rng.random() < 0.3,
        "relaxant_days_taken": min(symptom_days, rng.choice([0, 5, 19, 20, 21, 22])),
        "medications": rng.sample(["ssri", "maoi", "alcohol", "nsaid"], rng.randint(0, 2)),
        "red_flags": ["fever"] if rng.random() < 0.1 else [],
    }


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--patients", type=int, default=300)
    options = parser.parse_args()

    loads = []
    for _ in range(options.repeat):
        start = time.perf_counter()
        advisor = load_advisor(ROOT / "kb")
        loads.append(time.perf_counter() - start)

    builds = []
    for _ in range(options.repeat):
        engine = Engine(advisor.kb.program)
        start = time.perf_counter()
        engine.solve([], advisor.kb.program.rules[0].head)
        builds.append(time.perf_counter() - start)

    rng = random.Random(7)
    records = [advisor.read_record(record(rng, number)) for number in range(options.patients)]
    advisor.recommend(records[0])  # build this thread's program once
    sessions, answers = [], []
    for checked in records:
        start = time.perf_counter()
        with advisor.kb.session(checked.facts) as session:
            session.query("item", None, None)
        sessions.append(time.perf_counter() - start)
        start = time.perf_counter()
        advisor.recommend(checked)
        answers.append(time.perf_counter() - start)

    rules = len(advisor.kb.program.rules)
    print(f"knowledge base: {advisor.kb.name} {advisor.kb.version}, {rules} clauses")
    print(f"load (parse + validate)            {median_ms(loads)}   median of {options.repeat}")
    print(f"build per-thread pyDatalog program {median_ms(builds)}   median of {options.repeat}")
    print(f"session: open, assert, query, close {median_ms(sessions)}  median of {options.patients} patients")
    print(f"full answer (recommend)            {median_ms(answers)}   median of {options.patients} patients")


if __name__ == "__main__":
    main()
