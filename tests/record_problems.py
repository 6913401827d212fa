"""A valid record to vary, and the problems a varied one is rejected with (tests/advisor)."""

from __future__ import annotations

import pytest

from backspasm.reasoner import RecordError
from backspasm.reasoner.api import Advisor

VALID = {"id": "p1", "age": 45, "symptom_days": 10, "relaxant_days_taken": 2}


def problems(advisor: Advisor, record: object) -> list[str]:
    with pytest.raises(RecordError) as caught:
        advisor.read_record(record, "patient.json")
    return [str(problem) for problem in caught.value.problems]
