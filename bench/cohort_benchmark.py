"""The whole cohort process on one core: ``backspasm batch --answers compact`` beside the floor and clingo.

For each size, the seeded synthetic cohort of ``batch_benchmark.py`` is written as JSON
Lines, then answered in a fresh process per contender, each pinned to one core
(``taskset -c 0`` where it exists), one after the other:

* ``batch``: ``python -m backspasm batch COHORT --answers compact -o OUT`` (DuckDB, the
  default engine: records parsed, validated and turned into facts in SQL);
* ``floor``: ``bench/floor.py``'s hand-coded decisions doing the same I/O (each line
  parsed with ``json.loads``, one line of codes and kinds written per patient);
* ``clingo`` (sizes in ``--clingo-sizes``): each record validated by the record spec as
  the project reads it, the KB translated by ``reasoner/language/to_asp.py`` and grounded
  once for the whole cohort, one line of codes and kinds written per patient.

Reported: wall seconds of the whole process (start-up included), patients per second,
peak resident memory (the process's own ``ru_maxrss``, from ``wait4``), and the ratios
batch/floor and clingo/batch. The run fails unless all three give the same item codes and
kinds for every patient. Figures are printed, never asserted.

``--repeat N`` runs every contender N times, in rounds (batch, baseline, floor, clingo, then
again), and reports the median time with the fastest and slowest run and the highest
peak: on a shared machine one run can be 15 % off.

``--baseline REF`` adds ``batch@REF``: the same command run from the code of the git
revision REF (exported to a temporary folder and put first on ``PYTHONPATH``), so a change
is measured beside what it replaces in the same run; the run fails unless both write the
very same bytes.

    python bench/cohort_benchmark.py --sizes 100000,1000000 --clingo-sizes 100000
    python bench/cohort_benchmark.py --sizes 100000 --baseline main --repeat 3
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from spark_benchmark import write_cohort  # noqa: E402


def child_floor(cohort: Path, output: Path) -> None:
    from floor import decide

    with cohort.open(encoding="utf-8") as lines, output.open("w", encoding="utf-8") as file:
        for line in lines:
            file.write(json.dumps(decide(json.loads(line)), sort_keys=True) + "\n")


def child_clingo(cohort: Path, output: Path) -> None:
    import clingo

    from backspasm.reasoner.advisor.cache import load_advisor_cached
    from backspasm.reasoner.language.to_asp import facts_to_asp, to_asp

    advisor = load_advisor_cached(ROOT / "kb")
    spec = advisor.answer_spec
    parts = [to_asp(advisor.kb.program, subjects=True)]
    with cohort.open(encoding="utf-8") as lines:
        count = 0
        for number, line in enumerate(lines):
            parts.append(facts_to_asp(advisor.read_record(json.loads(line)).facts, subject=number))
            count += 1
    control = clingo.Control(["--warn=none"])
    control.add("base", [], "".join(parts))
    control.ground([("base", [])])
    codes: list[dict[str, str]] = [{} for _ in range(count)]

    def read(model: clingo.Model) -> None:
        for symbol in model.symbols(atoms=True):
            if symbol.name == spec.items and len(symbol.arguments) == 3:
                subject, code, kind = symbol.arguments
                codes[subject.number][code.name or code.string] = kind.name or kind.string

    control.solve(on_model=read)
    with output.open("w", encoding="utf-8") as file:
        for found in codes:
            file.write(json.dumps(found, sort_keys=True) + "\n")


def export(revision: str, folder: Path) -> Path:
    """The package as of a git revision, as a folder to put on ``PYTHONPATH``."""
    tree = folder / "backspasm"
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return folder


def timed(command: list[str], path: Path | None = None) -> dict[str, float]:
    """Wall seconds and peak resident MiB of one process, pinned to one core when possible.

    ``path``: a folder put first on the child's ``PYTHONPATH`` (an exported baseline).
    """
    # The first core this benchmark may use: under ``taskset -c 1`` the contenders run on core 1.
    core = str(min(os.sched_getaffinity(0)))
    pinned = ["taskset", "-c", core, *command] if shutil.which("taskset") else command
    environment = dict(os.environ)
    if path is not None:
        environment["PYTHONPATH"] = os.pathsep.join([str(path), *filter(None, [environment.get("PYTHONPATH")])])
    start = time.perf_counter()
    process = subprocess.Popen(
        pinned, cwd=path or ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode() if process.stderr else ''}")
    return {"seconds": seconds, "mib": usage.ru_maxrss / 1024}


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    """Several runs of one contender: the median wall time, the fastest and slowest, the highest peak."""
    seconds = sorted(run["seconds"] for run in runs)
    return {
        "seconds": statistics.median(seconds),
        "low": seconds[0],
        "high": seconds[-1],
        "mib": max(run["mib"] for run in runs),
    }


def codes_of(path: Path, compact: bool) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as lines:
        found = [json.loads(line) for line in lines]
    if not compact:
        return found
    header, *answers = found
    if "knowledge_base" not in header:
        raise SystemExit("the compact output does not start with its header")
    for number, answer in enumerate(answers, start=1):
        if "error" in answer:
            raise SystemExit(f"patient {number}: the batch rejected a generated record: {answer['error']}")
    return [{item["code"]: item["kind"] for item in answer["items"]} for answer in answers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000", help="cohort sizes, comma-separated")
    parser.add_argument("--clingo-sizes", default="", help="the sizes clingo answers too, comma-separated")
    parser.add_argument("--keep", type=Path, help="write cohorts and outputs here instead of a temporary folder")
    parser.add_argument("--baseline", help="a git revision whose batch runs beside this one (e.g. main)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each contender, in interleaved rounds: median time, highest peak"
    )
    parser.add_argument("--child", choices=["floor", "clingo"], help=argparse.SUPPRESS)
    parser.add_argument("--cohort", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child == "floor":
        child_floor(arguments.cohort, arguments.output)
        return
    if arguments.child == "clingo":
        child_clingo(arguments.cohort, arguments.output)
        return
    sizes = [int(size) for size in arguments.sizes.split(",") if size]
    clingo_sizes = {int(size) for size in arguments.clingo_sizes.split(",") if size}
    folder = (arguments.keep or Path(tempfile.mkdtemp(prefix="backspasm-cohort-bench-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    baseline = (
        export(arguments.baseline, Path(tempfile.mkdtemp(prefix="backspasm-baseline-"))) if arguments.baseline else None
    )
    if arguments.repeat > 1:
        print(
            f"| patients | contender | median wall s of {arguments.repeat} | range s | patients/s | peak MiB | ratio "
            "| same codes |"
        )
        print("|---:|---|---:|---:|---:|---:|---|---|")
    else:
        print("| patients | contender | wall s | patients/s | peak MiB | ratio | same codes |")
        print("|---:|---|---:|---:|---:|---|---|")
    try:
        for size in sizes:
            cohort = folder / f"cohort-{size}.jsonl"
            if not cohort.exists():
                write_cohort(cohort, size)
            out = {name: folder / f"{name}-{size}.jsonl" for name in ("batch", "floor", "clingo")}
            backspasm = [sys.executable, "-m", "backspasm", "batch", str(cohort), "--answers", "compact"]
            me = [sys.executable, __file__, "--cohort", str(cohort)]
            contenders: dict[str, tuple[list[str], Path | None]] = {
                "batch": ([*backspasm, "-o", str(out["batch"])], None)
            }
            if baseline is not None:
                out["baseline"] = folder / f"baseline-{size}.jsonl"
                contenders[f"batch@{arguments.baseline}"] = ([*backspasm, "-o", str(out["baseline"])], baseline)
            contenders["floor"] = ([*me, "--child", "floor", "--output", str(out["floor"])], None)
            if size in clingo_sizes:
                contenders["clingo"] = ([*me, "--child", "clingo", "--output", str(out["clingo"])], None)
            samples: dict[str, list[dict[str, float]]] = {name: [] for name in contenders}
            for _ in range(arguments.repeat):  # rounds interleaved: a slow spell of the machine hits every contender
                for name, (command, path) in contenders.items():
                    samples[name].append(timed(command, path))
            runs = {name: summary(found) for name, found in samples.items()}
            if baseline is not None and not filecmp.cmp(out["baseline"], out["batch"], shallow=False):
                raise SystemExit(f"{size}: the batch's output differs from {arguments.baseline}'s")
            expected = codes_of(out["floor"], compact=False)
            if codes_of(out["batch"], compact=True) != expected:
                raise SystemExit(f"{size}: the batch's codes differ from the floor's")
            if "clingo" in runs and codes_of(out["clingo"], compact=False) != expected:
                raise SystemExit(f"{size}: clingo's codes differ from the floor's")
            batch = runs["batch"]["seconds"]
            floor = runs["floor"]["seconds"]
            ratios = {name: f"{run['seconds'] / floor:.2f}x the floor" for name, run in runs.items()}
            ratios["floor"] = ""
            if "clingo" in runs:
                ratios["clingo"] = f"{runs['clingo']['seconds'] / batch:.1f}x the batch"
            for name, run in runs.items():
                spread = f" | {run['low']:.1f}–{run['high']:.1f}" if arguments.repeat > 1 else ""
                print(
                    f"| {size:,} | {name} | {run['seconds']:.1f}{spread} | {size / run['seconds']:,.0f} | "
                    f"{run['mib']:.0f} | {ratios[name]} | yes ({size:,}) |",
                    flush=True,
                )
    finally:
        if arguments.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
        if baseline is not None:
            shutil.rmtree(baseline, ignore_errors=True)


if __name__ == "__main__":
    main()
