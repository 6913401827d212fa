"""Any record the code table can express survives the trip to a FHIR Bundle and back.

Records are built from small strategies (ages and symptom days at their limits, codes the
table maps, stopped medicines), written as the Bundle an EHR would send using the first
coding the table lists for each code, and read back with the same ``today``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from backspasm.reasoner.api import load_advisor
from backspasm.reasoner.fhir import bundle_to_record, load_mapping
from tests.conftest import ROOT
from tests.fhir_bundles import LOCAL, back_pain, bundle, concept, condition, medication_statement, observation, patient

TODAY = date(2026, 11, 26)
ADVISOR = load_advisor(ROOT / "kb")
MAPPING = load_mapping(ADVISOR)
TABLE: dict[str, Any] = ADVISOR.kb.data["fhir"].data
SYSTEMS = {name: system["url"] for name, system in TABLE["systems"].items()}


def coding_of(field_name: str, code: str) -> dict[str, Any]:
    system, _, value = TABLE["codes"][field_name][code][0].partition("|")
    return concept(SYSTEMS[system], value)


def mapped(field_name: str) -> list[str]:
    return list(TABLE["codes"][field_name])


def ages() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 14, 15, 19, 20, 50, 51, 64, 65, 120]), st.integers(0, 120))


def symptom_days() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 27, 28, 84, 85, 36500]), st.integers(0, 36500))


def conditions() -> st.SearchStrategy[list[Any]]:
    severities = st.sampled_from(list(TABLE["severity"]))
    return st.lists(st.sampled_from(mapped("conditions")), unique=True).flatmap(
        lambda codes: st.tuples(*[severities if code == "hepatic_impairment" else st.just(None) for code in codes]).map(
            lambda chosen: [
                {"code": code, "severity": severity} if severity else code
                for code, severity in zip(codes, chosen, strict=True)
            ]
        )
    )


def medications() -> st.SearchStrategy[list[Any]]:
    stopped = st.one_of(st.none(), st.integers(0, 3650))
    return st.lists(st.tuples(st.sampled_from(mapped("medications")), stopped), unique_by=lambda pair: pair[0]).map(
        lambda pairs: [
            {"code": code, "days_since_last_dose": days} if days is not None else code for code, days in pairs
        ]
    )


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(symptom_days())
    record: dict[str, Any] = {
        "id": "p1",
        "age": draw(ages()),
        "symptom_days": days,
        "relaxant_days_taken": draw(st.integers(0, min(days, 3650))),
    }
    if draw(st.booleans()):
        record["flare_up"] = True
    for field_name, strategy in (
        ("conditions", conditions()),
        ("medications", medications()),
        ("red_flags", st.lists(st.sampled_from(mapped("red_flags")), unique=True)),
        ("allergies", st.lists(st.sampled_from(mapped("allergies")), unique=True)),
    ):
        value = draw(strategy)
        if value:
            record[field_name] = value
    return record


def as_bundle(record: dict[str, Any]) -> dict[str, Any]:
    """The Bundle an EHR would send for ``record`` on ``TODAY``."""
    born = TODAY.replace(year=TODAY.year - record["age"])
    resources = [
        patient("p1", born.isoformat()),
        back_pain((TODAY - timedelta(days=record["symptom_days"])).isoformat()),
    ]
    resources.append(observation(concept(LOCAL, "relaxant-days-taken"), valueInteger=record["relaxant_days_taken"]))
    if record.get("flare_up"):
        resources.append(observation(concept(LOCAL, "flare-up"), valueBoolean=True))
    for entry in record.get("conditions", []):
        code = entry if isinstance(entry, str) else entry["code"]
        extra = {"severity": coding_of_severity(entry["severity"])} if isinstance(entry, dict) else {}
        resources.append(condition(coding_of("conditions", code), **extra))
    for entry in record.get("medications", []):
        if isinstance(entry, str):
            resources.append(medication_statement(coding_of("medications", entry)))
        else:
            end = TODAY - timedelta(days=entry["days_since_last_dose"])
            period = {"end": end.isoformat()}
            resources.append(
                medication_statement(coding_of("medications", entry["code"]), "stopped", effectivePeriod=period)
            )
    for code in record.get("red_flags", []):
        resources.append(observation(coding_of("red_flags", code), valueBoolean=True))
    for code in record.get("allergies", []):
        resources.append(
            {
                "resourceType": "AllergyIntolerance",
                "code": coding_of("allergies", code),
                "patient": {"reference": "Patient/p1"},
            }
        )
    return bundle(*resources)


def coding_of_severity(severity: str) -> dict[str, Any]:
    system, _, value = TABLE["severity"][severity][0].partition("|")
    return concept(SYSTEMS[system], value)


@settings(max_examples=60, deadline=None)
@given(records())
def test_a_record_survives_the_trip_through_a_bundle(record: dict[str, Any]) -> None:
    reading = bundle_to_record(as_bundle(record), MAPPING, today=TODAY)
    assert reading.record == record
    assert reading.not_understood == () and reading.assumptions == ()
    ADVISOR.read_record(reading.record)
