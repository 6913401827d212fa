"""The state of one reading of a Bundle, and what every resource reader shares.

:class:`ReaderState` holds the resources and the record being filled (codes, values, days
counted, attributes), the readings, what was not understood and what was assumed; its
:meth:`~ReaderState._code` adds the record code a coding means. The readers of each
resource type (:mod:`.observations`, :mod:`.medications`, :mod:`.reading`) extend it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..errors import FieldProblem
from . import values
from .bundle import Resource
from .mapping import Coding, FhirMapping, ResourceRule
from .results import NotUnderstood, Reading
from .terminology import Terminology


class ReaderState:
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
