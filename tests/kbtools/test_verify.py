"""The boundary cohort `backspasm kb verify` checks: valid records, at the thresholds the rules compare with."""

from __future__ import annotations

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.verify import VerificationReport, boundary_records, boundary_values


def test_the_program_thresholds_give_the_boundary_values(advisor: Advisor) -> None:
    values = boundary_values(advisor)
    assert {27, 28, 29, 83, 84, 85} <= set(values["symptom_days"])
    assert {14, 15, 64, 65} <= set(values["age"])
    assert {20, 21, 22} <= set(values["relaxant_days_taken"])


def test_every_generated_record_is_valid_and_hits_the_phase_boundaries(
    advisor: Advisor, boundary_report: VerificationReport
) -> None:
    """The grid's answers (which pick the anchors of the code options) are the shared boundary report's."""
    answered = {outcome.record["id"]: outcome.answer for outcome in boundary_report.outcomes}
    records = list(boundary_records(advisor, answer_of=lambda record: answered[record["id"]]))
    assert records == [outcome.record for outcome in boundary_report.outcomes]
    for record in records:
        advisor.read_record(record)
    days = {record["symptom_days"] for record in records if "symptom_days" in record}
    assert {27, 28, 29, 83, 84, 85} <= days
    assert len({record["id"] for record in records}) == len(records)
    assert any(record.get("flare_up") for record in records)
    assert any({"code": "maoi", "days_since_last_dose": 13} in record.get("medications", []) for record in records)
