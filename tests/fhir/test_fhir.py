"""FHIR R4 Bundles become patient records through the knowledge base's code table, and nothing is guessed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.datafile import DataFile, load_yaml
from backspasm.reasoner.errors import BundleError, EpisodeNotFoundError, KnowledgeBaseError, RecordError
from backspasm.reasoner.fhir import FhirMapping, bundle_to_record, is_bundle
from backspasm.reasoner.fhir.mapping import Coding, read_mapping
from tests.conftest import ROOT
from tests.fhir_bundles import (
    ATC,
    LOCAL,
    RXNORM,
    SNOMED,
    back_pain,
    bundle,
    concept,
    condition,
    medication_statement,
    observation,
    patient,
    status,
)

TODAY = date(2026, 11, 26)
FHIR_EXAMPLES = ROOT / "examples" / "fhir"


def read(mapping: FhirMapping, *resources: dict[str, Any]) -> Any:
    return bundle_to_record(bundle(patient(), *resources), mapping, today=TODAY)


def example(name: str) -> dict[str, Any]:
    return json.loads((FHIR_EXAMPLES / f"{name}.json").read_text())  # type: ignore[no-any-return]


# -- the examples --------------------------------------------------------------
def test_the_acute_bundle_reads_as_the_acute_record(mapping: FhirMapping) -> None:
    reading = bundle_to_record(example("acute"), mapping, today=TODAY)
    assert reading.record == {"id": "acute", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}
    assert reading.not_understood == () and reading.assumptions == ()


def test_a_contraindication_and_an_ssri_become_coded_conditions_and_medications(mapping: FhirMapping) -> None:
    record = bundle_to_record(example("contraindicated-ssri"), mapping, today=TODAY).record
    assert record["conditions"] == ["hyperthyroidism", {"code": "hepatic_impairment", "severity": "moderate"}]
    assert record["medications"] == ["ssri", {"code": "maoi", "days_since_last_dose": 9}]


def test_red_flags_come_from_findings_and_a_finding_recorded_false_is_absent(mapping: FhirMapping) -> None:
    record = bundle_to_record(example("red-flag"), mapping, today=TODAY).record
    assert record["red_flags"] == ["saddle_anaesthesia", "bladder_dysfunction"]


def test_unmapped_codes_and_resource_types_are_reported_not_dropped(mapping: FhirMapping) -> None:
    reading = bundle_to_record(example("unmapped-code"), mapping, today=TODAY)
    assert [(item.resource, item.element) for item in reading.not_understood] == [
        ("Condition/um-diabetes", "code"),
        ("MedicationStatement/um-metformin", "medication"),
        ("Encounter/um-visit", "resourceType"),
    ]
    assert "http://snomed.info/sct|73211009" in reading.not_understood[0].value
    assert reading.record["symptom_days"] == 42  # ICD-10-CM M54.50 sits under the listed M54.5


@pytest.mark.parametrize("path", sorted(FHIR_EXAMPLES.glob("*.json")), ids=lambda path: path.stem)
def test_every_example_bundle_gives_a_valid_record(advisor: Advisor, mapping: FhirMapping, path: Path) -> None:
    data = json.loads(path.read_text())
    assert is_bundle(data)
    advisor.read_record(bundle_to_record(data, mapping, today=TODAY).record)


# -- Patient and episode -------------------------------------------------------
@pytest.mark.parametrize(("birth_date", "age"), [("1981-11-26", 45), ("1981-11-27", 44), ("1981-11-25", 45)])
def test_age_is_whole_years_at_today(mapping: FhirMapping, birth_date: str, age: int) -> None:
    reading = bundle_to_record(bundle(patient(birth_date=birth_date), back_pain()), mapping, today=TODAY)
    assert reading.record["age"] == age


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [(None, "p1: birthDate: is required"), ("1981", "1981 is a partial date")],
)
def test_an_unknown_age_is_an_error_naming_the_birth_date(mapping: FhirMapping, birth_date: str, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        bundle_to_record(bundle(patient(birth_date=birth_date), back_pain()), mapping, today=TODAY)


def test_symptom_days_count_from_the_latest_episode_onset(mapping: FhirMapping) -> None:
    reading = read(mapping, back_pain("2026-01-01"), back_pain("2026-11-20T08:30:00Z"))
    assert reading.record["symptom_days"] == 6


def test_a_bundle_without_the_episode_says_which_codes_it_looks_for(mapping: FhirMapping) -> None:
    with pytest.raises(EpisodeNotFoundError, match=r"http://snomed.info/sct\|279039007"):
        read(mapping)


def test_a_resolved_episode_is_not_the_current_one(mapping: FhirMapping) -> None:
    resolved = back_pain() | {"clinicalStatus": status("condition-clinical", "resolved")}
    with pytest.raises(EpisodeNotFoundError):
        read(mapping, resolved)


def test_an_episode_without_an_onset_day_is_an_error(mapping: FhirMapping) -> None:
    with pytest.raises(BundleError, match="onsetDateTime: is missing"):
        read(mapping, condition(concept(SNOMED, "45352006")))


def test_resources_of_another_patient_are_refused(mapping: FhirMapping) -> None:
    foreign = back_pain() | {"subject": {"reference": "Patient/someone-else"}}
    with pytest.raises(BundleError, match="refers to Patient/someone-else"):
        read(mapping, back_pain(), foreign)


# -- validation ----------------------------------------------------------------
def test_a_resource_failing_validation_is_named_with_its_field(mapping: FhirMapping) -> None:
    broken = back_pain("last tuesday") | {"id": "c9"}
    with pytest.raises(BundleError) as caught:
        read(mapping, broken)
    assert str(caught.value).startswith("entry[1] Condition/c9: onsetDateTime:")


def test_all_invalid_resources_are_reported_at_once(mapping: FhirMapping) -> None:
    with pytest.raises(BundleError) as caught:
        read(mapping, {"resourceType": "Observation"}, {"resourceType": "NotAThing"})
    assert [str(problem) for problem in caught.value.problems] == [
        "entry[1] Observation/?: code: Field required",
        "entry[2].resource: 'NotAThing' is not a FHIR R4 resource type",
    ]


def test_a_record_is_not_a_bundle(mapping: FhirMapping) -> None:
    assert not is_bundle({"id": "acute", "age": 45})
    with pytest.raises(BundleError, match="a FHIR Bundle is expected"):
        bundle_to_record({"id": "acute"}, mapping)  # type: ignore[arg-type]


def test_bundle_errors_are_record_errors_for_callers(mapping: FhirMapping) -> None:
    with pytest.raises(RecordError):
        bundle_to_record({"resourceType": "Bundle"}, mapping, today=TODAY)


# -- codes ---------------------------------------------------------------------
def test_atc_codes_match_their_class_and_the_longest_listed_code_wins(mapping: FhirMapping) -> None:
    reading = read(
        mapping,
        back_pain(),
        medication_statement(concept(ATC, "N06AB06")),  # sertraline, in the SSRI class N06AB
        medication_statement(concept(ATC, "N02AX02")),  # tramadol, not just "an opioid" (N02A)
        medication_statement(concept(ATC, "N02AA01")),  # morphine
    )
    assert reading.record["medications"] == ["ssri", "tramadol", "opioid"]


def test_inactive_refuted_and_entered_in_error_entries_state_absence(mapping: FhirMapping) -> None:
    thyroid = concept(SNOMED, "34486009")
    reading = read(
        mapping,
        back_pain(),
        condition(thyroid, clinicalStatus=status("condition-clinical", "resolved")),
        condition(concept(SNOMED, "23986001"), verificationStatus=status("condition-ver-status", "refuted")),
        medication_statement(concept(RXNORM, "36437"), "entered-in-error"),
    )
    assert "conditions" not in reading.record and "medications" not in reading.record
    assert reading.not_understood == ()


def test_a_stopped_medicine_counts_days_since_its_last_dose(mapping: FhirMapping) -> None:
    stopped = medication_statement(concept(RXNORM, "8123"), "stopped", effectivePeriod={"end": "2026-11-20"})
    assert read(mapping, back_pain(), stopped).record["medications"] == [{"code": "maoi", "days_since_last_dose": 6}]


def test_a_stopped_medicine_without_an_end_date_is_assumed_taken_now(mapping: FhirMapping) -> None:
    reading = read(mapping, back_pain(), medication_statement(concept(RXNORM, "8123"), "stopped"))
    assert reading.record["medications"] == ["maoi"]
    assert (
        reading.assumptions[0] == "MedicationStatement/entry[2]: stopped without a full end date; counted as taken now"
    )


def test_taken_now_beats_stopped_for_the_same_code(mapping: FhirMapping) -> None:
    reading = read(
        mapping,
        back_pain(),
        medication_statement(concept(RXNORM, "8123"), "stopped", effectivePeriod={"end": "2026-11-20"}),
        medication_statement(concept(RXNORM, "10734")),
    )
    assert reading.record["medications"] == ["maoi"]


def test_a_medication_reference_is_read_from_the_bundle(mapping: FhirMapping) -> None:
    medicine = {"resourceType": "Medication", "id": "m1", "code": concept(RXNORM, "36437")}
    statement = medication_statement(concept(RXNORM, "1"))
    del statement["medicationCodeableConcept"]
    statement["medicationReference"] = {"reference": "Medication/m1"}
    assert read(mapping, back_pain(), medicine, statement).record["medications"] == ["ssri"]


def test_hepatic_impairment_without_severity_is_refused_by_the_record(advisor: Advisor, mapping: FhirMapping) -> None:
    reading = read(mapping, back_pain(), condition(concept(SNOMED, "235856003")))
    with pytest.raises(RecordError, match=r"conditions\[0\].severity: is required"):
        advisor.read_record(reading.record)


def test_observations_carry_flare_up_and_relaxant_days_and_the_latest_wins(mapping: FhirMapping) -> None:
    days = concept(LOCAL, "relaxant-days-taken")
    reading = read(
        mapping,
        back_pain("2026-10-01"),
        observation(concept(LOCAL, "flare-up"), valueBoolean=True),
        observation(days, valueInteger=2, effectiveDateTime="2026-11-01"),
        observation(days, valueQuantity={"value": 4, "code": "d"}, effectiveDateTime="2026-11-20"),
    )
    assert reading.record["flare_up"] is True
    assert reading.record["relaxant_days_taken"] == 4


def test_a_missing_relaxant_observation_is_an_assumption_said_aloud(mapping: FhirMapping) -> None:
    reading = read(mapping, back_pain())
    assert reading.record["relaxant_days_taken"] == 0
    assert reading.assumptions == ("relaxant_days_taken: no Observation with its code; taken as 0",)


def test_an_observation_with_the_wrong_kind_of_value_is_not_understood(mapping: FhirMapping) -> None:
    reading = read(mapping, back_pain(), observation(concept(LOCAL, "flare-up"), valueString="yes"))
    assert "flare_up" not in reading.record
    assert reading.not_understood[0].reason == "flare_up needs valueBoolean"


# -- the table itself ----------------------------------------------------------
def test_the_table_may_only_name_record_fields_and_codes(advisor: Advisor) -> None:
    data = {
        "systems": {"snomed": {"url": "http://snomed.info/sct"}},
        "patient": {"identifier": "id", "age": "age"},
        "episode": {"field": "symptom_days", "codes": ["snomed|279039007", "loinc|1"]},
        "resources": {"Condition": {"fields": ["conditions"]}},
        "codes": {"conditions": {"hyperthyroid": ["snomed|34486009"]}},
    }
    with pytest.raises(KnowledgeBaseError) as caught:
        read_mapping(DataFile("fhir.yaml", data), advisor.record_spec)
    messages = [problem.message for problem in caught.value.problems]
    assert messages == [
        "episode.codes[1]: 'loinc|1' is not system|code with a known system (snomed)",
        "codes.conditions.hyperthyroid: 'hyperthyroid' is not a code of conditions; allowed: "
        + ", ".join(advisor.record_spec.field("conditions").codes),  # type: ignore[union-attr]
    ]


def test_the_code_table_in_the_docs_is_up_to_date(advisor: Advisor) -> None:
    from backspasm.reasoner.fhir.table import code_table, replace_section

    page = (ROOT / "docs" / "cds-hooks.md").read_text(encoding="utf-8")
    assert replace_section(page, code_table(advisor)) == page, (
        "run `python -m backspasm.reasoner.fhir.table docs/cds-hooks.md`"
    )


def test_recommend_bundle_answers_with_what_it_did_not_understand(advisor: Advisor) -> None:
    from backspasm.reasoner.fhir import recommend_bundle

    result = recommend_bundle(advisor, example("unmapped-code"), today=TODAY).to_json()
    jsonschema.validate(result, json.loads((ROOT / "docs" / "schemas" / "fhir-answer.schema.json").read_text()))
    not_understood, assumptions = result.pop("not_understood"), result.pop("assumptions")
    readings = result.pop("readings")
    jsonschema.validate(result, json.loads((ROOT / "docs" / "schemas" / "answer.schema.json").read_text()))
    assert readings[0] == {
        "resource": "Condition/um-lbp",
        "element": "onset",
        "value": "2026-10-15",
        "gave": "an onset of the episode (symptom_days)",
    }
    assert not_understood[0] == {
        "resource": "Condition/um-diabetes",
        "element": "code",
        "value": "http://snomed.info/sct|73211009 (Diabetes mellitus), 'Diabetes mellitus'",
        "reason": "no code in the table for conditions, red_flags",
    }
    assert assumptions == []


def test_search_messages_are_not_patient_data(mapping: FhirMapping) -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]}
    assert read(mapping, back_pain(), outcome).not_understood == ()


def test_relaxant_days_are_counted_from_statements_when_no_observation_gives_them(mapping: FhirMapping) -> None:
    cyclobenzaprine = concept(RXNORM, "21949")
    reading = read(
        mapping,
        back_pain("2026-11-10"),
        medication_statement(
            cyclobenzaprine, "completed", effectivePeriod={"start": "2026-11-01", "end": "2026-11-12"}
        ),
        medication_statement(cyclobenzaprine, effectivePeriod={"start": "2026-11-12"}),  # active: to today
    )
    assert reading.record["relaxant_days_taken"] == 16  # 10 Nov (onset) to 26 Nov is 17 days, at most 16 symptom days
    assert reading.not_understood == () and reading.assumptions == ()


def test_an_observation_of_relaxant_days_wins_over_counting(mapping: FhirMapping) -> None:
    reading = read(
        mapping,
        back_pain("2026-11-10"),
        medication_statement(concept(RXNORM, "21949"), effectivePeriod={"start": "2026-11-20"}),
        observation(concept(LOCAL, "relaxant-days-taken"), valueInteger=2),
    )
    assert reading.record["relaxant_days_taken"] == 2


def test_a_relaxant_statement_without_a_start_is_not_understood(mapping: FhirMapping) -> None:
    reading = read(mapping, back_pain(), medication_statement(concept(RXNORM, "21949")))
    assert reading.not_understood[0].reason.startswith(
        "counts toward relaxant_days_taken only as a MedicationStatement"
    )


def _table_entries(advisor: Advisor) -> list[tuple[str, str, str]]:
    data = advisor.kb.data["fhir"].data
    return [
        (field_name, code, token)
        for field_name, codes in data["codes"].items()
        for code, tokens in codes.items()
        for token in tokens
    ]


def test_every_code_in_the_table_reads_as_its_record_code(advisor: Advisor, mapping: FhirMapping) -> None:
    systems = {name: system["url"] for name, system in advisor.kb.data["fhir"].data["systems"].items()}
    resource_of = {
        "conditions": lambda code: condition(code),
        "red_flags": lambda code: condition(code),
        "medications": lambda code: medication_statement(code),
        "allergies": lambda code: {
            "resourceType": "AllergyIntolerance",
            "code": code,
            "patient": {"reference": "Patient/p1"},
        },
    }
    for field_name, code, token in _table_entries(advisor):
        system, _, value = token.partition("|")
        reading = read(mapping, back_pain(), resource_of[field_name](concept(systems[system], value)))
        found = [entry if isinstance(entry, str) else entry["code"] for entry in reading.record.get(field_name, [])]
        assert found == [code], f"{token} should read as {field_name} {code}"


TABLE = """\
systems:
  snomed: {url: http://snomed.info/sct}
patient: {identifier: id, age: age}
episode: {field: symptom_days, codes: [snomed|279039007]}
resources:
  Condition: {fields: [conditions]}
codes:
  conditions: {hyperthyroidism: [snomed|34486009]}
"""


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("  Condition:", "  Encounter:"),
            "fhir.yaml:6:3: error: resources.Encounter: 'Encounter' is not allowed; "
            "allowed: Condition, Observation, MedicationStatement, MedicationRequest, AllergyIntolerance [fhir]",
        ),
        (
            "observations:\n  flare_up: {type: yes-no, codes: []}\n",
            "fhir.yaml:10:14: error: observations.flare_up.type: "
            "'yes-no' is not allowed; allowed: boolean, integer [fhir]",
        ),
        (
            ("patient: {identifier: id, age: age}", "patient: {identifier: id}"),
            "fhir.yaml:3:1: error: patient: age is required [fhir]",
        ),
        (
            ("{url: http://snomed.info/sct}", "{url: http://snomed.info/sct, hierarchical: 'yes'}"),
            "fhir.yaml:2:41: error: systems.snomed.hierarchical: must be true or false, not text 'yes' [fhir]",
        ),
        (
            "observations:\n  relaxant_days_taken: {type: integer, codes: [], default: 'yes'}\n",
            "fhir.yaml:10:51: error: observations.relaxant_days_taken.default: must be true or false or a whole "
            "number, not text 'yes' [fhir]",
        ),
        (
            "colour: red\n",
            "fhir.yaml:9:1: error: colour: unknown field; allowed: systems, patient, episode, "
            "observations, attributes, resources, severity, codes, cds [fhir]",
        ),
        (
            ("[snomed|34486009]", "snomed|34486009"),
            "fhir.yaml:8:16: error: codes.conditions.hyperthyroidism: must be a list, "
            "not text 'snomed|34486009' [fhir]",
        ),
    ],
)
def test_a_badly_shaped_table_is_refused_at_file_line_column(
    advisor: Advisor, tmp_path: Path, change: str | tuple[str, str], expected: str
) -> None:
    text = TABLE.replace(*change) if isinstance(change, tuple) else TABLE + change
    (tmp_path / "fhir.yaml").write_text(text)
    with pytest.raises(KnowledgeBaseError) as caught:
        read_mapping(load_yaml(tmp_path / "fhir.yaml", "fhir.yaml"), advisor.record_spec)
    assert [str(problem) for problem in caught.value.problems] == [expected]


def test_the_table_of_the_test_above_is_valid(advisor: Advisor, tmp_path: Path) -> None:
    (tmp_path / "fhir.yaml").write_text(TABLE)
    mapping = read_mapping(load_yaml(tmp_path / "fhir.yaml", "fhir.yaml"), advisor.record_spec)
    assert mapping.codes["conditions"].lookup(Coding("http://snomed.info/sct", "34486009")) == "hyperthyroidism"
