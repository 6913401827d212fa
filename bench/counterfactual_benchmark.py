"""Cost of "why not, and what would change it" against a plain answer, on the example patients.

    python bench/counterfactual_benchmark.py [--repeats 7] [--every-code]

For each example patient, the median time of a plain answer (``Advisor.recommend``) and
of what ``backspasm why-not PATIENT muscle_relaxant_short_course`` computes: the why-not
explanations (``Advisor.absences``) and, for each, what would change it and when
(``Advisor.why_not_changes``), with the number of records the search answered; then the
ratio. With ``--every-code``, also the largest ratio over every answer code of the
knowledge base for that patient (the code named in the last column). The run fails when
a printed counterfactual does not give the item it promises, so the figures are of
correct answers. The target is a ratio within 10x.
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

from backspasm.reasoner.advisor.changes import Changes  # noqa: E402
from backspasm.reasoner.api import Advisor, Record, load_advisor  # noqa: E402

RELAXANT = "muscle_relaxant_short_course"


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def why_not_with_changes(advisor: Advisor, record: Record, code: str) -> list[Changes]:
    """What ``why-not`` computes for ``code``: its explanations, then what would change each."""
    return advisor.why_not_changes(record, advisor.absences(record, code))


def check(advisor: Advisor, found: list[Changes]) -> int:
    """Stop the run unless every option gives what it promises; the records the searches answered."""
    for changes in found:
        for option in changes.options:
            with advisor.session(dict(option.record)) as session:
                if session.holds(advisor.answer_spec.items, changes.code, changes.kind) == changes.holds:
                    raise SystemExit(f"{option.record} does not change {changes.fact}")
    return sum(changes.evaluations for changes in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--every-code", action="store_true", help="also the largest ratio over every answer code")
    options = parser.parse_args()
    advisor = load_advisor(ROOT / "kb")
    ratios, worst_ratios = [], []
    header = "| patient | answer ms | why-not + changes ms | records answered | ratio |"
    if options.every_code:
        header += " largest ratio, any code | code |"
    print(header)
    print("|---|---:|---:|---:|---:|" + ("---:|---|" if options.every_code else ""))
    for path in sorted((ROOT / "examples" / "patients").glob("*.json")):
        record = advisor.read_record(json.loads(path.read_text()))
        evaluations = check(advisor, why_not_with_changes(advisor, record, RELAXANT))
        answer_time = median_seconds(lambda: advisor.recommend(record), options.repeats)  # noqa: B023
        changes_time = median_seconds(
            lambda: why_not_with_changes(advisor, record, RELAXANT),  # noqa: B023
            options.repeats,
        )
        ratios.append(changes_time / answer_time)
        row = (
            f"| {path.stem} | {answer_time * 1000:.2f} | {changes_time * 1000:.2f} | {evaluations} | "
            f"{ratios[-1]:.1f}× |"
        )
        if options.every_code:
            worst, worst_code = 0.0, ""
            for code in advisor.answer_spec.codes:
                check(advisor, why_not_with_changes(advisor, record, code))
                ratio = (
                    median_seconds(lambda: why_not_with_changes(advisor, record, code), options.repeats)  # noqa: B023
                    / answer_time
                )
                if ratio > worst:
                    worst, worst_code = ratio, code
            worst_ratios.append(worst)
            row += f" {worst:.1f}× | {worst_code} |"
        print(row)
    summary = f"median ratio {statistics.median(ratios):.1f}×, largest {max(ratios):.1f}×"
    if options.every_code:
        worst_median, worst = statistics.median(worst_ratios), max(worst_ratios)
        summary += f"; any code: median of the largest {worst_median:.1f}×, largest {worst:.1f}×"
    print(summary)


if __name__ == "__main__":
    main()
