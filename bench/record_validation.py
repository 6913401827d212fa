"""Record validation: the hand-written validator against jsonschema on the published schema.

``RecordSpec.read`` validates a patient record and builds its input facts; jsonschema only
validates, against ``docs/schemas/patient.schema.json`` (generated from the same
``record.yaml``) with a validator built once. Both read the example patients, valid and
made invalid, many times; the run prints the median time per record of each and the ratio,
measured in the same run. No test asserts a timing.

    python bench/record_validation.py
    python bench/record_validation.py --rounds 21 --repeat 200
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema

from backspasm.reasoner.api import load_advisor
from backspasm.reasoner.errors import RecordError

ROOT = Path(__file__).resolve().parent.parent


def records() -> list[dict[str, Any]]:
    """The example patients, and each once more with an age out of range and an unknown code."""
    valid = [json.loads(path.read_text()) for path in sorted((ROOT / "examples" / "patients").glob("*.json"))]
    invalid = [{**record, "age": -1, "medications": ["not-a-drug"]} for record in valid]
    return valid + invalid


def median_seconds(
    check: Callable[[dict[str, Any]], object], cases: list[dict[str, Any]], rounds: int, repeat: int
) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            for case in cases:
                check(case)
        timings.append((time.perf_counter() - start) / (repeat * len(cases)))
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=100)
    options = parser.parse_args()
    spec = load_advisor(ROOT / "kb").record_spec
    validator = jsonschema.Draft202012Validator(spec.json_schema())
    cases = records()

    def hand_written(record: dict[str, Any]) -> object:
        try:
            return spec.read(record)
        except RecordError as error:
            return error.problems

    def with_jsonschema(record: dict[str, Any]) -> object:
        return [error.message for error in validator.iter_errors(record)]

    for case in cases:  # both must judge every case alike
        assert isinstance(hand_written(case), tuple) == bool(with_jsonschema(case)), case
    hand = median_seconds(hand_written, cases, options.rounds, options.repeat)
    schema = median_seconds(with_jsonschema, cases, options.rounds, options.repeat)
    print(f"{len(cases)} records ({len(cases) // 2} valid), {options.rounds} rounds of {options.repeat}")
    print("| validator | median µs/record | ratio |")
    print("|---|---:|---:|")
    print(f"| RecordSpec.read (validates and builds facts) | {hand * 1e6:.1f} | 1.0× |")
    print(f"| jsonschema on patient.schema.json (validates only) | {schema * 1e6:.1f} | {schema / hand:.1f}× |")


if __name__ == "__main__":
    main()
