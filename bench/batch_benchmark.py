"""Batch throughput and memory, next to a hand-coded floor, and the CLI's start-up time.

For each cohort size a seeded synthetic cohort (JSON Lines) is written to bench/results/,
then answered in a fresh subprocess by the batch path (reasoner.batch, as
``backspasm batch`` runs it) and by bench/floor.py, which hand-codes the same decisions
in plain Python. Each subprocess reports its wall time and peak resident memory
(``ru_maxrss``; for workers, the largest worker). Both outputs are compared patient by
patient: the codes and kinds must be the same, or the run fails.

Then the whole command answering one patient, ``backspasm recommend
examples/patients/acute.json`` (median of several runs, KB cache warm), is timed against
``python -c "import click, pyDatalog"``. Targets are printed, never asserted.

    python bench/batch_benchmark.py                              # sizes 1000,10000
    python bench/batch_benchmark.py --sizes 1000,10000,100000 --workers 2   # the full run
    python bench/batch_benchmark.py --sizes "" --startup-runs 15          # start-up only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SEED = 20261126

CONDITIONS = [
    "hyperthyroidism",
    "arrhythmia",
    "heart_block",
    "heart_failure",
    "recent_myocardial_infarction",
    "hepatic_impairment",
    "glaucoma",
    "urinary_retention",
    "pregnancy",
    "osteoporosis",
]
MEDICATIONS = [
    "maoi",
    "ssri",
    "snri",
    "tricyclic",
    "tramadol",
    "bupropion",
    "meperidine",
    "verapamil",
    "opioid",
    "benzodiazepine",
    "other_cns_depressant",
    "alcohol",
    "nsaid",
    "paracetamol",
]
RED_FLAGS = ["major_trauma", "cancer_history", "fever", "saddle_anaesthesia", "night_pain", "iv_drug_use"]
PREFERENCES = ["walking", "swimming", "yoga", "pilates", "tai_chi", "stretching"]
ALLERGIES = ["cyclobenzaprine", "tricyclic", "nsaid", "paracetamol"]


def synthetic_patient(rng: random.Random, number: int) -> dict[str, Any]:
    """One varied, valid patient; thresholds (28, 84 days; 15, 20, 50, 65 years; 21 days) are well covered."""
    days = rng.choice([rng.randint(0, 30), rng.randint(25, 90), rng.randint(80, 400)])
    record: dict[str, Any] = {
        "id": f"synthetic-{number}",
        "age": rng.choice([rng.randint(10, 22), rng.randint(18, 64), rng.randint(45, 95)]),
        "symptom_days": days,
        "relaxant_days_taken": min(days, rng.choice([0, 0, rng.randint(0, 25)])),
    }
    if rng.random() < 0.3:
        record["flare_up"] = True
    conditions: list[Any] = []
    for code in rng.sample(CONDITIONS, rng.choice([0, 0, 0, 1, 2])):
        conditions.append(
            {"code": code, "severity": rng.choice(["mild", "moderate", "severe"])}
            if code == "hepatic_impairment"
            else code
        )
    if conditions:
        record["conditions"] = conditions
    medications: list[Any] = []
    for code in rng.sample(MEDICATIONS, rng.choice([0, 0, 1, 1, 2])):
        medications.append({"code": code, "days_since_last_dose": rng.randint(0, 30)} if rng.random() < 0.3 else code)
    if medications:
        record["medications"] = medications
    if rng.random() < 0.05:
        record["red_flags"] = rng.sample(RED_FLAGS, rng.randint(1, 2))
    if rng.random() < 0.4:
        record["preferences"] = rng.sample(PREFERENCES, rng.randint(1, 2))
    if rng.random() < 0.1:
        record["allergies"] = rng.sample(ALLERGIES, 1)
    return record


def write_cohort(size: int, results: Path) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"cohort-{size}.jsonl"
    rng = random.Random(SEED)
    with path.open("w", encoding="utf-8") as file:
        for number in range(size):
            file.write(json.dumps(synthetic_patient(rng, number)) + "\n")
    return path


# -- children: one process per measurement, so peak memory is that run's alone ---------


def child_batch(cohort: Path, output: Path, workers: int) -> dict[str, Any]:
    from backspasm.reasoner.advisor.batch import run
    from backspasm.reasoner.advisor.cache import load_advisor_cached
    from backspasm.reasoner.advisor.inputs import read_cohort

    start = time.perf_counter()
    kb = ROOT / "kb"
    advisor = load_advisor_cached(kb)
    with output.open("w", encoding="utf-8") as file:
        for outcome in run(read_cohort(cohort), advisor, kb_path=kb, workers=workers):
            file.write(json.dumps(outcome.to_json(), sort_keys=True, separators=(",", ":")) + "\n")
    return {"seconds": time.perf_counter() - start}


def child_floor(cohort: Path, output: Path) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "bench"))
    from floor import decide

    start = time.perf_counter()
    with cohort.open(encoding="utf-8") as lines, output.open("w", encoding="utf-8") as file:
        for line in lines:
            file.write(json.dumps(decide(json.loads(line)), sort_keys=True) + "\n")
    return {"seconds": time.perf_counter() - start}


def measure(arguments: list[str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(completed.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def same_codes(batch_output: Path, floor_output: Path) -> int:
    """Patients compared; raises SystemExit at the first patient whose codes differ."""
    compared = 0
    with batch_output.open(encoding="utf-8") as batch, floor_output.open(encoding="utf-8") as floor:
        for number, (answer_line, floor_line) in enumerate(zip(batch, floor, strict=True), start=1):
            answer = json.loads(answer_line)
            if "error" in answer:
                raise SystemExit(f"patient {number}: the batch rejected a generated record: {answer['error']}")
            codes = {item["code"]: item["kind"] for item in answer["items"]}
            expected = json.loads(floor_line)
            if codes != expected:
                raise SystemExit(f"patient {number}: batch {codes} != floor {expected}")
            compared += 1
    return compared


def median_seconds(
    commands: list[list[str]], runs: int, environments: list[dict[str, str] | None] | None = None
) -> list[float]:
    """The median wall time of each command, the commands run in turn ``runs`` times: interleaved,
    so that load from other jobs falls on each of them alike and their ratio stays meaningful."""
    times: list[list[float]] = [[] for _ in commands]
    environments = environments or [None] * len(commands)
    for _ in range(runs):
        for command, environment, measured in zip(commands, environments, times, strict=True):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, cwd=ROOT, env=environment)
            measured.append(time.perf_counter() - start)
    return [statistics.median(measured) for measured in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", default="1000,10000", help="comma-separated cohort sizes (full run: 1000,10000,100000)"
    )
    parser.add_argument("--workers", type=int, default=1, help="batch worker processes")
    parser.add_argument("--startup-runs", type=int, default=7, help="runs for each start-up median (0: skip)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where cohorts and outputs are written")
    parser.add_argument(
        "--before",
        type=Path,
        help="a folder holding earlier code as backspasm/ (git archive --prefix=backspasm/ REV): its "
        "start-up is timed too, in the same interleaved runs, from this checkout's folder",
    )
    parser.add_argument("--child", choices=["batch", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--cohort", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.child:
        if options.child == "batch":
            result = child_batch(options.cohort, options.output, options.workers)
        else:
            result = child_floor(options.cohort, options.output)
        result["peak_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result["worker_peak_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(json.dumps(result))
        return

    sizes = [int(size) for size in options.sizes.split(",") if size]
    print(f"batch benchmark: seed {SEED}, workers {options.workers}, python {sys.version.split()[0]}")
    header = (
        f"{'patients':>9} {'batch p/s':>10} {'batch MiB':>10} {'worker MiB':>10} "
        f"{'floor p/s':>10} {'floor MiB':>10} {'batch/floor':>12} {'same codes':>11}"
    )
    print(header)
    for size in sizes:
        cohort = write_cohort(size, options.results)
        batch_output = options.results / f"batch-{size}.jsonl"
        floor_output = options.results / f"floor-{size}.jsonl"
        common = ["--cohort", str(cohort), "--workers", str(options.workers)]
        batch = measure(["--child", "batch", *common, "--output", str(batch_output)])
        floor = measure(["--child", "floor", *common, "--output", str(floor_output)])
        compared = same_codes(batch_output, floor_output)
        worker = f"{batch['worker_peak_kib'] / 1024:10.1f}" if options.workers > 1 else f"{'-':>10}"
        print(
            f"{size:>9} {size / batch['seconds']:>10.0f} {batch['peak_kib'] / 1024:>10.1f} {worker} "
            f"{size / floor['seconds']:>10.0f} {floor['peak_kib'] / 1024:>10.1f} "
            f"{batch['seconds'] / floor['seconds']:>11.0f}x {'yes (' + str(compared) + ')':>11}"
        )

    if options.startup_runs < 1:
        return
    # An installed package has its bytecode compiled by pip; a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would recompile every module on every start. Compile once.
    import compileall

    compileall.compile_dir(ROOT / "reasoner", quiet=1)
    compileall.compile_file(ROOT / "cli.py", quiet=1)
    environment_note = f"bytecode compiled, KB cache warm; median of {options.startup_runs} interleaved runs"
    cli = [sys.executable, "-m", "backspasm", "recommend", "examples/patients/acute.json"]
    subprocess.run(cli, capture_output=True, check=True, cwd=ROOT)
    commands: list[list[str]] = [[sys.executable, "-c", "import click, pyDatalog"], cli]
    environments: list[dict[str, str] | None] = [None, None]
    if options.before:
        # The earlier code first on the path, with a cache directory of its own (its entries are
        # keyed on its own source); its bytecode compiled and its cache warmed like this checkout's.
        before = options.before.resolve()
        compileall.compile_dir(before / "backspasm", quiet=1)
        cache = {"XDG_CACHE_HOME": str(before / "cache")}
        environments.append({**os.environ, "PYTHONPATH": str(before), **cache})
        commands.append(cli)
        subprocess.run(cli, capture_output=True, check=True, cwd=ROOT, env=environments[-1])
    baseline, whole, *earlier = median_seconds(commands, options.startup_runs, environments)
    print(f"\nstart-up ({environment_note}):")
    print(f"  python -c 'import click, pyDatalog'          {baseline * 1000:7.1f} ms")
    ratio = whole / baseline
    print(f"  backspasm recommend examples/patients/acute.json {whole * 1000:5.1f} ms ({ratio:.2f}x; target < 2x)")
    for seconds in earlier:
        print(f"  the same, code in {options.before}: {seconds * 1000:5.1f} ms ({seconds / baseline:.2f}x)")


if __name__ == "__main__":
    main()
