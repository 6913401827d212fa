"""A FHIR Bulk Data export read as a cohort: each patient answered as the same resources in one Bundle.

The export is built from Bundles (:func:`write_export`) or written line by line; answers
come from ``batch``'s ``run`` on every engine and are compared with ``recommend_bundle`` on
a Bundle of the same resources, in the export's order.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner.advisor.batch import run
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.errors import RecordError
from backspasm.reasoner.fhir import recommend_bundle
from backspasm.reasoner.fhir.bulk import Export, bulk_cohort, find_export, write_export
from tests.conftest import ROOT, require_pyspark
from tests.fhir_bundles import RXNORM, back_pain, bundle, concept, medication_statement, patient

TODAY = date(2026, 11, 26)
EXAMPLE_BUNDLES = sorted((ROOT / "examples" / "fhir").glob("*.json"))


def example_bundles() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLE_BUNDLES]


def answers(advisor: Advisor, export: Export, engine: str = "duckdb", form: str = "full") -> list[dict[str, Any]]:
    cohort = bulk_cohort(export, advisor, today=TODAY, parse=engine != "duckdb")
    outcomes = run(cohort.entries(), advisor, kb_path=ROOT / "kb", engine=engine, chunk_size=2, form=form)
    return [outcome.to_json() for outcome in cohort.annotate(outcomes)]


def in_export_order(export: Export, identifier: str) -> dict[str, Any]:
    """The Bundle of one patient's resources, in the order the export holds them, then the Medications they name."""
    resources, medications = [], {}
    for file in export.files:
        for line in file.path.read_text(encoding="utf-8").splitlines():
            resource = json.loads(line)
            owner = (resource.get("subject") or resource.get("patient") or {}).get("reference")
            if resource["resourceType"] == "Medication":
                medications[f"Medication/{resource['id']}"] = resource
            elif (
                resource.get("id") == identifier
                if resource["resourceType"] == "Patient"
                else owner == f"Patient/{identifier}"
            ):
                resources.append(resource)
    named = sorted({r["medicationReference"]["reference"] for r in resources if "medicationReference" in r})
    return bundle(*resources, *(medications[reference] for reference in named))


def bundle_answer(advisor: Advisor, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return recommend_bundle(advisor, data, today=TODAY).to_json()
    except RecordError as error:
        return {"error": [problem.message for problem in error.problems]}


@pytest.mark.parametrize("engine", ["duckdb", "pydatalog", "spark"])
def test_each_patient_of_an_export_gets_the_answer_of_its_resources_as_one_bundle(
    advisor: Advisor, tmp_path: Path, engine: str
) -> None:
    if engine == "spark":
        require_pyspark()
    bundles = example_bundles()
    write_export(bundles, tmp_path / "export")
    export = find_export(tmp_path / "export")
    assert export is not None
    got = answers(advisor, export, engine)
    identifiers = [data["entry"][0]["resource"]["id"] for data in bundles]
    assert [answer["subject"] for answer in got] == identifiers  # the Patient file's order
    assert [bool(answer["not_understood"]) for answer in got] == [False] * 4 + [True]  # as for a Bundle
    for answer, identifier, original in zip(got, identifiers, bundles, strict=True):
        assert answer == bundle_answer(advisor, in_export_order(export, identifier))
        # The example Bundle itself gives the same answer; only the order of the lists may differ.
        expected = bundle_answer(advisor, original)
        for key in ("not_understood", "readings"):
            assert sorted(map(json.dumps, answer.pop(key))) == sorted(map(json.dumps, expected.pop(key)))
        assert answer == expected


def test_compact_answers_of_an_export_carry_what_was_not_understood(advisor: Advisor, tmp_path: Path) -> None:
    write_export(example_bundles(), tmp_path / "export")
    export = find_export(tmp_path / "export")
    assert export is not None
    got = answers(advisor, export, form="compact")
    unmapped = next(answer for answer in got if answer.get("not_understood"))
    assert {item["resource"] for item in unmapped["not_understood"]} >= {"Encounter/um-visit"}


def two_patients(folder: Path) -> None:
    """Two patients in numbered files, their resources interleaved, one Medication shared by reference."""
    folder.mkdir()
    second = patient("p2", "1950-01-01")
    pain_2 = back_pain("2026-11-20") | {"subject": {"reference": "Patient/p2"}}
    by_reference = medication_statement(concept(RXNORM, "1")) | {"id": "ms1"}
    del by_reference["medicationCodeableConcept"]
    by_reference["medicationReference"] = {"reference": "Medication/m1"}
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "a2",
        "code": concept(RXNORM, "21949", "cyclobenzaprine"),
        "patient": {"reference": "Patient/p2"},
    }
    files = {
        "Patient.000.ndjson": [second],
        "Patient.001.ndjson": [patient("p1")],
        "Condition.ndjson": [back_pain() | {"id": "c1"}, pain_2 | {"id": "c2"}],
        "MedicationStatement.ndjson": [by_reference],
        "Medication.ndjson": [{"resourceType": "Medication", "id": "m1", "code": concept(RXNORM, "36437")}],
        "AllergyIntolerance.ndjson": [allergy],
    }
    for name, resources in files.items():
        (folder / name).write_text("".join(json.dumps(resource) + "\n" for resource in resources))


