"""A record's fields, one by one: each value becomes its input facts, and a bad value is
rejected naming the field's path, what was found and what is allowed."""

from __future__ import annotations

import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.language.engine import Fact
from tests.record_problems import VALID, problems


def test_a_record_becomes_the_declared_input_facts(advisor: Advisor) -> None:
    record = advisor.read_record(
        {
            **VALID,
            "flare_up": True,
            "conditions": ["glaucoma", {"code": "hepatic_impairment", "severity": "mild"}],
            "medications": [{"code": "maoi", "days_since_last_dose": 30}, "ssri"],
            "red_flags": ["fever"],
            "preferences": ["yoga"],
            "allergies": ["nsaid"],
        }
    )
    assert record.identifier == "p1"
    assert set(record.facts) == {
        Fact("age", (45,)),
        Fact("symptom_days", (10,)),
        Fact("flare_up", ()),
        Fact("relaxant_days_taken", (2,)),
        Fact("condition", ("glaucoma",)),
        Fact("condition", ("hepatic_impairment",)),
        Fact("condition_severity", ("hepatic_impairment", "mild")),
        Fact("medication", ("maoi",)),
        Fact("medication_stopped_days", ("maoi", 30)),
        Fact("medication", ("ssri",)),
        Fact("red_flag", ("fever",)),
        Fact("preference", ("yoga",)),
        Fact("allergy", ("nsaid",)),
    }


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            {**VALID, "weight": 80},
            [
                "weight: unknown field; allowed: id, age, symptom_days, flare_up, "
                "relaxant_days_taken, relaxant_course_day, conditions, medications, red_flags, preferences, allergies"
            ],
        ),
        ({**VALID, "age": -5}, ["age: -5 is below the minimum 0; allowed: 0 to 120"]),
        ({**VALID, "age": 430}, ["age: 430 is above the maximum 120; allowed: 0 to 120"]),
        ({**VALID, "symptom_days": "ten"}, ["symptom_days: must be a whole number, not text 'ten'"]),
        ({**VALID, "age": True}, ["age: must be a whole number, not boolean true"]),
        (
            {**VALID, "relaxant_days_taken": 12},
            ["relaxant_days_taken: 12 is more than symptom_days (10); it cannot exceed it"],
        ),
        (
            {"id": "p1", "age": 45, "symptom_days": 10},
            ["relaxant_days_taken: is required: days of muscle-relaxant use already in this episode (0 if none)"],
        ),
        ({**VALID, "flare_up": "yes"}, ["flare_up: must be true or false, not text 'yes'"]),
        (
            {**VALID, "conditions": ["hypothyroidism"]},
            [
                "conditions[0]: 'hypothyroidism' is not a known code; allowed: "
                "hyperthyroidism, arrhythmia, heart_block, heart_failure, "
                "recent_myocardial_infarction, hepatic_impairment, glaucoma, "
                "urinary_retention, pregnancy, osteoporosis"
            ],
        ),
        (
            {**VALID, "conditions": ["hepatic_impairment"]},
            ["conditions[0].severity: is required for hepatic_impairment: severity, required for hepatic_impairment"],
        ),
        (
            {**VALID, "conditions": [{"code": "hepatic_impairment", "severity": "bad"}]},
            ["conditions[0].severity: 'bad' is not allowed; allowed: mild, moderate, severe"],
        ),
        (
            {**VALID, "medications": [{"code": "maoi", "since": 3}]},
            ["medications[0].since: unknown field; allowed: code, days_since_last_dose"],
        ),
        (
            {**VALID, "medications": [{"code": "maoi", "days_since_last_dose": -1}]},
            ["medications[0].days_since_last_dose: -1 is below the minimum 0; allowed: 0 to 3650"],
        ),
        ({**VALID, "red_flags": ["fever", "fever"]}, ["red_flags[1]: fever is listed twice"]),
        ({**VALID, "red_flags": "fever"}, ["red_flags: must be a list of codes, not text 'fever'"]),
        ({**VALID, "id": ""}, ["id: must be non-empty text, not text ''"]),
        ([1, 2], ["a record is a JSON object of fields, not a list"]),
    ],
)
def test_bad_records_are_rejected_naming_the_field_and_what_is_allowed(
    advisor: Advisor, record: object, expected: list[str]
) -> None:
    assert problems(advisor, record) == expected
