"""The days a medicine covers, from what a MedicationRequest or a MedicationStatement says.

Relaxant days taken and days since the last dose both need the first and last day of use.
A request says them through ``authoredOn`` and its supply (``dispenseRequest``); a
statement through its ``effective[x]``; both through their dosage's timing when the end is
not written (``boundsPeriod``, ``boundsDuration``, or ``count`` administrations at the
dosage's frequency). Each day found names the element it came from, so that the reading
can list it beside the resource.

A statement reads its days in this order, the first element present giving each:

==========================  ====================================================================
first day                   ``effectivePeriod.start``, ``dosage.timing.repeat.boundsPeriod.start``,
                            ``effectiveDateTime``; for a medicine taken now, ``dateAsserted``
                            last (earlier days are then not known)
last day                    ``effectivePeriod.end``, ``boundsPeriod.end``, the first day plus the
                            dosage's length; once stopped, ``effectiveDateTime`` and then
                            ``dateAsserted`` (the last dose was no later than the statement)
==========================  ====================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .values import day

_DAYS_PER_UNIT = {"d": 1, "day": 1, "days": 1, "wk": 7, "week": 7, "weeks": 7}
_PER_DAY = {"d": Decimal(1), "h": Decimal(24), "wk": Decimal(1) / 7}
"""Periods of a dosage's frequency (UCUM units of ``Timing.repeat.periodUnit``), as times per day."""


@dataclass(frozen=True)
class Day:
    """A day of use and the element of the resource that says it."""

    day: date
    element: str

    def __str__(self) -> str:
        return f"{self.day} ({self.element})"


@dataclass(frozen=True)
class Period:
    """The first and last day a resource says a medicine was (or is to be) taken; None where it does not say."""

    start: Day | None = None
    end: Day | None = None


def _duration_days(duration: Any) -> int | None:
    per_unit = _DAYS_PER_UNIT.get(str(duration.code or duration.unit))
    if per_unit is None or duration.value is None:
        return None
    days = int(math.ceil(Decimal(duration.value) * per_unit))
    return days if days > 0 else None


def _daily(repeat: Any) -> Decimal | None:
    """Administrations a day of a timing's ``frequency`` per ``period periodUnit``."""
    per_period = _PER_DAY.get(str(repeat.periodUnit))
    if per_period is None or not repeat.frequency or not repeat.period:
        return None
    daily = Decimal(repeat.frequency) * per_period / Decimal(repeat.period)
    return daily if daily > 0 else None


def dosage_days(dosages: Any, element: str) -> tuple[int, str] | None:
    """Days one course of ``dosages`` lasts and the element that says it: ``boundsDuration``,
    else ``count`` administrations at the dosage's frequency; None when no dosage says."""
    for index, dosage in enumerate(dosages or []):
        repeat = getattr(getattr(dosage, "timing", None), "repeat", None)
        if repeat is None:
            continue
        path = f"{element}[{index}].timing.repeat"
        if repeat.boundsDuration is not None:
            days = _duration_days(repeat.boundsDuration)
            if days is not None:
                return days, f"{path}.boundsDuration"
        daily = _daily(repeat)
        if repeat.count and daily is not None:
            return int(math.ceil(Decimal(repeat.count) / daily)), f"{path}.count"
    return None


def dosage_bounds(dosages: Any, element: str) -> Period:
    """The first ``timing.repeat.boundsPeriod`` of ``dosages`` with a full start or end day."""
    for index, dosage in enumerate(dosages or []):
        bounds = getattr(getattr(getattr(dosage, "timing", None), "repeat", None), "boundsPeriod", None)
        if bounds is None:
            continue
        path = f"{element}[{index}].timing.repeat.boundsPeriod"
        start, end = day(bounds.start), day(bounds.end)
        if start is not None or end is not None:
            return Period(
                Day(start, f"{path}.start") if start is not None else None,
                Day(end, f"{path}.end") if end is not None else None,
            )
    return Period()


def supply_days(request: Any) -> tuple[int, str] | None:
    """Days a MedicationRequest's supply lasts and the element that says it: its expectedSupplyDuration,
    the dispensed quantity over the daily dose of its dosage (dose in the quantity's unit), or the
    dosage's own length (``boundsDuration``, ``count``)."""
    dispense = getattr(request, "dispenseRequest", None)
    duration = getattr(dispense, "expectedSupplyDuration", None)
    if duration is not None and duration.value is not None:
        days = _duration_days(duration)
        return (days, "dispenseRequest.expectedSupplyDuration") if days is not None else None
    quantity = getattr(dispense, "quantity", None)
    if quantity is not None and quantity.value is not None:
        for dosage in getattr(request, "dosageInstruction", None) or []:
            repeat = getattr(getattr(dosage, "timing", None), "repeat", None)
            rates = getattr(dosage, "doseAndRate", None) or []
            dose = getattr(rates[0], "doseQuantity", None) if rates else None
            daily = _daily(repeat) if repeat is not None else None
            if daily is None or dose is None or dose.value is None:
                continue
            if (dose.code or dose.unit) != (quantity.code or quantity.unit):
                continue
            per_day = Decimal(dose.value) * daily
            if per_day > 0:
                return int(math.ceil(Decimal(quantity.value) / per_day)), "dispenseRequest.quantity"
    return dosage_days(getattr(request, "dosageInstruction", None), "dosageInstruction")


def _after(start: Day, length: tuple[int, str] | None) -> Day | None:
    if length is None:
        return None
    days, element = length
    return Day(start.day + timedelta(days=days - 1), f"{start.element} and {element}")


def request_period(request: Any) -> Period:
    """First and last day a MedicationRequest covers: from authoredOn (or the validity period's
    start) for as long as its supply lasts, else to the validity period's end."""
    validity = getattr(getattr(request, "dispenseRequest", None), "validityPeriod", None)
    authored, valid_from, valid_to = (
        day(getattr(request, "authoredOn", None)),
        day(getattr(validity, "start", None)),
        day(getattr(validity, "end", None)),
    )
    start = (
        Day(authored, "authoredOn")
        if authored is not None
        else Day(valid_from, "dispenseRequest.validityPeriod.start")
        if valid_from is not None
        else None
    )
    end = _after(start, supply_days(request)) if start is not None else None
    if end is None and valid_to is not None:
        end = Day(valid_to, "dispenseRequest.validityPeriod.end")
    return Period(start, end)


def statement_period(statement: Any, *, stopped: bool) -> Period:
    """First and last day a MedicationStatement says the medicine was taken (the module's table)."""
    effective = getattr(statement, "effectivePeriod", None)
    bounds = dosage_bounds(getattr(statement, "dosage", None), "dosage")
    when, asserted = day(getattr(statement, "effectiveDateTime", None)), day(getattr(statement, "dateAsserted", None))
    period_start, period_end = day(getattr(effective, "start", None)), day(getattr(effective, "end", None))
    start = next(
        (
            found
            for found in (
                Day(period_start, "effectivePeriod.start") if period_start is not None else None,
                bounds.start,
                Day(when, "effectiveDateTime") if when is not None else None,
                Day(asserted, "dateAsserted") if asserted is not None and not stopped else None,
            )
            if found is not None
        ),
        None,
    )
    end = Day(period_end, "effectivePeriod.end") if period_end is not None else bounds.end
    if end is None and start is not None:
        end = _after(start, dosage_days(getattr(statement, "dosage", None), "dosage"))
    if end is None and stopped:
        end = (
            Day(when, "effectiveDateTime")
            if when is not None
            else Day(asserted, "dateAsserted")
            if asserted is not None
            else None
        )
    return Period(start, end)
