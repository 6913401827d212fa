"""A CDS Hooks call, without HTTP: check the request, read the prefetch, ask the advisor, make cards.

The request is checked and its prefetch made one Bundle in :mod:`.requests` (which says
the status of each refusal, :class:`HookError`); a missing prefetch key is read from the
call's FHIR server when the service trusts it and the call grants a token, else the call
gets 412. The Bundle is read into a record, the advisor answers, and the answer becomes
cards (:mod:`.cards`); order-sign's draft orders and their cards are in :mod:`.orders`.
Each call reads its own record and opens its own session, so concurrent calls share
nothing but the immutable advisor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from ..advisor.advisor import Advisor
from ..advisor.answer import Answer, assemble
from ..advisor.records import Record
from ..errors import EpisodeNotFoundError, RecordError
from ..fhir import bundle_to_record, load_terminology
from ..render.changes import changes_json
from .cards import Card, answer_cards, card_id, notice_card, plan_cards, reading_card
from .config import CdsConfig
from .explaining import item_explanation, item_sentence, words
from .fetch import FetchError, FhirFetcher, fill
from .orders import Orders
from .requests import HookError, check_prefetch, check_request, prefetch_bundle, unprocessable

__all__ = ["HookError", "Hooks"]


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
        self.orders = Orders(advisor, config, self.terminology)

    def discovery(self) -> dict[str, Any]:
        return {"services": [service.discovery(self.config.prefetch) for service in self.config.services]}

    def call(self, service_id: str, request: Any) -> list[Card]:
        service = self.config.service(service_id)
        if service is None:
            known = ", ".join(service.id for service in self.config.services)
            raise HookError(404, f"no CDS service {service_id!r}; the services are: {known} (see /cds-services)")
        hook_instance, context, prefetch = check_request(service, request)
        # Card ids (and so the explanations kept for /why) are per call and per patient, even
        # when a client reuses a hookInstance for another patient.
        hook_instance = f"{hook_instance}:{context['patientId']}"
        orders: list[tuple[int, Any, dict[str, Any]]] = []
        if service.hook == "order-sign":
            orders = self.orders.drafts(context)
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
        check_prefetch(list(self.config.prefetch), prefetch, patient_keys)
        bundle = prefetch_bundle(self.config.prefetch, context, prefetch)
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
            raise unprocessable(error) from None
        try:
            record = self.advisor.read_record(reading.record, source="prefetch")
        except RecordError as error:
            raise unprocessable(error) from None
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
                self.orders.card(
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
