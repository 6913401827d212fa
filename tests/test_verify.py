"""The generated boundary cohort: valid records, at the thresholds the rules compare with."""

from __future__ import annotations

from reasoner.api import Advisor
from reasoner.verify import boundary_cohort, boundary_values, program_integers


def test_the_program_thresholds_are_found(advisor: Advisor) -> None:
    assert {14, 15, 21, 28, 65, 84} <= program_integers(advisor.kb.program)


def test_boundary_values_surround_each_constant_within_the_limits() -> None:
    assert boundary_values(0, 30, {28, 65}) == [0, 27, 28, 29, 30]


def test_every_generated_record_is_valid_and_hits_the_phase_boundaries(advisor: Advisor) -> None:
    records = list(boundary_cohort(advisor.record_spec, advisor.kb.program))
    for record in records:
        advisor.read_record(record)
    days = {record["symptom_days"] for record in records if "symptom_days" in record}
    assert {27, 28, 29, 83, 84, 85} <= days
    assert len({record["id"] for record in records}) == len(records)
    assert any(record.get("flare_up") for record in records)
    assert any({"code": "maoi", "days_since_last_dose": 13} in record.get("medications", []) for record in records)
