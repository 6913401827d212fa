"""A FHIR R4 Bundle validated resource by resource with the R4B models of ``fhir.resources``.

R4 and R4B share the resources read here; the package's default R5 models rename some of
them. Every problem is collected, so one error message names every element at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from ..errors import BundleError, FieldProblem


def is_bundle(data: Any) -> TypeGuard[dict[str, Any]]:
    """True for parsed JSON that claims to be a FHIR Bundle (``resourceType: Bundle``).

    >>> is_bundle({"resourceType": "Bundle", "type": "collection"}), is_bundle({"id": "p1", "age": 40})
    (True, False)
    """
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


@dataclass(frozen=True)
class Resource:
    """A validated resource and where it stands in the Bundle."""

    entry: int
    full_url: str
    model: Any

    @property
    def type(self) -> str:
        return str(self.model.get_resource_type())

    @property
    def name(self) -> str:
        identifier = self.model.id or self.full_url or f"entry[{self.entry}]"
        return f"{self.type}/{identifier}"


def validate_bundle(bundle: Any, source: str = "") -> list[Resource]:
    """Validate the Bundle and each resource in it with the R4B models; all problems at once."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    if not is_bundle(bundle):
        raise BundleError([FieldProblem("resourceType", "a FHIR Bundle is expected (resourceType: Bundle)")], source)
    problems: list[FieldProblem] = []
    shell = {key: value for key, value in bundle.items() if key != "entry"}
    try:
        get_fhir_model_class("Bundle").model_validate(shell)
    except ValidationError as error:
        problems += _validation_problems("Bundle", error)
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise BundleError([FieldProblem("Bundle.entry", "must be a list of entries")], source)
    resources: list[Resource] = []
    for index, entry in enumerate(entries):
        where = f"entry[{index}]"
        raw = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(raw, dict):
            problems.append(FieldProblem(where, "an entry needs a resource object"))
            continue
        resource_type = raw.get("resourceType")
        try:
            model_class = get_fhir_model_class(str(resource_type))
        except (KeyError, ValueError):
            problems.append(FieldProblem(f"{where}.resource", f"{resource_type!r} is not a FHIR R4 resource type"))
            continue
        name = f"{where} {resource_type}/{raw.get('id', '?')}"
        try:
            model = model_class.model_validate(raw)
        except ValidationError as error:
            problems += _validation_problems(name, error)
            continue
        full_url = entry.get("fullUrl")
        resources.append(Resource(index, full_url if isinstance(full_url, str) else "", model))
    if problems:
        raise BundleError(problems, source)
    return resources


def _validation_problems(name: str, error: Any) -> list[FieldProblem]:
    problems = []
    for detail in error.errors():
        location = ".".join(str(part) for part in detail.get("loc", ()) if part != "__root__")
        message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(FieldProblem(f"{name}: {location}" if location else name, message))
    return problems


def patient_references(patient: Resource | None) -> set[str]:
    if patient is None:
        return set()
    references = {f"Patient/{patient.model.id}"} if patient.model.id else set()
    if patient.full_url:
        references.add(patient.full_url)
    return references
