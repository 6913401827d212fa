"""The default boundary level verified on several processes: the report ``verify_boundaries`` gives.

Every boundary patient is answered by pyDatalog once per run and shared by the tests that
read the report (tests/conftest.py). Patients are independent, so they are answered on up
to two worker processes (spawned, each loading the knowledge base from its cache), in
chunks, and the outcomes are put back in the order of ``boundary_records``. The grid is
answered first, because ``boundary_records`` picks the grid patients the code options are
combined with from the grid's answers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache, partial
from pathlib import Path
from typing import Any

from backspasm.reasoner.api import Advisor, load_advisor
from backspasm.reasoner.kbtools.verify import (
    Outcome,
    VerificationReport,
    boundary_records,
    evaluate,
    verify_boundaries,
)

CHUNK = 64
"""Patients a worker answers per task: large enough that sending them costs little."""


def verify_default_boundaries(advisor: Advisor, kb: Path) -> VerificationReport:
    """``verify_boundaries(advisor, "default", keep=True)``, on two processes when there are two cores."""
    workers = min(2, os.cpu_count() or 1)
    if workers < 2:
        return verify_boundaries(advisor, "default", keep=True)
    identifier = advisor.record_spec.identifier
    records: list[dict[str, Any]] = []
    outcomes: dict[str, Outcome] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:

        def answer_pending() -> None:
            pending = [record for record in records if str(record[identifier]) not in outcomes]
            for outcome in pool.map(partial(_evaluate, str(kb)), _chunks(pending), chunksize=1):
                for each in outcome:
                    outcomes[str(each.record[identifier])] = each

        def answer_of(record: dict[str, Any]) -> Any:
            if str(record[identifier]) not in outcomes:
                answer_pending()
            return outcomes[str(record[identifier])].answer

        for record in boundary_records(advisor, "default", answer_of):
            records.append(record)
        answer_pending()
    report = VerificationReport()
    for record in records:
        report.add(outcomes[str(record[identifier])], keep=True)
    return report


def _chunks(records: Sequence[dict[str, Any]]) -> list[Sequence[dict[str, Any]]]:
    return [records[start : start + CHUNK] for start in range(0, len(records), CHUNK)]


@cache
def _advisor(kb: str) -> Advisor:
    return load_advisor(Path(kb))


def _evaluate(kb: str, records: Sequence[dict[str, Any]]) -> list[Outcome]:
    advisor = _advisor(kb)
    return [evaluate(advisor, record) for record in records]
