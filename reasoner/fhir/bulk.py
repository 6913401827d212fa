"""A FHIR Bulk Data export read as a cohort: one patient's resources at a time, each read as its Bundle would be.

An export is a folder of NDJSON files, one resource type a file, often with its
``manifest.json`` (:mod:`export` finds the files and their order).

Reading is done in two passes so that memory does not grow with the cohort:

1. Every line of every file is parsed once, in Python (so a malformed line is reported as
   ``file:line`` with what is wrong, and nothing else is lost), and only a few columns are
   kept: the patient it belongs to (``subject`` or ``patient``, a ``Patient/id`` reference),
   its place, and its text. These rows go to a DuckDB database in a temporary folder, on
   disk, under a memory limit (:data:`MEMORY_LIMIT`), so DuckDB spills to disk and a
   million patients' resources are never all held by Python.
2. DuckDB groups the rows by patient in the Patient files' order; each patient's resources
   (with the Medications they refer to) become one Bundle, read by :func:`bundle_to_record`,
   the same reader as for one Bundle: the same record, the same codes not understood, the
   same assumptions. Only one patient's resources are held at a time, and the readings
   (what was not understood) of the patients whose answers are not yet written.

Medication resources belong to no patient: they are held in memory, by reference, for the
whole run (a formulary's size, not the cohort's). A resource whose patient is not in the
Patient files, or that names no patient, is reported as an error entry, never guessed.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from ..advisor.advisor import Advisor
from ..advisor.batch import Outcome
from ..advisor.inputs import Entry, bounded_lines
from ..advisor.recordtext import TextProblem, decode_utf8, load_json
from ..errors import FieldProblem, RecordError
from ..language.duckdb_connections import open_duckdb
from .export import MANIFEST, Export, ExportFile, find_export, write_export
from .mapping import FhirMapping
from .reading import bundle_to_record
from .results import FhirReading
from .terminology import Terminology

MEMORY_LIMIT = "512MB"
"""DuckDB's memory limit while grouping resources by patient; beyond it, DuckDB spills to disk."""
FETCH = 10_000
"""Rows fetched from DuckDB at a time while patients are put together."""

_PATIENT_REFERENCE = re.compile(r"(?:^|/)Patient/(?P<id>[A-Za-z0-9\-.]{1,64})$")
_MEDICATION_REFERENCE = re.compile(r"(?:^|/)(?P<ref>Medication/[A-Za-z0-9\-.]{1,64})$")


@dataclass
class BulkCohort:
    """The patients of an export as cohort entries, and how each was read (:meth:`annotate`)."""

    export: Export
    mapping: FhirMapping
    terminology: Terminology
    today: date
    parse: bool = True
    """False: each patient's record is given as JSON text (``Entry.text``), as JSON Lines would be."""
    readings: dict[int, FhirReading] = field(default_factory=dict)

    def entries(self) -> Iterator[Entry]:
        """First the lines that could not be given to a patient (each an error), then each patient in order."""
        with tempfile.TemporaryDirectory(prefix="backspasm-bulk-") as folder:
            staging = _Staging(Path(folder))
            try:
                problems = staging.load(self.export)
                index = 0
                for source, line, problem in problems:
                    yield Entry(index, source, line, error=RecordError([problem], source))
                    index += 1
                for patient in staging.patients():
                    yield self._entry(index, patient, staging.medications)
                    index += 1
            finally:
                staging.close()

    def _entry(self, index: int, patient: _Patient, medications: dict[str, str]) -> Entry:
        source = f"{patient.file}:{patient.line}"
        resources = [json.loads(text) for text in patient.texts]
        wanted = {match for resource in resources for match in _medication_references(resource)}
        resources += [json.loads(medications[reference]) for reference in sorted(wanted) if reference in medications]
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
        try:
            reading = bundle_to_record(
                bundle, self.mapping, today=self.today, source=source, terminology=self.terminology
            )
        except RecordError as error:
            return Entry(index, source, patient.line, error=error)
        self.readings[index] = reading
        if self.parse:
            return Entry(index, source, patient.line, reading.record)
        return Entry(index, source, patient.line, text=json.dumps(reading.record))

    def annotate(self, outcomes: Iterator[Outcome]) -> Iterator[Outcome]:
        """Each answer with what its patient's resources held that it could not use, as for a Bundle
        (``not_understood``, ``assumptions``, ``readings``: reasoner/fhir/advice.py)."""
        for outcome in outcomes:
            reading = self.readings.pop(outcome.index, None)
            if reading is None or outcome.answer is None:
                yield outcome
                continue
            yield replace(outcome, answer={**outcome.answer, **reading.annotations()}, text=None)


