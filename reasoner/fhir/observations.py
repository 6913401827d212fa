"""Observations: a record field carried as a value, an attribute of a code, a finding, a vital sign.

A finding is read as present only when the Observation says so; a negative answer, a
negative interpretation or ``valueBoolean`` false keep it out, and any other value is
reported as not understood, never read as present.
"""

from __future__ import annotations

from . import values
from .bundle import Resource
from .mapping import AttributeField
from .state import ReaderState
from .terminology import VitalSign

_IGNORED_OBSERVATION = {"entered-in-error", "cancelled"}


class ObservationReader(ReaderState):
    """Reads Observations into the record being filled."""

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
