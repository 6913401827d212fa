"""Bundles nobody here wrote: carebundle's synthetic US Core R4 patients, from fixed seeds.

Each generated patient gets this guideline's episode (a low back pain Condition) and is read
as the service would read it. What the knowledge base has a use for is understood (the body
temperature, against the fever threshold); everything else is listed as not understood,
none of it is guessed into the record, and the reading never fails on the generator's shapes.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.fhir import bundle_to_record, load_mapping, load_terminology

carebundle = pytest.importorskip("carebundle")

TODAY = date(2026, 1, 1)  # carebundle's default reference date
PROFILES = ["healthy", "type2_diabetes", "hypertension", "ckd_stage3", "anaemia"]
SEED = 7


def generated(profile: str) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(carebundle.to_json(carebundle.generate_bundle(profile=profile, seed=SEED)))
    patient = bundle["entry"][0]["fullUrl"]
    episode = {
        "resourceType": "Condition",
        "subject": {"reference": patient},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "279039007"}]},
        "onsetDateTime": "2025-12-20",
    }
    bundle["entry"].append({"resource": episode})
    return bundle


@pytest.mark.parametrize("profile", PROFILES)
def test_a_generated_patient_is_read_and_everything_unread_is_listed(advisor: Advisor, profile: str) -> None:
    bundle = generated(profile)
    reading = bundle_to_record(bundle, load_mapping(advisor), today=TODAY, terminology=load_terminology(advisor))
    advisor.read_record(reading.record)
    assert reading.record["symptom_days"] == 12
    assert [item.gave for item in reading.readings if item.element == "valueQuantity"] == [
        "body_temperature below 38.0 Cel: no fever"
    ]
    used = {item.resource for item in reading.readings}
    unread = {item.resource for item in reading.not_understood}
    types = Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])
    assert len(used) + len(unread) == sum(types.values()) - types["Patient"]  # every resource accounted for
    assert not set(reading.record) & {"conditions", "medications", "allergies", "red_flags"}
