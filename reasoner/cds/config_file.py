"""The shape of the ``cds`` section of a knowledge base's ``fhir`` data file.

pydantic checks the shape; :func:`reasoner.cds.config.read_config` then checks it against
the answer vocabulary, the rules and the FHIR mapping's systems.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..datamodel import DataModel, Text

Hook = Literal["patient-view", "order-sign"]
Indicator = Literal["info", "warning", "critical"]


class ServiceFields(DataModel):
    id: Text
    title: str = ""
    description: str = ""


class OverrideReasonFields(DataModel):
    code: Text
    display: str


class GuidelineFields(DataModel):
    label: str | None = None
    topic_system: str | None = None
    url: str | None = None
    """Where the guideline is published: a card's ``source.url`` when none of its evidence has a link."""
    override_system: str | None = None
    override_reasons: list[OverrideReasonFields] = []
    """Offered when a clinician dismisses a warning or critical card (CDS Hooks ``overrideReasons``)."""


class OrderFields(DataModel):
    codes: list[str] = Field(min_length=1)
    """``system|code`` tokens of the drugs an order is checked for."""
    item: str
    allowed_kind: str
    longest_days: str | None = None
    also_show: list[str] = []


class CdsSection(DataModel):
    guideline: GuidelineFields = GuidelineFields()
    services: dict[Hook, ServiceFields] = Field(min_length=1)
    prefetch: dict[str, str] = {}
    indicators: dict[str, Indicator] = {}
    critical_when: dict[str, str] = {}
    kind_words: dict[str, str] = {}
    order: OrderFields | None = None