def _medication_references(resource: dict[str, Any]) -> Iterator[str]:
    reference = resource.get("medicationReference")
    if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
        match = _MEDICATION_REFERENCE.search(reference["reference"])
        if match:
            yield match.group("ref")


@dataclass(frozen=True)
class _Patient:
    file: str
    line: int
    texts: list[str]
    """The Patient resource's text first, then its other resources' in reading order."""


_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
"""A FHIR id (R4 ``id`` datatype): what a reference to a Patient or Medication can name."""


class _Staging:
    """Pass 1 into DuckDB (on disk, in ``folder``), pass 2 out of it grouped by patient.

    DuckDB holds where each resource is (file, byte offset, length), its patient and its
    place; the text is read again from the export's file when its patient is put together.
    The rows are staged as CSV files (numbers and FHIR ids only, so nothing needs quoting)
    and copied into DuckDB once, which is far faster than inserting them from Python.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.connection = open_duckdb(str(folder / "export.duckdb"))
        self.connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.connection.execute("SET temp_directory = ?", [str(folder / "spill")])
        self.connection.execute("SET preserve_insertion_order = false")
        self.medications: dict[str, str] = {}
        self.names: list[str] = []
        self._handles: dict[int, Any] = {}

    def close(self) -> None:
        self.connection.close()
        for handle in self._handles.values():
            handle.close()

    def load(self, export: Export) -> list[tuple[str, int | None, FieldProblem]]:
        """Parse every line, stage what each patient needs; the problems found, in file and line order.

        Duplicate Patients and resources of patients not in the export are found by DuckDB,
        so no per-resource list grows in Python with the cohort.
        """
        problems: list[tuple[int, int, FieldProblem]] = []
        names = self.names = [str(file.path) for file in export.files]
        ordinal = seq = 0
        patients_csv = (self.folder / "patients.csv").open("w", encoding="utf-8")
        resources_csv = (self.folder / "resources.csv").open("w", encoding="utf-8")
        with patients_csv, resources_csv:
            for number_of_file, file in enumerate(export.files):
                try:
                    handle = file.path.open("rb")
                except OSError as error:
                    problems.append((number_of_file, 0, FieldProblem("", f"cannot read: {error.strerror or error}")))
                    continue
                with handle:
                    end = 0
                    for number, raw in enumerate(bounded_lines(handle), start=1):
                        start, end = end, handle.tell()
                        try:
                            if isinstance(raw, TextProblem):
                                raise raw
                            text = decode_utf8(raw).rstrip("\r\n")
                            if not text.strip():
                                continue
                            resource = load_json(text)
                        except TextProblem as problem:
                            problems.append((number_of_file, number, FieldProblem("", _line_problem(problem))))
                            continue
                        shape = _shape_problem(resource, file.type)
                        if shape is not None:
                            problems.append((number_of_file, number, shape))
                            continue
                        kind, identifier = resource["resourceType"], resource.get("id")
                        place = f"{number_of_file},{start},{end - start},{number}"
                        if kind == "Patient":
                            ordinal += 1
                            patients_csv.write(f"{ordinal},{identifier},{place}\n")
                        elif kind == "Medication":
                            self.medications[f"Medication/{identifier}"] = text
                        else:
                            patient = _patient_of(resource)
                            if isinstance(patient, FieldProblem):
                                problems.append((number_of_file, number, patient))
                                continue
                            seq += 1
                            resources_csv.write(f"{seq},{patient},{place}\n")
        for table, key in (("patients", "ordinal BIGINT, id VARCHAR"), ("resources", "seq BIGINT, patient VARCHAR")):
            columns = f"{key}, f INTEGER, off BIGINT, len BIGINT, l BIGINT"
            self.connection.execute(f"CREATE TABLE {table} ({columns})")
            self.connection.execute(
                f"COPY {table} FROM '{self.folder / table}.csv' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')"
            )
        duplicates = self.connection.execute(
            "SELECT p.f, p.l, p.id, first.f, first.l FROM patients p JOIN patients first "
            "ON first.id = p.id AND first.ordinal < p.ordinal "
            "QUALIFY row_number() OVER (PARTITION BY p.ordinal ORDER BY first.ordinal) = 1"
        ).fetchall()
        for file_number, line, identifier, first_file, first_line in duplicates:
            shown = f"{names[first_file]}:{first_line}"
            problems.append((file_number, line, FieldProblem("id", f"Patient/{identifier} is already at {shown}")))
        orphans = self.connection.execute(
            "SELECT r.f, r.l, r.patient FROM resources r ANTI JOIN patients p ON p.id = r.patient"
        ).fetchall()
        for file_number, line, identifier in orphans:
            message = f"refers to Patient/{identifier}, which is in none of the export's Patient files"
            problems.append((file_number, line, FieldProblem("subject", message)))
        problems.sort(key=lambda found: (found[0], found[1]))
        return [
            (f"{names[file_number]}:{line}" if line else names[file_number], line or None, problem)
            for file_number, line, problem in problems
        ]

    def _text(self, file_number: int, offset: int, length: int) -> str:
        handle = self._handles.get(file_number)
        if handle is None:
            handle = self._handles[file_number] = Path(self.names[file_number]).open("rb")
        handle.seek(offset)
        return decode_utf8(handle.read(length)).rstrip("\r\n")

    def patients(self) -> Iterator[_Patient]:
        """Each patient with its resources, in the Patient files' order; one patient held at a time.

        A Patient id seen twice is read at its first place only (the second is a problem).
        """
        result = self.connection.execute(
            "WITH firsts AS (SELECT * FROM patients QUALIFY row_number() OVER (PARTITION BY id ORDER BY ordinal) = 1) "
            "SELECT p.ordinal, p.f, p.off, p.len, p.l, r.f, r.off, r.len FROM firsts p "
            "LEFT JOIN resources r ON r.patient = p.id ORDER BY p.ordinal, r.seq"
        )
        current: _Patient | None = None
        ordinal = None
        while rows := result.fetchmany(FETCH):
            for row in rows:
                if row[0] != ordinal:
                    if current is not None:
                        yield current
                    ordinal = row[0]
                    current = _Patient(self.names[row[1]], row[4], [self._text(row[1], row[2], row[3])])
                if row[5] is not None and current is not None:
                    current.texts.append(self._text(row[5], row[6], row[7]))
        if current is not None:
            yield current


def _line_problem(problem: TextProblem) -> str:
    """``invalid JSON at column 13: Expecting value``: where on the line, when the parser knows."""
    kind, colon, rest = problem.message.partition(": ")
    if problem.column is None or not colon:
        return problem.message
    return f"{kind} at column {problem.column}: {rest}"


def _shape_problem(resource: Any, expected: str | None) -> FieldProblem | None:
    """What makes a parsed line unusable as a resource of this file, or None."""
    if not isinstance(resource, dict):
        return FieldProblem("", "a line of a Bulk Data export is one resource, a JSON object")
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind:
        return FieldProblem("resourceType", "is required: the resource's type, such as Patient")
    if expected is not None and kind != expected:
        return FieldProblem("resourceType", f"{kind} in a file of {expected} resources")
    identifier = resource.get("id")
    if kind in ("Patient", "Medication") and not (isinstance(identifier, str) and _ID.fullmatch(identifier)):
        return FieldProblem(
            "id", f"a {kind} of an export needs its id (1 to 64 of A-Z a-z 0-9 - .), which other resources refer to"
        )
    return None


def _patient_of(resource: dict[str, Any]) -> str | FieldProblem:
    """The id of the patient a resource belongs to (``subject`` or ``patient``), or the problem."""
    for element in ("subject", "patient"):
        value = resource.get(element)
        if value is None:
            continue
        reference = value.get("reference") if isinstance(value, dict) else None
        if not isinstance(reference, str):
            return FieldProblem(f"{element}.reference", "is required: the patient, as Patient/id")
        match = _PATIENT_REFERENCE.search(reference)
        if match is None:
            return FieldProblem(f"{element}.reference", f"{reference} is not a reference to a patient (Patient/id)")
        return match.group("id")
    return FieldProblem(
        "subject", f"a {resource['resourceType']} of an export must name its patient (subject or patient)"
    )


def bulk_cohort(export: Export, advisor: Advisor, *, today: date | None = None, parse: bool = True) -> BulkCohort:
    """The export's patients for ``advisor``, read through its KB's ``fhir`` mapping and terminology."""
    from . import load_mapping, load_terminology

    return BulkCohort(export, load_mapping(advisor), load_terminology(advisor), today or date.today(), parse)


__all__ = ["MANIFEST", "BulkCohort", "Export", "ExportFile", "bulk_cohort", "find_export", "write_export"]
