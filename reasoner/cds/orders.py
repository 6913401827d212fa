"""order-sign: which draft orders the guideline checks, and the card for each.

A draft order is checked when its drug (its code, a contained Medication's or its
ingredients', or the ingredients of a product among them) is one the ``cds.order``
section names. Its card says whether the guideline offers the drug to this patient and,
if so, whether the order's duration stays within the course; a refused order gets a
suggestion to remove it, a long one a suggestion to shorten it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ..advisor.advisor import Advisor
from ..advisor.answer import Answer, Item
from ..errors import RecordError
from ..fhir import Coding, Terminology, is_bundle, validate_bundle
from ..fhir import values as fhir_values
from .cards import Card, card_id, item_card, notice_card, summary
from .config import CdsConfig, OrderCheck, Service
from .requests import HookError, unprocessable

_DURATION_DAYS = {"d": 1, "day": 1, "days": 1, "wk": 7, "week": 7, "weeks": 7}


class Orders:
    """The draft orders of one service's calls, and their cards."""

    def __init__(self, advisor: Advisor, config: CdsConfig, terminology: Terminology) -> None:
        self.advisor = advisor
        self.config = config
        self.terminology = terminology

    def drafts(self, context: dict[str, Any]) -> list[tuple[int, Any, dict[str, Any]]]:
        """The draft MedicationRequests of ``context.draftOrders`` for a drug the guideline checks."""
        if self.config.order is None:
            return []
        draft = context.get("draftOrders")
        if not is_bundle(draft):
            raise HookError(400, "context.draftOrders must be a FHIR Bundle of the orders being signed")
        try:
            resources = validate_bundle(draft, "context.draftOrders")
        except RecordError as error:
            raise unprocessable(error) from None
        found = []
        for resource in resources:
            if resource.type != "MedicationRequest":
                continue
            codings = self.codings(resource.model)
            if self.config.order.codes.first(codings) is not None:
                found.append((resource.entry, resource.model, draft["entry"][resource.entry]["resource"]))
        return found

    def codings(self, order: Any) -> list[Coding]:
        """The codes of a draft order's drug: its own, a contained Medication's and its ingredients', and
        the ingredients of the products among them, so a product code is checked like its ingredient."""
        codings = fhir_values.codings(order.medicationCodeableConcept)
        reference = getattr(order.medicationReference, "reference", None) or ""
        for contained in order.contained or []:
            if (
                reference.startswith("#")
                and contained.get_resource_type() == "Medication"
                and contained.id == reference[1:]
            ):
                codings += fhir_values.codings(contained.code)
                for ingredient in contained.ingredient or []:
                    codings += fhir_values.codings(getattr(ingredient, "itemCodeableConcept", None))
        return codings + [ingredient for ingredient, _ in self.terminology.ingredients(codings)]

    def card(
        self,
        order: OrderCheck,
        answer: Answer,
        critical: list[str],
        sentences: dict[tuple[str, str], str],
        index: int,
        request: Any,
        raw: dict[str, Any],
        hook_instance: str,
        service: Service,
    ) -> Card:
        items = [item for item in answer.items if item.code == order.item]
        allowed = next((item for item in items if item.kind == order.allowed_kind), None)
        key = f"order:{index}"
        uuid = card_id(hook_instance, service.id, key)
        label = self.advisor.answer_spec.codes[order.item].label
        if allowed is None:
            if not items:
                return notice_card(
                    f"Order not in the guideline's advice for this patient: {label}",
                    f"The {self.config.guideline['label']} guideline neither offers nor excludes {label} here.",
                    indicator="warning",
                    guideline=self.config.guideline,
                    card_uuid=uuid,
                )
            refused = items[0]
            card = self._card(
                refused,
                "critical" if refused.code in critical else "warning",
                uuid,
                answer,
                f"**Do not sign this order as written**: for this patient the guideline's advice is "
                f"*{self.config.kind_words[refused.kind]}: {label}*.",
                sentences,
            )
            if not raw.get("id"):
                return card
            remove = {
                "uuid": card_id(hook_instance, service.id, f"{key}:remove"),
                "label": "Remove the draft order",
                "isRecommended": True,
                "actions": [
                    {
                        "type": "delete",
                        "description": f"Remove the draft order for {label}",
                        "resourceId": f"MedicationRequest/{raw['id']}",
                    }
                ],
            }
            return replace(card, suggestions=(remove,))
        days = order_days(request)
        longest = allowed.parameters.get(order.longest_days) if order.longest_days else None
        if days is not None and isinstance(longest, int) and days > longest:
            card = self._card(
                allowed,
                "warning",
                uuid,
                answer,
                f"**The order covers {days} days**; for this patient the course is at most {longest} days.",
                sentences,
            )
            shorten = {
                "uuid": card_id(hook_instance, service.id, f"{key}:shorten"),
                "label": f"Shorten the order to {longest} days",
                "isRecommended": True,
                "actions": [
                    {
                        "type": "update",
                        "description": f"Set the order's supply duration to {longest} days",
                        "resource": with_duration(raw, longest),
                    }
                ],
            }
            card = replace(card, suggestions=(shorten,))
            return replace(
                card, summary=summary(f"Order for {days} days is longer than the {longest}-day course: {label}")
            )
        if days is None:
            lead = "The order gives no duration" + (f"; the course is at most {longest} days." if longest else ".")
        else:
            lead = f"The order covers {days} days" + (f", within the {longest}-day course." if longest else ".")
        return self._card(allowed, self.config.indicators[allowed.kind], uuid, answer, lead, sentences)

    def _card(
        self, item: Item, indicator: str, uuid: str, answer: Answer, lead: str, sentences: dict[tuple[str, str], str]
    ) -> Card:
        return item_card(
            item,
            self.advisor.answer_spec,
            indicator=indicator,
            kind_word=self.config.kind_words[item.kind],
            guideline=self.config.guideline,
            card_uuid=uuid,
            subject=answer.subject,
            lead=lead,
            sentence=sentences.get((item.code, item.kind)),
        )


def with_duration(order: dict[str, Any], days: int) -> dict[str, Any]:
    """A copy of a MedicationRequest (JSON) whose supply and dosage bounds last ``days`` days."""
    changed = json.loads(json.dumps(order))
    duration = {"value": days, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}
    changed.setdefault("dispenseRequest", {})["expectedSupplyDuration"] = duration
    for dosage in changed.get("dosageInstruction") or []:
        repeat = (dosage.get("timing") or {}).get("repeat") or {}
        if "boundsDuration" in repeat:
            repeat["boundsDuration"] = dict(duration)
    return changed  # type: ignore[no-any-return]


def order_days(request: Any) -> int | None:
    """Days an order covers: its expected supply duration, else the bounds of its dosage timing."""
    durations = []
    dispense = request.dispenseRequest
    if dispense is not None and dispense.expectedSupplyDuration is not None:
        durations.append(dispense.expectedSupplyDuration)
    for dosage in request.dosageInstruction or []:
        repeat = dosage.timing.repeat if dosage.timing else None
        if repeat is not None and repeat.boundsDuration is not None:
            durations.append(repeat.boundsDuration)
    for duration in durations:
        factor = _DURATION_DAYS.get(str(duration.code or duration.unit or "d"))
        if factor is not None and isinstance(duration.value, Decimal | int):
            return int(duration.value * factor)
    return None
