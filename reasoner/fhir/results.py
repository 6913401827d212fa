"""What reading a Bundle gives: the record, what was not understood, what was assumed, and each reading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
        return {"record": self.record, **self.annotations()}

    def annotations(self) -> dict[str, Any]:
        """What an answer read from FHIR adds to the answer's JSON (docs/schemas/fhir-answer.schema.json)."""
        return {
            "not_understood": [item.to_json() for item in self.not_understood],
            "assumptions": list(self.assumptions),
            "readings": [item.to_json() for item in self.readings],
        }
