"""Patient records: validated with clear errors, turned into input facts in one place,
and described by a published JSON Schema that agrees with the validator."""

from __future__ import annotations

import json

import jsonschema
import pytest

from backspasm.reasoner import RecordError
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.language.engine import Fact
from tests.conftest import EXAMPLES, ROOT

VALID = {"id": "p1", "age": 45, "symptom_days": 10, "relaxant_days_taken": 2}


def problems(advisor: Advisor, record: object) -> list[str]:
    with pytest.raises(RecordError) as caught:
        advisor.read_record(record, "patient.json")
    return [str(problem) for problem in caught.value.problems]


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


def test_every_problem_of_a_record_is_reported_at_once(advisor: Advisor) -> None:
    assert len(problems(advisor, {"id": "x", "age": -1, "symptom_days": -1, "colour": "red"})) == 4


def test_the_error_names_the_source(advisor: Advisor) -> None:
    with pytest.raises(RecordError, match=r"^patient.json: age: -5 is below"):
        advisor.read_record({**VALID, "age": -5}, "patient.json")


def test_the_published_schema_is_generated_from_the_record_description(advisor: Advisor) -> None:
    published = json.loads((ROOT / "docs" / "schemas" / "patient.schema.json").read_text())
    assert published == advisor.record_spec.json_schema()


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.stem)
def test_the_schema_and_the_validator_agree_on_the_examples(advisor: Advisor, example: object) -> None:
    record = json.loads(example.read_text())  # type: ignore[attr-defined]
    jsonschema.validate(record, advisor.record_spec.json_schema())
    advisor.read_record(record)


@pytest.mark.parametrize(
    "record",
    [{**VALID, "age": -1}, {**VALID, "extra": 1}, {**VALID, "conditions": ["nope"]}, {"id": "p"}],
)
def test_the_schema_rejects_what_the_validator_rejects(advisor: Advisor, record: dict[str, object]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, advisor.record_spec.json_schema())
    with pytest.raises(RecordError):
        advisor.read_record(record)


def test_a_limit_between_two_fields_is_only_checked_when_both_are_valid(advisor: Advisor) -> None:
    assert problems(advisor, {**VALID, "symptom_days": -3, "relaxant_days_taken": 0}) == [
        "symptom_days: -3 is below the minimum 0; allowed: 0 to 36500"
    ]


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.stem)
def test_a_record_is_written_back_as_it_was_read(advisor: Advisor, example: object) -> None:
    data = json.loads(example.read_text())  # type: ignore[attr-defined]
    record = advisor.read_record(data)
    assert advisor.record_spec.data_of(record) == data
    assert advisor.read_record(advisor.record_spec.data_of(record)).facts == record.facts


def test_a_written_back_record_leaves_out_what_gave_no_fact(advisor: Advisor) -> None:
    data = {
        **VALID,
        "flare_up": False,
        "conditions": ["glaucoma", {"code": "hepatic_impairment", "severity": "mild"}],
        "medications": [{"code": "maoi", "days_since_last_dose": 30}, "ssri"],
        "red_flags": [],
    }
    assert advisor.record_spec.data_of(advisor.read_record(data)) == {
        **VALID,
        "conditions": ["glaucoma", {"code": "hepatic_impairment", "severity": "mild"}],
        "medications": [{"code": "maoi", "days_since_last_dose": 30}, "ssri"],
    }
