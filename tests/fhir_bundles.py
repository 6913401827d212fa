"""Small builders of FHIR R4 resources for the tests: one function per resource, codes spelled out."""

from __future__ import annotations

from typing import Any

SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
LOCAL = "http://backspasm.example.org/fhir/CodeSystem/findings"
TODAY_ISO = "2026-11-26"


def concept(system: str, code: str, display: str = "") -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": f"http://terminology.hl7.org/CodeSystem/{system}", "code": code}]}


def patient(identifier: str = "p1", birth_date: str | None = "1981-05-14") -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": identifier}
    if birth_date is not None:
        resource["birthDate"] = birth_date
    return resource


def condition(code: dict[str, Any], onset: str | None = None, **extra: Any) -> dict[str, Any]:
    resource = {"resourceType": "Condition", "code": code, "subject": {"reference": "Patient/p1"}, **extra}
    if onset is not None:
        resource["onsetDateTime"] = onset
    return resource


def back_pain(onset: str = "2026-11-16") -> dict[str, Any]:
    return condition(concept(SNOMED, "279039007", "Low back pain"), onset)


def observation(code: dict[str, Any], **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": code,
        "subject": {"reference": "Patient/p1"},
        **value,
    }


def medication_statement(code: dict[str, Any], status_code: str = "active", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "status": status_code,
        "medicationCodeableConcept": code,
        "subject": {"reference": "Patient/p1"},
        **extra,
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource} for resource in resources]}
