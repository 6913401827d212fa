"""The boundary cohort `backspasm kb verify` checks: valid records, at the thresholds the rules compare with."""

from __future__ import annotations

import itertools

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.verify import boundary_records, boundary_values


def test_the_program_thresholds_give_the_boundary_values(advisor: Advisor) -> None:
    values = boundary_values(advisor)
    assert {27, 28, 29, 83, 84, 85} <= set(values["symptom_days"])
    assert {14, 15, 64, 65} <= set(values["age"])
    assert {20, 21, 22} <= set(values["relaxant_days_taken"])


def test_every_generated_record_is_valid_and_hits_the_phase_boundaries(advisor: Advisor) -> None:
    records = list(itertools.islice(boundary_records(advisor), 5000))
    for record in records[::7]:
        advisor.read_record(record)
    days = {record["symptom_days"] for record in records if "symptom_days" in record}
    assert {27, 28, 29, 83, 84, 85} <= days
    assert len({record["id"] for record in records}) == len(records)
    assert any(record.get("flare_up") for record in records)
    everything = list(boundary_records(advisor))
    assert any({"code": "maoi", "days_since_last_dose": 13} in record.get("medications", []) for record in everything)