def test_numbered_files_references_and_the_patient_files_order(advisor: Advisor, tmp_path: Path) -> None:
    two_patients(tmp_path / "export")
    export = find_export(tmp_path / "export")
    assert export is not None
    cohort = bulk_cohort(export, advisor, today=TODAY)
    entries = list(cohort.entries())
    assert [entry.data["id"] for entry in entries] == ["p2", "p1"]
    assert [entry.source for entry in entries] == [
        f"{tmp_path}/export/Patient.000.ndjson:1",
        f"{tmp_path}/export/Patient.001.ndjson:1",
    ]
    assert entries[1].data["medications"] == ["ssri"]  # through the shared Medication
    assert "medications" not in entries[0].data  # p1's medicine is not p2's
    assert entries[0].data["allergies"] == ["cyclobenzaprine"]
    assert entries[0].data["age"] == 76 and entries[0].data["symptom_days"] == 6
    got = answers(advisor, export, "pydatalog")
    assert [answer["subject"] for answer in got] == ["p2", "p1"]
    assert got[1] == bundle_answer(advisor, in_export_order(export, "p1"))


def test_bad_lines_are_named_by_file_and_line_and_lose_nothing_else(advisor: Advisor, tmp_path: Path) -> None:
    two_patients(tmp_path / "export")
    folder = tmp_path / "export"
    with (folder / "Condition.ndjson").open("a") as file:
        file.write('{"resourceType": "Condition", "id": \n')  # line 3: not JSON
        file.write(json.dumps(back_pain() | {"id": "c9", "subject": {"reference": "Patient/nobody"}}) + "\n")
        file.write(json.dumps({"resourceType": "Observation", "id": "o1"}) + "\n")  # line 5: wrong file
        file.write(json.dumps(back_pain() | {"id": "c10", "subject": None}) + "\n")  # line 6: no patient
        file.write("[1, 2]\n")  # line 7: not a resource
    with (folder / "Patient.001.ndjson").open("a") as file:
        file.write(json.dumps(patient("p2")) + "\n")  # a second p2
    export = find_export(folder)
    assert export is not None
    got = answers(advisor, export)
    errors = [answer["error"] for answer in got if "error" in answer]
    condition = f"{folder}/Condition.ndjson"
    assert [(error["source"], error["problems"][0]["field"]) for error in errors] == [
        (f"{folder}/Patient.001.ndjson:2", "id"),
        (f"{condition}:3", ""),
        (f"{condition}:4", "subject"),
        (f"{condition}:5", "resourceType"),
        (f"{condition}:6", "subject"),
        (f"{condition}:7", ""),
    ]
    messages = [error["problems"][0]["message"] for error in errors]
    assert messages[0] == f"Patient/p2 is already at {folder}/Patient.000.ndjson:1"
    assert messages[1].startswith("invalid JSON at column 37: Expecting value")
    assert messages[2] == "refers to Patient/nobody, which is in none of the export's Patient files"
    assert messages[3] == "Observation in a file of Condition resources"
    assert "must name its patient" in messages[4]
    assert [answer["subject"] for answer in got if "error" not in answer] == ["p2", "p1"]


def test_a_resource_the_fhir_models_refuse_fails_its_patient_only(advisor: Advisor, tmp_path: Path) -> None:
    two_patients(tmp_path / "export")
    with (tmp_path / "export" / "Condition.ndjson").open("a") as file:
        file.write(json.dumps(back_pain() | {"id": "bad", "onsetDateTime": "yesterday"}) + "\n")
    export = find_export(tmp_path / "export")
    assert export is not None
    got = answers(advisor, export)
    assert "onsetDateTime" in got[1]["error"]["problems"][0]["field"]
    assert got[1]["error"]["source"] == f"{tmp_path}/export/Patient.001.ndjson:1"
    assert got[0]["subject"] == "p2"


def test_what_is_an_export_a_folder_of_records_is_not(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "a.json").write_text("{}")
    assert find_export(records) is None
    assert find_export(tmp_path / "records" / "a.json") is None
    write_export(example_bundles(), tmp_path / "export")
    by_folder, by_manifest = find_export(tmp_path / "export"), find_export(tmp_path / "export" / "manifest.json")
    assert by_folder is not None and by_folder == by_manifest
    assert by_folder.files[0].type == "Patient"


def test_a_manifest_naming_a_missing_file_is_refused(tmp_path: Path) -> None:
    write_export(example_bundles(), tmp_path / "export")
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    manifest["output"].append({"type": "Observation", "url": "https://example.org/files/Observation.7.ndjson"})
    (tmp_path / "export" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RecordError, match=r"output\[5\].url: https://example.org/files/Observation.7.ndjson is not"):
        find_export(tmp_path / "export")


def test_the_shipped_example_export_is_the_example_bundles(tmp_path: Path) -> None:
    write_export(example_bundles(), tmp_path / "export")
    shipped = ROOT / "examples" / "fhir" / "bulk"
    assert sorted(path.name for path in shipped.iterdir() if path.is_file()) == sorted(
        path.name for path in (tmp_path / "export").iterdir()
    )
    for path in (tmp_path / "export").iterdir():
        assert (shipped / path.name).read_text() == path.read_text(), path.name


def test_batch_reads_the_example_export_and_a_record_folder_still_reads_records(tmp_path: Path) -> None:
    folder = CliRunner().invoke(main, ["example", "bulk", "--fhir", "--path"]).stdout.strip()
    result = CliRunner().invoke(main, ["batch", folder, "--today", "2026-11-26"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["subject"] for line in lines] == [
        "acute",
        "chronic-flare",
        "contraindicated-ssri",
        "red-flag",
        "unmapped-code",
    ]
    schema = json.loads((ROOT / "docs" / "schemas" / "fhir-answer.schema.json").read_text(encoding="utf-8"))
    for line in lines:
        jsonschema.validate(line, schema)
    records = tmp_path / "records"
    records.mkdir()
    (records / "a.json").write_text(json.dumps({"id": "a", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}))
    result = CliRunner().invoke(main, ["batch", str(records)])
    assert result.exit_code == 0 and json.loads(result.stdout)["subject"] == "a"
