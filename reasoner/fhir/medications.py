"""MedicationStatements and MedicationRequests: medicines taken now or stopped, and days of use.

A medicine is known by its codes, those of a contained or referenced Medication and its
ingredients, and the ingredients of the products among them (the terminology's table).
Its status says whether it is taken now, was stopped (days since the last dose) or was
not taken at all; its days of use (:mod:`.periods`) count toward a record field such as
relaxant days taken.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from . import periods, values
from .bundle import Resource
from .mapping import Coding
from .state import ReaderState

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


class MedicationReader(ReaderState):
    """Reads MedicationStatements and MedicationRequests into the record being filled."""

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
