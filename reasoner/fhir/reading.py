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

Entries recorded in error, refuted, resolved or inactive are left out on purpose: they
state that something is *not* the case. Everything else the table does not know (a code,
a resource type) is listed in :attr:`FhirReading.not_understood`; every default the
reading had to assume is listed in :attr:`FhirReading.assumptions`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..errors import BundleError, EpisodeNotFoundError, FieldProblem
from . import periods, values
from .bundle import Resource, patient_references, validate_bundle
from .mapping import AttributeField, Coding, FhirMapping, ResourceRule
from .terminology import Terminology, VitalSign

_IGNORED_VERIFICATION = {"refuted", "entered-in-error"}
_IGNORED_CLINICAL = {"inactive", "remission", "resolved"}
_IGNORED_OBSERVATION = {"entered-in-error", "cancelled"}
_NOT_PATIENT_DATA = {"Medication", "OperationOutcome"}
"""Read only when referred to (a Medication), or messages about a search (an OperationOutcome)."""
_MEDICATION_STATUS = {
    # status → "now" (taken now), "stopped" (days since the last dose), or None (not taken)
    "MedicationStatement": {
        "active": "now",
        "on-hold": "now",
        "intended": "now",
        "unknown": "now",
        "completed": "stopped",
        "stopped": "stopped",
    },
    "MedicationRequest": {
        "active": "now",
        "on-hold": "now",
        "unknown": "now",
        "completed": "stopped",
        "stopped": "stopped",
    },
}


