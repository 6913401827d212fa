"""Cost of "why" and "why not" relative to the answer they explain, on the example patients.

    python bench/explain_answer_cost.py [--repeats 7]

For each example patient: the median time of the answer (advisor.recommend), of "why"
for the relaxant decision and of "why not" for the relaxant (or TENS when the relaxant is
offered), each in a fresh session, and their ratios; then the median ratio over patients.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backspasm.reasoner.api import load_advisor  # noqa: E402


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    options = parser.parse_args()
    advisor = load_advisor(ROOT / "kb")
    why_ratios, why_not_ratios = [], []
    print(f"{'patient':18} {'answer ms':>10} {'why ms':>8} {'ratio':>6} {'why-not ms':>11} {'ratio':>6}  why-not of")
    for path in sorted((ROOT / "examples" / "patients").glob("*.json")):
        record = advisor.read_record(json.loads(path.read_text()))
        answer = advisor.recommend(record)
        offered = answer.codes().get("muscle_relaxant_short_course") == "consider"
        not_code = "tens" if offered else "muscle_relaxant_short_course"
        answer_time = median_seconds(lambda: advisor.recommend(record), options.repeats)  # noqa: B023
        why_time = median_seconds(lambda: advisor.why(record, "muscle_relaxant_short_course"), options.repeats)  # noqa: B023
        not_time = median_seconds(lambda: advisor.why_not(record, not_code), options.repeats)  # noqa: B023
        why_ratios.append(why_time / answer_time)
        why_not_ratios.append(not_time / answer_time)
        print(
            f"{path.stem:18} {answer_time * 1000:10.2f} {why_time * 1000:8.2f} {why_ratios[-1]:6.1f} "
            f"{not_time * 1000:11.2f} {why_not_ratios[-1]:6.1f}  {not_code}"
        )
    why_median, why_not_median = statistics.median(why_ratios), statistics.median(why_not_ratios)
    print(f"median ratio why/answer {why_median:.1f}, why-not/answer {why_not_median:.1f}")


if __name__ == "__main__":
    main()
