"""Small readers of FHIR datatypes: codings, statuses, values and days, as the reader needs them."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .mapping import Coding


def status(concept: Any) -> str | None:
    for coding in getattr(concept, "coding", None) or []:
        if coding.code:
            return str(coding.code)
    return None


def codings(concept: Any) -> list[Coding]:
    return [
        Coding(str(coding.system), str(coding.code))
        for coding in getattr(concept, "coding", None) or []
        if coding.system and coding.code
    ]


def shown(concept: Any) -> str:
    parts: list[str] = []
    for coding in getattr(concept, "coding", None) or []:
        token = f"{coding.system or '?'}|{coding.code or '?'}"
        parts.append(f"{token} ({coding.display})" if coding.display else token)
    if getattr(concept, "text", None):
        parts.append(repr(concept.text))
    return ", ".join(parts) or "(no coding)"


def observation_value(model: Any, kind: str) -> bool | int | None:
    if kind == "boolean":
        return model.valueBoolean if isinstance(model.valueBoolean, bool) else None
    if model.valueInteger is not None:
        return int(model.valueInteger)
    quantity = model.valueQuantity
    if quantity is not None and isinstance(quantity.value, Decimal | int) and quantity.value == int(quantity.value):
        unit = quantity.code or quantity.unit
        if unit in (None, "d", "day", "days"):
            return int(quantity.value)
    return None


def shown_value(model: Any) -> str:
    for name in ("valueBoolean", "valueInteger", "valueQuantity", "valueString", "valueCodeableConcept"):
        value = getattr(model, name, None)
        if value is not None:
            return f"{name} {value}"
    return "(no value)"


def day(value: Any) -> date | None:
    """A full date or dateTime as a day; None for a partial date or nothing."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def effective(model: Any) -> date | None:
    when = model.effectiveDateTime or (model.effectivePeriod.end if model.effectivePeriod else None) or model.issued
    if isinstance(when, datetime):
        return when.date()
    return when if isinstance(when, date) else None


_DAYS_PER_UNIT = {"d": 1, "day": 1, "days": 1, "wk": 7, "week": 7, "weeks": 7}
_PER_DAY = {"d": Decimal(1), "h": Decimal(24), "wk": Decimal(1) / 7}


def supply_days(request: Any) -> int | None:
    """Days a MedicationRequest's supply lasts: its expectedSupplyDuration, or the dispensed
    quantity over the daily dose of its first dosage (frequency per period, dose in the same unit)."""
    dispense = getattr(request, "dispenseRequest", None)
    duration = getattr(dispense, "expectedSupplyDuration", None)
    if duration is not None and duration.value is not None:
        per_unit = _DAYS_PER_UNIT.get(str(duration.code or duration.unit))
        return int(duration.value * per_unit) if per_unit else None
    quantity = getattr(dispense, "quantity", None)
    if quantity is None or quantity.value is None:
        return None
    for dosage in getattr(request, "dosageInstruction", None) or []:
        repeat = getattr(getattr(dosage, "timing", None), "repeat", None)
        rates = getattr(dosage, "doseAndRate", None) or []
        dose = getattr(rates[0], "doseQuantity", None) if rates else None
        if repeat is None or dose is None or dose.value is None or not repeat.frequency or not repeat.period:
            continue
        per_period = _PER_DAY.get(str(repeat.periodUnit))
        if per_period is None or (dose.code or dose.unit) != (quantity.code or quantity.unit):
            continue
        daily = Decimal(dose.value) * repeat.frequency * per_period / Decimal(repeat.period)
        if daily > 0:
            return int(math.ceil(Decimal(quantity.value) / daily))
    return None


def request_period(request: Any) -> tuple[date | None, date | None]:
    """First and last day a MedicationRequest covers: from authoredOn (or the validity period's
    start) for as long as its supply lasts, else to the validity period's end."""
    dispense = getattr(request, "dispenseRequest", None)
    validity = getattr(dispense, "validityPeriod", None)
    start = day(getattr(request, "authoredOn", None)) or day(getattr(validity, "start", None))
    supply = supply_days(request)
    if start is not None and supply is not None and supply > 0:
        return start, start + timedelta(days=supply - 1)
    return start, day(getattr(validity, "end", None))
