"""The shape of a FHIR mapping (``fhir.yaml``): sections, their fields, types and allowed values.

pydantic checks the shape; :func:`reasoner.fhir.mapping.read_mapping` then checks what
needs the record description (field names and types, codes) and the listed systems.
"""

from __future__ import annotations

from typing import Any, Literal

from ..datamodel import DataModel, Text

ResourceType = Literal["Condition", "Observation", "MedicationStatement", "MedicationRequest", "AllergyIntolerance"]
Tokens = list[str]
"""``system|code`` tokens, ``system`` being a name listed under ``systems``."""


class System(DataModel):
    url: Text
    hierarchical: bool = False


class PatientFields(DataModel):
    identifier: str
    age: str


class Episode(DataModel):
    field: str
    codes: Tokens


class Observation(DataModel):
    type: Literal["boolean", "integer"]
    codes: Tokens
    default: bool | int | None = None
    days_of: Tokens | None = None


class AttributeObservation(DataModel):
    field: str
    code: str
    codes: Tokens


class Resource(DataModel):
    fields: list[str]
    severity: str | None = None
    stopped_days: str | None = None


class MappingFile(DataModel):
    systems: dict[str, System] = {}
    patient: PatientFields
    episode: Episode
    observations: dict[str, Observation] = {}
    attributes: dict[str, AttributeObservation] = {}
    resources: dict[ResourceType, Resource] = {}
    severity: dict[str, Tokens] = {}
    codes: dict[str, dict[str, Tokens]] = {}
    cds: dict[str, Any] | None = None
    """The CDS Hooks service's section, read by :mod:`reasoner.cds.config`."""
