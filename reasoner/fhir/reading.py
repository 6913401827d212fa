"""Read a FHIR R4 Bundle into a patient record, through the knowledge base's code table.

Resources are first validated with the R4B models of ``fhir.resources`` (R4 and R4B share
these resources; the package's default R5 models rename some of them). A resource that
fails validation stops the reading with a :class:`BundleError` naming the entry, the
resource and the element. Then each resource is read by its type:

``Patient``                  its id, and the age in whole years at ``today``
``Condition``                the episode's onset (symptom days), or a condition or finding
``Observation``              a record field carried as a value, or a finding
``MedicationStatement``      a medicine taken now, or stopped N days ago
``MedicationRequest``        the same, from the request's status and validity period
``AllergyIntolerance``       a recorded hypersensitivity

The readers of Observations (:mod:`.observations`) and of medicines (:mod:`.medications`)
fill the state every reader shares (:mod:`.state`); the result is a :class:`FhirReading`
(:mod:`.results`). Entries recorded in error, refuted, resolved or inactive are left out on purpose: they
state that something is *not* the case. Everything else the table does not know (a code,
a resource type) is listed in :attr:`FhirReading.not_understood`; every default the
reading had to assume is listed in :attr:`FhirReading.assumptions`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from ..errors import BundleError, EpisodeNotFoundError, FieldProblem
from . import values
from .bundle import Resource, patient_references, validate_bundle
from .mapping import FhirMapping
from .medications import MedicationReader
from .observations import ObservationReader
from .results import FhirReading, NotUnderstood, Reading
from .terminology import Terminology

__all__ = ["FhirReading", "NotUnderstood", "Reading", "bundle_to_record"]

_IGNORED_VERIFICATION = {"refuted", "entered-in-error"}
_IGNORED_CLINICAL = {"inactive", "remission", "resolved"}
_NOT_PATIENT_DATA = {"Medication", "OperationOutcome"}
"""Read only when referred to (a Medication), or messages about a search (an OperationOutcome)."""


def bundle_to_record(
    bundle: dict[str, Any],
    mapping: FhirMapping,
    *,
    today: date | None = None,
    source: str = "",
    terminology: Terminology | None = None,
) -> FhirReading:
    """Read ``bundle`` (parsed JSON) into a record for the advisor; raises BundleError naming the element.

    Without ``terminology`` (the KB's ``terminology`` data file) products, coded answers and
    vital signs are not read: a finding with a coded value is then reported as not understood.
    """
    resources = validate_bundle(bundle, source)
    return _Reader(resources, mapping, today or date.today(), source, terminology or Terminology()).read()


class _Reader(ObservationReader, MedicationReader):
    """One reading of a Bundle: Patient, Conditions and AllergyIntolerances here; the rest in the readers it extends."""

    def read(self) -> FhirReading:
        patient = self._patient()
        record: dict[str, Any] = {}
        if patient is not None:
            record[self.mapping.identifier_field] = patient.model.id or patient.full_url or "patient"
            age = self._age(patient)
            if age is not None:
                record[self.mapping.age_field] = age
        references = patient_references(patient)
        for resource in self.resources:
            if resource.type == "Patient":
                continue
            if not self._belongs(resource, references):
                continue
            reader = getattr(self, f"_read_{resource.type}", None)
            if reader is not None:
                reader(resource)
            elif resource.type not in _NOT_PATIENT_DATA:
                self._not_understood(resource, "resourceType", resource.type, "this resource type is not read")
        if self.problems:
            raise BundleError(self.problems, self.source)
        if not self.onsets:
            wanted = ", ".join(sorted(self._episode_codings()))
            raise EpisodeNotFoundError(
                [FieldProblem("Condition", f"no current Condition of the episode; its code is one of: {wanted}")],
                self.source,
            )
        onset, episode = max(self.onsets, key=lambda pair: pair[0])
        days = (self.today - onset).days
        if days < 0:
            raise BundleError(
                [FieldProblem(f"{episode.name}: onset", f"{onset} is after today ({self.today})")], self.source
            )
        record[self.mapping.episode_field] = days
        for observation in self.mapping.observations:
            counted = self._counted_days(observation.field, onset, days)
            if observation.field in self.values:
                record[observation.field] = self.values[observation.field][1]
            elif counted is not None:
                record[observation.field] = counted
            elif observation.default is not None:
                record[observation.field] = observation.default
                self.assumptions.append(
                    f"{observation.field}: no Observation with its code; taken as {observation.default}"
                )
        for attribute in self.mapping.attributes:
            if attribute.name in self.attributes:
                _, weeks, resource = self.attributes[attribute.name]
                self._attach(attribute, weeks, resource)
        for field_name, codes in self.codes.items():
            record[field_name] = [entry if len(entry) > 1 else entry["code"] for entry in codes.values()]
        return FhirReading(record, tuple(self.not_understood), tuple(self.assumptions), tuple(self.readings))

    # -- Patient ----------------------------------------------------------------
    def _patient(self) -> Resource | None:
        patients = [resource for resource in self.resources if resource.type == "Patient"]
        if not patients:
            self.problems.append(FieldProblem("Patient", "the Bundle has no Patient resource"))
            return None
        if len({patient.name for patient in patients}) > 1:
            names = ", ".join(patient.name for patient in patients)
            self.problems.append(FieldProblem("Patient", f"the Bundle holds several patients ({names}); send one"))
            return None
        return patients[0]

    def _age(self, patient: Resource) -> int | None:
        born = patient.model.birthDate
        if born is None:
            self.problems.append(FieldProblem(f"{patient.name}: birthDate", "is required to know the age"))
            return None
        if not isinstance(born, date):
            self.problems.append(
                FieldProblem(
                    f"{patient.name}: birthDate", f"{born} is a partial date; the age needs year, month and day"
                )
            )
            return None
        if born > self.today:
            self.problems.append(FieldProblem(f"{patient.name}: birthDate", f"{born} is after today ({self.today})"))
            return None
        return self.today.year - born.year - ((self.today.month, self.today.day) < (born.month, born.day))

    def _belongs(self, resource: Resource, references: set[str]) -> bool:
        subject = getattr(resource.model, "subject", None) or getattr(resource.model, "patient", None)
        reference = getattr(subject, "reference", None)
        if reference is None or not references:
            return True
        if reference in references or any(reference.endswith("/" + known) for known in references if "/" in known):
            return True
        element = "subject" if getattr(resource.model, "subject", None) is not None else "patient"
        self.problems.append(
            FieldProblem(f"{resource.name}: {element}", f"refers to {reference}, not to the Bundle's patient")
        )
        return False

    # -- Condition --------------------------------------------------------------
    def _read_Condition(self, resource: Resource) -> None:  # noqa: N802 - named after the FHIR type
        model = resource.model
        if (
            values.status(model.verificationStatus) in _IGNORED_VERIFICATION
            or values.status(model.clinicalStatus) in _IGNORED_CLINICAL
        ):
            return
        codings = values.codings(model.code)
        if self.mapping.episode.first(codings) is not None:
            onset = model.onsetDateTime or (model.onsetPeriod.start if model.onsetPeriod else None)
            if isinstance(onset, datetime):
                onset = onset.date()
            if not isinstance(onset, date):
                shown = f"{onset} is a partial date" if onset else "is missing"
                self.problems.append(
                    FieldProblem(
                        f"{resource.name}: onsetDateTime",
                        f"{shown}; the onset day of the episode (onsetDateTime or onsetPeriod.start) "
                        f"is needed for {self.mapping.episode_field}",
                    )
                )
                return
            self.onsets.append((onset, resource))
            self._read(resource, "onset", str(onset), f"an onset of the episode ({self.mapping.episode_field})")
            return
        attributes: dict[str, Any] = {}
        rule = self.mapping.resources["Condition"]
        if rule.severity is not None and model.severity is not None:
            severity = self.mapping.severity.first(values.codings(model.severity))
            if severity is None:
                self._not_understood(
                    resource, "severity", values.shown(model.severity), "not a severity in the code table"
                )
            else:
                attributes[rule.severity] = severity
        self._code(resource, "Condition", "code", model.code, attributes)

    # -- AllergyIntolerance -----------------------------------------------------
    def _read_AllergyIntolerance(self, resource: Resource) -> None:  # noqa: N802
        model = resource.model
        if (
            values.status(model.verificationStatus) in _IGNORED_VERIFICATION
            or values.status(model.clinicalStatus) in _IGNORED_CLINICAL
        ):
            return
        self._code(resource, "AllergyIntolerance", "code", model.code, {})

    def _episode_codings(self) -> Iterator[str]:
        table = self.mapping.episode
        yield from (str(coding) for coding in table.exact)
        for system, codes in table.prefixes.items():
            yield from (f"{system}|{code}" for code in codes)
