"""The CDS Hooks 2.0 responses the service sends, as typed dicts that generate their JSON Schemas.

``backspasm kb docs`` writes ``docs/schemas/cds-{discovery,cards,error}.schema.json`` from
these, a test fails when a committed copy is stale, and the service's tests validate every
response against them. Objects stay open where the CDS Hooks specification lets a service
add fields; the specification's conditional rules (``suggestions`` need a
``selectionBehavior``; a ``delete`` action names its resource) are written as JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field
from typing_extensions import TypedDict

from ..datamodel import published_schema

Uri = Annotated[str, Field(json_schema_extra={"format": "uri"})]
NonEmpty = Annotated[str, Field(min_length=1)]
_OPEN = ConfigDict(extra="allow")


class Coding(TypedDict):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    system: NotRequired[Uri]
    code: NonEmpty
    display: NotRequired[str]


class Source(TypedDict):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    label: NonEmpty
    url: NotRequired[Uri]
    icon: NotRequired[Uri]
    topic: NotRequired[Coding]


class Link(TypedDict):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    label: NonEmpty
    url: Annotated[Uri, Field(pattern="^https?://")]
    type: Literal["absolute", "smart"]
    appContext: NotRequired[str]


class Resource(TypedDict):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    resourceType: str


class Action(TypedDict):
    __pydantic_config__ = ConfigDict(  # type: ignore[misc]
        extra="allow",
        json_schema_extra={
            "allOf": [
                {"if": {"properties": {"type": {"enum": ["create", "update"]}}}, "then": {"required": ["resource"]}},
                {"if": {"properties": {"type": {"const": "delete"}}}, "then": {"required": ["resourceId"]}},
            ]
        },
    )
    type: Literal["create", "update", "delete"]
    description: NonEmpty
    resource: NotRequired[Resource]
    resourceId: NotRequired[Annotated[str, Field(pattern=r"^[A-Za-z]+/[A-Za-z0-9\-\.]{1,64}$")]]


class Suggestion(TypedDict):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    label: NonEmpty
    uuid: NotRequired[str]
    isRecommended: NotRequired[bool]
    actions: NotRequired[list[Action]]


class Card(TypedDict):
    __pydantic_config__ = ConfigDict(  # type: ignore[misc]
        extra="allow", json_schema_extra={"dependentRequired": {"suggestions": ["selectionBehavior"]}}
    )
    uuid: NotRequired[Annotated[str, Field(pattern="^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]]
    summary: Annotated[str, Field(min_length=1, max_length=139, description="SHOULD be under 140 characters")]
    detail: NotRequired[Annotated[str, Field(description="GitHub Flavored Markdown")]]
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: NotRequired[list[Suggestion]]
    selectionBehavior: NotRequired[Literal["at-most-one", "any"]]
    overrideReasons: NotRequired[list[Coding]]
    links: NotRequired[list[Link]]


class SystemAction(TypedDict):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    type: Any
    description: Any


class Cards(TypedDict):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    cards: list[Card]
    systemActions: NotRequired[list[SystemAction]]


class Service(TypedDict):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    hook: NonEmpty
    title: NotRequired[str]
    description: NonEmpty
    id: Annotated[str, Field(pattern="^[A-Za-z0-9._~-]+$")]
    prefetch: NotRequired[dict[str, NonEmpty]]
    usageRequirements: NotRequired[str]


class Discovery(TypedDict):
    __pydantic_config__ = _OPEN  # type: ignore[misc]
    services: list[Service]


class Refusal(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    detail: NonEmpty
    problems: NotRequired[Annotated[list[str], Field(description="one line per invalid FHIR element")]]


CDS_SCHEMAS: dict[str, dict[str, Any]] = {
    "schemas/cds-discovery.schema.json": published_schema(
        Discovery, "cds-discovery", "CDS Hooks discovery response (CDS Hooks 2.0, section Discovery)"
    ),
    "schemas/cds-cards.schema.json": published_schema(
        Cards, "cds-cards", "CDS Hooks service response: cards (CDS Hooks 2.0, section CDS Service Response)"
    ),
    "schemas/cds-error.schema.json": published_schema(
        Refusal, "cds-error", "A refused CDS Hooks call (any 4xx): what was wrong and what to send instead"
    ),
}
"""Path under docs/ → schema."""
