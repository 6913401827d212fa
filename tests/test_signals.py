"""``batch --workers 2`` stopped by SIGTERM or SIGINT: no worker outlives it, whole lines only.

The command runs in its own process on a cohort long enough to be stopped in the middle;
the test finds the worker processes by PID (``/proc``), sends the signal once answers
have begun to arrive, and checks that the command exits 128 + the signal's number (143,
130: not 1, which means an invalid record), that every worker PID is gone, and that the
output holds whole JSON lines, each record at most once and in input order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds worker processes in /proc")

COHORT_SIZE = 4000


def children(pid: int) -> set[int]:
    """The PIDs of a process's children (every thread's list in /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended; it awaits its reaper)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def wait_for(condition: object, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize(("signal_number", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_batch_and_its_workers_with_whole_lines(
    tmp_path: Path, signal_number: signal.Signals, exit_code: int
) -> None:
    cohort = tmp_path / "cohort.jsonl"
    identifiers = [f"p{number}" for number in range(COHORT_SIZE)]
    cohort.write_text(
        "".join(
            json.dumps(
                {"id": identifier, "age": 20 + number % 60, "symptom_days": number % 120, "relaxant_days_taken": 0}
            )
            + "\n"
            for number, identifier in enumerate(identifiers)
        )
    )
    answers = tmp_path / "answers.jsonl"
    command = [
        sys.executable,
        "-m",
        "backspasm",
        "batch",
        str(cohort),
        "--engine",
        "pydatalog",
        "--workers",
        "2",
        "--chunk-size",
        "8",
        "-o",
        str(answers),
    ]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        wait_for(lambda: len(children(process.pid)) >= 2, "two worker processes")
        workers = children(process.pid)
        wait_for(lambda: answers.exists() and answers.stat().st_size > 0, "the first answers")
        assert process.poll() is None, "the batch ended before the signal: make the cohort longer"
        process.send_signal(signal_number)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        leftover = [pid for pid in workers if running(pid)]
        for pid in leftover:  # a failing run must not leave its workers behind either
            os.kill(pid, signal.SIGKILL)
    assert not leftover, "a worker outlived the batch"
    report = stderr.decode()
    assert process.returncode == exit_code, report
    message = report.splitlines()
    assert len(message) == 1 and message[0].startswith(f"Error: interrupted by {signal_number.name} after "), report
    assert "Traceback" not in report and stdout == b"", report
    text = answers.read_text()
    assert text.endswith("\n"), "the last line is whole"
    subjects = [json.loads(line)["subject"] for line in text.splitlines()]
    assert 0 < len(subjects) < COHORT_SIZE
    assert subjects == identifiers[: len(subjects)], "each record once, in input order"
    assert message[0].startswith(f"Error: interrupted by {signal_number.name} after {len(subjects)} records")
