"""Small readers of FHIR datatypes: codings, statuses, values and days, as the reader needs them."""

from __future__ import annotations

from datetime import date, datetime
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


_UCUM = "http://unitsofmeasure.org"
_DAYS_IN = {"d": 1, "wk": 7}


def duration_days(quantity: Any) -> int | None:
    """A valueQuantity in UCUM weeks or days as whole days (rounded down); None for any other unit."""
    unit = getattr(quantity, "code", None)
    value = getattr(quantity, "value", None)
    if value is None or unit not in _DAYS_IN or getattr(quantity, "system", None) not in (None, _UCUM) or value < 0:
        return None
    return int(value * _DAYS_IN[str(unit)])