@dataclass(frozen=True)
class NotUnderstood:
    """Something in the Bundle the code table does not know: reported, never dropped in silence."""

    resource: str
    element: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.resource}.{self.element}: {self.value}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {"resource": self.resource, "element": self.element, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class Reading:
    """What one resource gave the record (or, for a finding recorded absent, kept out of it)."""

    resource: str
    element: str
    value: str
    gave: str

    def __str__(self) -> str:
        return f"{self.resource}.{self.element}: {self.value} → {self.gave}"

    def to_json(self) -> dict[str, str]:
        return {"resource": self.resource, "element": self.element, "value": self.value, "gave": self.gave}


@dataclass(frozen=True)
class FhirReading:
    """A record read from a Bundle, with what could not be read and what was assumed.

    ``readings`` lists, resource by resource, what shaped the record: each code it gave,
    each finding it recorded as absent, each product read through its ingredients.
    """

    record: dict[str, Any]
    not_understood: tuple[NotUnderstood, ...] = ()
    assumptions: tuple[str, ...] = ()
    readings: tuple[Reading, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "not_understood": [item.to_json() for item in self.not_understood],
            "assumptions": list(self.assumptions),
            "readings": [item.to_json() for item in self.readings],
        }


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


class _Reader:
    """One reading: the Bundle's resources and the record being filled."""

    def __init__(
        self, resources: list[Resource], mapping: FhirMapping, today: date, source: str, terminology: Terminology
    ) -> None:
        self.resources = resources
        self.mapping = mapping
        self.terminology = terminology
        self.readings: list[Reading] = []
        self.today = today
        self.source = source
        self.problems: list[FieldProblem] = []
        self.not_understood: list[NotUnderstood] = []
        self.assumptions: list[str] = []
        self.codes: dict[str, dict[str, dict[str, Any]]] = {}
        self.values: dict[str, tuple[tuple[int, int], Any]] = {}
        self.onsets: list[tuple[date, Resource]] = []
        self.counted: dict[str, list[tuple[date, date]]] = {}
        self.attributes: dict[str, tuple[tuple[int, int], int, Resource]] = {}
        by_reference: dict[str, Resource] = {}
        for resource in resources:
            by_reference[f"{resource.type}/{resource.model.id}"] = resource
            if resource.full_url:
                by_reference[resource.full_url] = resource
        self.by_reference = by_reference

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

    # -- Observation ------------------------------------------------------------
    def _read_Observation(self, resource: Resource) -> None:  # noqa: N802
        model = resource.model
        if model.status in _IGNORED_OBSERVATION:
            return
        codings = values.codings(model.code)
        for observation in self.mapping.observations:
            if observation.codes.first(codings) is None:
                continue
            value = values.observation_value(model, observation.type)
            if value is None:
                wanted = "valueBoolean" if observation.type == "boolean" else "valueInteger or valueQuantity in days"
                self._not_understood(
                    resource, "value[x]", values.shown_value(model), f"{observation.field} needs {wanted}"
                )
                return
            when = values.effective(model)
            order = (when.toordinal() if when else 0, resource.entry)
            if observation.field not in self.values or self.values[observation.field][0] <= order:
                self.values[observation.field] = (order, value)
            self._read(resource, "value[x]", str(value), f"{observation.field}: {value}")
            return
        attribute = next((item for item in self.mapping.attributes if item.codes.first(codings)), None)
        if attribute is not None:
            self._attribute(resource, attribute)
            return
        vital_sign = self.terminology.vital_sign(codings)
        if vital_sign is not None:
            self._vital_sign(resource, vital_sign)
            return
        if self._finding_present(resource):
            self._code(resource, "Observation", "code", model.code, {})

    def _attribute(self, resource: Resource, attribute: AttributeField) -> None:
        """A duration at the Observation's date (a gestational age), kept in whole weeks as of today;
        the latest Observation wins. Attached to its code once every resource is read."""
        model = resource.model
        days, when = values.duration_days(model.valueQuantity), values.effective(model)
        if days is None or when is None:
            element, wanted = (
                ("valueQuantity", "valueQuantity in UCUM wk or d")
                if days is None
                else ("effective[x]", "a full effective date")
            )
            self._not_understood(
                resource,
                element,
                values.shown_value(model) if days is None else "(no full date)",
                f"{attribute.name} is read from {wanted}; not read",
            )
            return
        order = (when.toordinal(), resource.entry)
        known = self.attributes.get(attribute.name)
        if known is None or known[0] <= order:
            self.attributes[attribute.name] = (order, (days + (self.today - when).days) // 7, resource)

    def _attach(self, attribute: AttributeField, weeks: int, resource: Resource) -> None:
        entry = self.codes.get(attribute.field, {}).get(attribute.code)
        shown = values.shown_value(resource.model)
        if entry is None:
            reason = f"{attribute.name} belongs to a current {attribute.code} in {attribute.field}, and none was read"
        elif weeks < 0 or (attribute.maximum is not None and weeks > attribute.maximum):
            reason = f"{weeks} weeks as of today, outside 0 to {attribute.maximum}: not the current {attribute.code}"
        else:
            entry[attribute.name] = weeks
            self._read(
                resource, "valueQuantity", shown, f"{attribute.field}: {attribute.code} {attribute.name} {weeks}"
            )
            return
        self._not_understood(resource, "valueQuantity", shown, f"{reason}; not read")

    def _finding_present(self, resource: Resource) -> bool:
        """Whether an Observation of a finding says it is present; absent and unreadable say no.

        A finding is present when the Observation has no value, valueBoolean true or a coded
        answer that means present; a negative interpretation, valueBoolean false or a coded
        answer that means absent keep it out, and any other value is reported, never read as
        present.
        """
        model = resource.model
        name = values.shown(model.code)
        interpretation = [coding for concept in model.interpretation or [] for coding in values.codings(concept)]
        if self.terminology.answer(interpretation) is False:
            self._read(resource, "interpretation", values.shown(model.interpretation[0]), f"{name} absent")
            return False
        if model.valueBoolean is not None:
            if model.valueBoolean is False:
                self._read(resource, "valueBoolean", "false", f"{name} absent")
            return bool(model.valueBoolean)
        if model.valueCodeableConcept is not None:
            answer = self.terminology.answer(values.codings(model.valueCodeableConcept))
            if answer is None:
                self._not_understood(
                    resource,
                    "valueCodeableConcept",
                    values.shown(model.valueCodeableConcept),
                    "not an answer the terminology knows as present or absent; the finding is not read",
                )
                return False
            if not answer:
                self._read(resource, "valueCodeableConcept", values.shown(model.valueCodeableConcept), f"{name} absent")
            return answer
        shown_value = values.shown_value(model)
        if shown_value != "(no value)" or model.dataAbsentReason is not None:
            shown_value = (
                shown_value
                if shown_value != "(no value)"
                else f"dataAbsentReason {values.shown(model.dataAbsentReason)}"
            )
            self._not_understood(
                resource,
                "value[x]",
                shown_value,
                "a finding is read from no value, valueBoolean or a coded yes/no answer; not read",
            )
            return False
        return True

    def _vital_sign(self, resource: Resource, sign: VitalSign) -> None:
        """A measurement against the knowledge base's threshold, in the units it converts."""
        quantity = resource.model.valueQuantity
        unit = getattr(quantity, "code", None)
        system = getattr(quantity, "system", None)
        value = getattr(quantity, "value", None)
        reached = None
        if value is not None and unit is not None and system in (None, "http://unitsofmeasure.org"):
            reached = sign.finding(value, str(unit))
        if reached is None:
            self._not_understood(
                resource,
                "valueQuantity",
                values.shown_value(resource.model),
                f"{sign.name} is read from valueQuantity with a UCUM code among: {', '.join(sign.units)}",
            )
            return
        shown = f"{value} {unit}"
        if not reached:
            self._read(
                resource, "valueQuantity", shown, f"{sign.name} below {sign.at_least} {sign.units[0]}: no {sign.code}"
            )
            return
        self._read(
            resource,
            "valueQuantity",
            shown,
            f"{sign.field}: {sign.code} ({sign.name} at least {sign.at_least} {sign.units[0]})",
        )
        self.codes.setdefault(sign.field, {}).setdefault(sign.code, {"code": sign.code})

    # -- Medications ------------------------------------------------------------
    def _read_MedicationStatement(self, resource: Resource) -> None:  # noqa: N802
        self._medication(resource)

    def _read_MedicationRequest(self, resource: Resource) -> None:  # noqa: N802
        self._medication(resource)

    def _medication(self, resource: Resource) -> None:
        model = resource.model
        taken = _MEDICATION_STATUS[resource.type].get(model.status)
        if taken is None:
            self._read(resource, "status", str(model.status), "not a medicine taken: left out")
            return
        concept = model.medicationCodeableConcept
        if concept is None:
            medication = self._referenced_medication(resource)
            if medication is None:
                return
            concept = medication.code
            codings = self._medication_codings(resource, medication)
        else:
            codings = self._with_ingredients(resource, values.codings(concept))
        if resource.type == "MedicationStatement":
            period = periods.statement_period(model, stopped=taken == "stopped")
        else:
            period = periods.request_period(model)
        counted = next(
            (field for field in self.mapping.observations if field.days_of and field.days_of.first(codings)),
            None,
        )
        if counted is not None:
            self._count_days(resource, counted.field, taken, period)
            return
        rule = self.mapping.resources[resource.type]
        last = self._last_dose(resource, period) if taken == "stopped" and rule.stopped_days is not None else None
        attributes: dict[str, Any] = {}
        days = (self.today - last.day).days if last is not None else 0
        if last is not None and rule.stopped_days is not None:
            limit = rule.stopped_days_maximum
            if limit is not None and days > limit:
                self.assumptions.append(f"{resource.name}: last taken {days} days ago, more than {limit}; left out")
                return
            attributes[rule.stopped_days] = days
        found = self._code(resource, resource.type, "medication", concept, attributes, codings, every_meaning=True)
        if found and last is not None:
            self._read(resource, last.element, str(last.day), f"{rule.stopped_days}: {days}")

    def _last_dose(self, resource: Resource, period: periods.Period) -> periods.Day | None:
        """The day of a stopped medicine's last dose; None (taken now, said as an assumption) when no
        element gives a full day or it is after today."""
        model = resource.model
        last = period.end
        if resource.type == "MedicationRequest":
            validity = model.dispenseRequest.validityPeriod if model.dispenseRequest else None
            valid_to = values.day(validity.end) if validity is not None else None
            if valid_to is not None:
                last = periods.Day(valid_to, "dispenseRequest.validityPeriod.end")
        if last is None:
            self.assumptions.append(f"{resource.name}: {model.status} without a full end date; counted as taken now")
            return None
        if last.day > self.today:
            return None
        if last.element == "dateAsserted":
            self.assumptions.append(
                f"{resource.name}: {model.status} with no end date; the last dose taken as no later than "
                f"dateAsserted ({last.day})"
            )
        return last

    def _count_days(self, resource: Resource, field_name: str, taken: str, period: periods.Period) -> None:
        """A medicine whose days of use make a record field: keep the days it covers, counted later."""
        model = resource.model
        start, end = period.start, period.end
        if start is None or (taken == "stopped" and end is None):
            if resource.type == "MedicationRequest":
                element, wanted = "authoredOn", "a MedicationRequest with authoredOn (or a validity period)"
            else:
                element = "effective[x]"
                wanted = "a MedicationStatement with effectivePeriod.start (or effectiveDateTime)"
            shown = str(start.day) if start is not None else "(no start)"
            self._not_understood(
                resource,
                element,
                shown,
                f"counts toward {field_name} only as {wanted} and, once stopped, its last day "
                "(an end date, a supply or a dosage with bounds)",
            )
            return
        if end is None and resource.type == "MedicationRequest":
            self.assumptions.append(
                f"{resource.name}: {model.status} with no supply or end date; taken since {start.day}"
            )
        if start.element == "dateAsserted":
            self.assumptions.append(
                f"{resource.name}: {model.status} with no effective date; counted from dateAsserted ({start.day}), "
                "days before it are not known"
            )
        if end is not None and end.element == "dateAsserted":
            self.assumptions.append(
                f"{resource.name}: {model.status} with no end date; counted to dateAsserted ({end.day}), "
                "the latest its last dose can be"
            )
        last = min(end.day if end is not None else self.today, self.today)
        if last < start.day:
            return  # not begun yet
        self.counted.setdefault(field_name, []).append((start.day, last))
        elements = start.element if end is None else f"{start.element}; {end.element}"
        self._read(resource, elements, f"{start.day} to {last}", f"days counted toward {field_name}")

    def _counted_days(self, field_name: str, onset: date, limit: int) -> int | None:
        """Distinct days of use since the episode's onset, at most ``limit`` (the symptom days)."""
        periods = self.counted.get(field_name)
        if not periods:
            return None
        days = {day for start, end in periods for day in range(max(start, onset).toordinal(), end.toordinal() + 1)}
        return min(len(days), limit)

    def _referenced_medication(self, resource: Resource) -> Any:
        reference = getattr(resource.model.medicationReference, "reference", None) or ""
        if reference.startswith("#"):
            for contained in resource.model.contained or []:
                if contained.get_resource_type() == "Medication" and contained.id == reference[1:]:
                    return contained
        target = self.by_reference.get(reference)
        if target is not None and target.type == "Medication":
            return target.model
        self._not_understood(
            resource, "medicationReference", reference or "(none)", "the Medication is not in the Bundle"
        )
        return None

    def _medication_codings(self, resource: Resource, medication: Any) -> list[Coding]:
        """A Medication's codes, then those of its ingredients (``Medication.ingredient``)."""
        codings = values.codings(medication.code)
        for ingredient in medication.ingredient or []:
            found = values.codings(getattr(ingredient, "itemCodeableConcept", None))
            for coding in found:
                if coding not in codings:
                    codings.append(coding)
                    self._read(resource, "medicationReference", f"ingredient {coding}", "read as an ingredient")
        return self._with_ingredients(resource, codings)

    def _with_ingredients(self, resource: Resource, codings: list[Coding]) -> list[Coding]:
        """``codings`` followed by the ingredients of the products among them (the terminology's table)."""
        found = list(codings)
        for ingredient, product in self.terminology.ingredients(codings):
            if ingredient not in found:
                found.append(ingredient)
                self._read(resource, "medication", str(product.coding), f"{product.name} contains {ingredient}")
        return found

    # -- AllergyIntolerance -----------------------------------------------------
    def _read_AllergyIntolerance(self, resource: Resource) -> None:  # noqa: N802
        model = resource.model
        if (
            values.status(model.verificationStatus) in _IGNORED_VERIFICATION
            or values.status(model.clinicalStatus) in _IGNORED_CLINICAL
        ):
            return
        self._code(resource, "AllergyIntolerance", "code", model.code, {})

    # -- shared -----------------------------------------------------------------
    def _code(
        self,
        resource: Resource,
        resource_type: str,
        element: str,
        concept: Any,
        attributes: dict[str, Any],
        codings: list[Coding] | None = None,
        *,
        every_meaning: bool = False,
    ) -> bool:
        """Add the record code of the first coding the table knows (``every_meaning``: of each coding);
        False when the table knows none (reported as not understood)."""
        if codings is None:
            codings = values.codings(concept)
        rule = self.mapping.resources.get(resource_type)
        if rule is None:
            self._not_understood(resource, element, values.shown(concept), f"{resource_type} is not read by this table")
            return False
        for field_name in rule.fields:
            table = self.mapping.codes[field_name]
            found = (
                list(dict.fromkeys(code for coding in codings if (code := table.lookup(coding)) is not None))
                if every_meaning
                else [code for code in [table.first(codings)] if code is not None]
            )
            if not found:
                continue
            entries = self.codes.setdefault(field_name, {})
            for code in found:
                known = entries.get(code)
                entry = {"code": code, **attributes}
                entries[code] = entry if known is None else _merge(known, entry, rule, self.mapping.severity_order)
                self._read(resource, element, values.shown(concept), f"{field_name}: {code}")
            return True
        fields = ", ".join(rule.fields)
        self._not_understood(resource, element, values.shown(concept), f"no code in the table for {fields}")
        return False

    def _read(self, resource: Resource, element: str, value: str, gave: str) -> None:
        self.readings.append(Reading(resource.name, element, value, gave))

    def _not_understood(self, resource: Resource, element: str, value: str, reason: str) -> None:
        self.not_understood.append(NotUnderstood(resource.name, element, value, reason))

    def _episode_codings(self) -> Iterator[str]:
        table = self.mapping.episode
        yield from (str(coding) for coding in table.exact)
        for system, codes in table.prefixes.items():
            yield from (f"{system}|{code}" for code in codes)


def _merge(
    known: dict[str, Any], new: dict[str, Any], rule: ResourceRule, severities: tuple[str, ...]
) -> dict[str, Any]:
    """Two resources give the same code: taken now beats stopped, the latest dose and the worst severity win."""
    merged: dict[str, Any] = {"code": known["code"]}
    if rule.stopped_days is not None and rule.stopped_days in known and rule.stopped_days in new:
        merged[rule.stopped_days] = min(known[rule.stopped_days], new[rule.stopped_days])
    if rule.severity is not None:
        found = [entry[rule.severity] for entry in (known, new) if rule.severity in entry]
        if found:
            merged[rule.severity] = max(found, key=lambda value: severities.index(value) if value in severities else -1)
    return merged
