"""Patient records: validated with clear errors, turned into input facts in one place,
and described by a published JSON Schema that agrees with the validator."""

from __future__ import annotations

import json

import jsonschema
import pytest

from backspasm.reasoner import RecordError
from backspasm.reasoner.api import Advisor
from tests.conftest import EXAMPLES, ROOT
from tests.record_problems import VALID, problems


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
