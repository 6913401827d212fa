"""A CDS Hooks request checked, and its prefetch made one Bundle: what a call must send, or why it is refused.

:class:`HookError` carries the HTTP status and a message saying what to send instead: 400
for a request that is not a CDS Hooks call for the service, 404 for an unknown service,
412 for missing prefetch, 422 for FHIR data that is invalid or cannot become a record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ReasonerError, RecordError
from ..fhir import is_bundle
from .config import Service


class HookError(ReasonerError):
    """A call the service refuses, with the HTTP status and a message saying what to send instead."""

    def __init__(self, status: int, message: str, problems: list[str] | None = None) -> None:
        self.status = status
        self.message = message
        self.problems = problems or []
        super().__init__(message)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.message}
        if self.problems:
            body["problems"] = self.problems
        return body


def check_request(service: Service, request: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The call's hookInstance, context and prefetch, or a 400 saying what a call for ``service`` holds."""
    if not isinstance(request, dict):
        raise HookError(400, "a CDS Hooks request is a JSON object with hook, hookInstance, context and prefetch")
    if request.get("hook") != service.hook:
        raise HookError(400, f"service {service.id} answers the {service.hook} hook, not {request.get('hook')!r}")
    hook_instance = request.get("hookInstance")
    if not isinstance(hook_instance, str) or not hook_instance:
        raise HookError(400, "hookInstance (a UUID for this call) is required")
    context = request.get("context")
    if not isinstance(context, dict) or not isinstance(context.get("patientId"), str):
        raise HookError(400, "context.patientId is required")
    prefetch = request.get("prefetch")
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        raise HookError(400, "prefetch must be an object of the keys this service declares")
    return hook_instance, context, prefetch


def check_prefetch(declared: list[str], prefetch: dict[str, Any], patient_keys: list[str]) -> None:
    """A 412 naming every declared key the call did not send (and each patient key sent as null)."""
    missing = [key for key in declared if key not in prefetch] + [
        key for key in patient_keys if prefetch.get(key) is None
    ]
    if missing:
        raise HookError(
            412,
            f"prefetch is missing {', '.join(dict.fromkeys(missing))}; this service does not query the FHIR server, "
            "so send the prefetch it declares in /cds-services",
        )


def unprocessable(error: RecordError) -> HookError:
    """A 422 for FHIR data that is invalid or cannot become a record, with each problem."""
    return HookError(
        422, "the FHIR data cannot be read: " + "; ".join(map(str, error.problems)), [str(p) for p in error.problems]
    )


def prefetch_bundle(templates: Iterable[str], context: dict[str, Any], prefetch: dict[str, Any]) -> dict[str, Any]:
    """One Bundle of every prefetch key's resources; a Patient must be the call's patient."""
    entries: list[dict[str, Any]] = []
    for key in templates:
        value = prefetch[key]
        if value is None:
            continue
        if is_bundle(value):
            found = value.get("entry") or []
            if not isinstance(found, list):
                raise HookError(400, f"prefetch.{key}.entry must be a list of entries")
            entries += found
        elif isinstance(value, dict) and isinstance(value.get("resourceType"), str):
            if value["resourceType"] == "Patient" and value.get("id") != context["patientId"]:
                raise HookError(
                    400,
                    f"prefetch.{key} is Patient/{value.get('id')}, but context.patientId is {context['patientId']!r}",
                )
            entries.append({"resource": value})
        else:
            raise HookError(400, f"prefetch.{key} must be a FHIR resource, a Bundle or null")
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def prefetch_for(templates: dict[str, str] | Any, bundle: dict[str, Any]) -> dict[str, Any]:
    """The prefetch an EHR would send for the patient in ``bundle``, for demos, tests and benchmarks.

    ``Patient/{{context.patientId}}`` gets the Patient; a search such as
    ``Condition?patient=…`` gets a searchset Bundle of that type (null when empty).
    """
    resources = [entry["resource"] for entry in bundle.get("entry") or []]
    prefetch: dict[str, Any] = {}
    for key, template in templates.items():
        resource_type = template.split("/")[0].split("?")[0]
        found = [resource for resource in resources if resource.get("resourceType") == resource_type]
        if "?" not in template:
            prefetch[key] = found[0] if found else None
        else:
            entries = [{"resource": resource} for resource in found]
            prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
    return prefetch
