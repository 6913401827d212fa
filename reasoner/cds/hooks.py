"""A CDS Hooks call, without HTTP: check the request, read the prefetch, ask the advisor, make cards.

The service never fetches from the FHIR server. It needs every prefetch key it declares
(a value may be null: nothing found); without them it answers 412, as the spec asks of a
service that cannot get the data itself. Each call reads its own record and opens its own
session, so concurrent calls share nothing but the immutable advisor.

Status codes (:class:`HookError`): 400 for a request that is not a CDS Hooks call for
this service, 404 for an unknown service, 412 for missing prefetch, 422 for FHIR data
that is invalid or cannot become a record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from ..advisor.advisor import Advisor
from ..advisor.answer import Answer, Item, assemble
from ..advisor.records import Record
from ..errors import EpisodeNotFoundError, ReasonerError, RecordError
from ..fhir import Coding, bundle_to_record, is_bundle, load_terminology, validate_bundle
from ..fhir import values as fhir_values
from ..render.changes import changes_json
from .cards import Card, answer_cards, card_id, item_card, notice_card, plan_cards, reading_card, summary
from .config import CdsConfig, OrderCheck, Service
from .explaining import item_explanation, item_sentence, words
from .fetch import FetchError, FhirFetcher, fill

_DURATION_DAYS = {"d": 1, "day": 1, "days": 1, "wk": 7, "week": 7, "weeks": 7}


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


class Hooks:
    """The services of one advisor: discovery and calls. Holds no per-call state."""

    def __init__(
        self,
        advisor: Advisor,
        config: CdsConfig,
        clock: Callable[[], date] = date.today,
        fetcher: FhirFetcher | None = None,
    ) -> None:
        self.advisor = advisor
        self.config = config
        self.terminology = load_terminology(advisor)
        self.fetcher = fetcher
        self.clock = clock

    def discovery(self) -> dict[str, Any]:
        return {"services": [service.discovery(self.config.prefetch) for service in self.config.services]}

    def call(self, service_id: str, request: Any) -> list[Card]:
        service = self.config.service(service_id)
        if service is None:
            known = ", ".join(service.id for service in self.config.services)
            raise HookError(404, f"no CDS service {service_id!r}; the services are: {known} (see /cds-services)")
        hook_instance, context, prefetch = _check_request(service, request)
        # Card ids (and so the explanations kept for /why) are per call and per patient, even
        # when a client reuses a hookInstance for another patient.
        hook_instance = f"{hook_instance}:{context['patientId']}"
        orders: list[tuple[int, Any, dict[str, Any]]] = []
        if service.hook == "order-sign":
            orders = self._draft_orders(context)
            if not orders:
                return []  # nothing this guideline checks is being ordered
        patient_keys = [key for key, template in self.config.prefetch.items() if template.startswith("Patient/")]
        try:
            prefetch = self._fetch_missing(request, context, prefetch, patient_keys)
        except FetchError as error:
            return [
                notice_card(
                    "Advice not given: the patient's record could not be read from the FHIR server",
                    str(error),
                    indicator="warning",
                    guideline=self.config.guideline,
                    card_uuid=card_id(hook_instance, service.id, "not-fetched"),
                )
            ]
        _check_prefetch(list(self.config.prefetch), prefetch, patient_keys)
        bundle = self._prefetch_bundle(context, prefetch)
        try:
            reading = bundle_to_record(
                bundle, self.config.mapping, today=self.clock(), source="prefetch", terminology=self.terminology
            )
        except EpisodeNotFoundError as error:
            if service.hook == "patient-view":
                return []  # not this guideline's patient: nothing to say
            return [
                notice_card(
                    f"Order not checked: no current episode for the {self.config.guideline['label']} guideline",
                    str(error),
                    indicator="info",
                    guideline=self.config.guideline,
                    card_uuid=card_id(hook_instance, service.id, "no-episode"),
                )
            ]
        except RecordError as error:
            raise _unprocessable(error) from None
        try:
            record = self.advisor.read_record(reading.record, source="prefetch")
        except RecordError as error:
            raise _unprocessable(error) from None
        answer, critical, sentences = self._answer(record)
        common = {
            "spec": self.advisor.answer_spec,
            "indicators": self.config.indicators,
            "critical": critical,
            "kind_words": self.config.kind_words,
            "guideline": self.config.guideline,
            "hook_instance": hook_instance,
            "service_id": service.id,
            "sentences": sentences,
        }
        if service.hook == "patient-view":
            cards = plan_cards(answer, self.advisor.summary(answer), **common)  # type: ignore[arg-type]
        else:
            assert self.config.order is not None
            cards = [
                self._order_card(
                    self.config.order, answer, critical, sentences, index, order, raw, hook_instance, service
                )
                for index, order, raw in orders
            ]
            shown = {item.code for item in answer.items if item.code == self.config.order.item}
            cards += [
                card
                for card in answer_cards(answer, kinds=self.config.order.also_show, **common)  # type: ignore[arg-type]
                if card.explanation["item"]["code"] not in shown
            ]
        reading_notes = reading_card(
            reading,
            guideline=self.config.guideline,
            card_uuid=card_id(hook_instance, service.id, "reading"),
            subject=answer.subject,
            words=self.advisor.record_spec.code_words(),
        )
        cards += [reading_notes] if reading_notes else []
        # The explanation behind each card shows the record it was reasoned from, resource by resource.
        readings = [item.to_json() for item in reading.readings]
        return [
            replace(card, explanation={**card.explanation, "record": reading.record, "readings": readings})
            for card in cards
        ]

    # -- steps ------------------------------------------------------------------
    def _draft_orders(self, context: dict[str, Any]) -> list[tuple[int, Any, dict[str, Any]]]:
        if self.config.order is None:
            return []
        draft = context.get("draftOrders")
        if not is_bundle(draft):
            raise HookError(400, "context.draftOrders must be a FHIR Bundle of the orders being signed")
        try:
            resources = validate_bundle(draft, "context.draftOrders")
        except RecordError as error:
            raise _unprocessable(error) from None
        found = []
        for resource in resources:
            if resource.type != "MedicationRequest":
                continue
            codings = self._order_codings(resource.model)
            if self.config.order.codes.first(codings) is not None:
                found.append((resource.entry, resource.model, draft["entry"][resource.entry]["resource"]))
        return found

    def _fetch_missing(
        self, request: dict[str, Any], context: dict[str, Any], prefetch: dict[str, Any], patient_keys: list[str]
    ) -> dict[str, Any]:
        """``prefetch`` with its missing keys read from the call's FHIR server, when that server is
        trusted and the call grants an access token; unchanged otherwise (then a 412 follows)."""
        missing = [key for key in self.config.prefetch if key not in prefetch] + [
            key for key in patient_keys if key in prefetch and prefetch[key] is None
        ]
        server = request.get("fhirServer")
        authorization = request.get("fhirAuthorization")
        token = authorization.get("access_token") if isinstance(authorization, dict) else None
        if not missing or self.fetcher is None or not isinstance(server, str) or not isinstance(token, str):
            return prefetch
        if not self.fetcher.allows(server):
            return prefetch
        fetched = dict(prefetch)
        for key in dict.fromkeys(missing):
            fetched[key] = self.fetcher.fetch(server, token, fill(self.config.prefetch[key], context))
        return fetched

    def _order_codings(self, order: Any) -> list[Coding]:
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

    def _prefetch_bundle(self, context: dict[str, Any], prefetch: dict[str, Any]) -> dict[str, Any]:
        entries: list[dict[str, Any]] = []
        for key in self.config.prefetch:
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
                        f"prefetch.{key} is Patient/{value.get('id')}, "
                        f"but context.patientId is {context['patientId']!r}",
                    )
                entries.append({"resource": value})
            else:
                raise HookError(400, f"prefetch.{key} must be a FHIR resource, a Bundle or null")
        return {"resourceType": "Bundle", "type": "collection", "entry": entries}

    def _answer(self, record: Record) -> tuple[Answer, list[str], dict[tuple[str, str], str]]:
        """The answer, the items turned critical, and a sentence for each item shown above info.

        Proving every item would triple a call's time; info items are explained on demand at /why.
        """
        kb = self.advisor.kb
        spec = self.advisor.answer_spec
        with kb.session(record.facts) as session:
            answer = assemble(session, spec, kb.evidence, record.identifier, self.advisor.identity)
            critical = [
                code
                for code, (predicate, arity) in self.config.critical_when.items()
                if session.query(predicate, *([None] * arity))
            ]
            sentences = {}
            for item in answer.items:
                if item.code in critical or self.config.indicators[item.kind] != "info":
                    vocabulary = words(self.advisor, item.parameters)
                    sentence = item_sentence(session, spec.items, item.code, item.kind, vocabulary)
                    if sentence:
                        sentences[(item.code, item.kind)] = sentence
        return answer, critical, sentences

    def explain(self, explanation: dict[str, Any]) -> dict[str, Any]:
        """A kept card explanation with the proof of its item added (sentence and tree), and
        for one item's card what would change it, and when; for the plan card each item's proof."""
        item, items, record = explanation.get("item"), explanation.get("items"), explanation.get("record")
        if not isinstance(record, dict) or not (isinstance(item, dict) or isinstance(items, list)):
            return explanation
        checked = self.advisor.read_record(record)
        spec, evidence = self.advisor.answer_spec, self.advisor.kb.evidence
        if isinstance(item, dict):
            with self.advisor.kb.session(checked.facts) as session:
                explained = item_explanation(
                    session,
                    spec.items,
                    item["code"],
                    item["kind"],
                    evidence,
                    words(self.advisor, item.get("parameters")),
                )
            return {**explanation, **explained, **self._changes(checked, item["code"], item["kind"])}
        with self.advisor.kb.session(checked.facts) as session:
            return {
                **explanation,
                "items": [
                    {
                        **each,
                        "explanation": item_explanation(
                            session,
                            spec.items,
                            each["code"],
                            each["kind"],
                            evidence,
                            words(self.advisor, each.get("parameters")),
                        ),
                    }
                    for each in items or ()
                ],
            }

    def _changes(self, record: Record, code: str, kind: str) -> dict[str, Any]:
        """What would change a card's item, and when: for a withheld item, what would make it
        offered (the first offering kind); for any other, what would end it. Computed when
        the link is opened, not during the hook call."""
        if not self.advisor.declares_changes:
            return {}
        spec = self.advisor.answer_spec
        asked = next((wanted for wanted in spec.offering_kinds if wanted != kind), kind) if kind == "avoid" else kind
        return {"changes": changes_json(self.advisor.changes(record, code, asked))}

    def _order_card(
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
            return _with_summary(card, f"Order for {days} days is longer than the {longest}-day course: {label}")
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


def _check_request(service: Service, request: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
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


def _check_prefetch(declared: list[str], prefetch: dict[str, Any], patient_keys: list[str]) -> None:
    missing = [key for key in declared if key not in prefetch] + [
        key for key in patient_keys if prefetch.get(key) is None
    ]
    if missing:
        raise HookError(
            412,
            f"prefetch is missing {', '.join(dict.fromkeys(missing))}; this service does not query the FHIR server, "
            "so send the prefetch it declares in /cds-services",
        )


def _unprocessable(error: RecordError) -> HookError:
    return HookError(
        422, "the FHIR data cannot be read: " + "; ".join(map(str, error.problems)), [str(p) for p in error.problems]
    )


def _with_summary(card: Card, text: str) -> Card:
    return replace(card, summary=summary(text))


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
