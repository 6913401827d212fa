"""Cards: the answer as CDS Hooks cards, with the words the knowledge base gives them.

A patient's answer is one plan card (the same plan summary the text answer opens with,
its statements filled for the patient) plus one card per critical finding (a red-flag
referral, a contraindication), which opens with the answer's banner: an EHR shows the
few things that must not be missed, not a card per item. An item card's summary is the
kind's word and the item's label (answer.yaml), cut to the spec's 140 characters; its
detail is markdown built from the rules' own statements, the item's parameters and the
evidence with its grade; its indicator comes from the kind (and turns critical when the
configured predicate holds); every card links to the explanation the service keeps for
it. Nothing here knows which guideline it serves.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..advisor.answer import Answer, EvidenceRef, Item
from ..advisor.answer_spec import AnswerSpec
from ..advisor.summary import PlanLine, Summary
from ..fhir import FhirReading

SUMMARY_LIMIT = 140
"""The spec: a summary SHOULD be under 140 characters."""
_IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
"""A knowledge base's identifier in a message (``relaxant_days_taken``); FHIR ids and codes have no ``_``."""


@dataclass(frozen=True)
class Card:
    """One card, and the explanation its ``why`` link serves."""

    uuid: str
    summary: str
    indicator: str
    detail: str
    source: Mapping[str, Any]
    explanation: Mapping[str, Any] = field(default_factory=dict)
    suggestions: tuple[Mapping[str, Any], ...] = ()
    override_reasons: tuple[Mapping[str, str], ...] = ()

    def to_json(self, why_url: str) -> dict[str, Any]:
        card: dict[str, Any] = {
            "uuid": self.uuid,
            "summary": self.summary,
            "indicator": self.indicator,
            "detail": self.detail,
            "source": dict(self.source),
        }
        if self.suggestions:
            card["suggestions"] = [dict(suggestion) for suggestion in self.suggestions]
            card["selectionBehavior"] = "at-most-one"
        if self.override_reasons:
            card["overrideReasons"] = [dict(reason) for reason in self.override_reasons]
        card["links"] = [{"label": "Why this advice", "url": why_url, "type": "absolute"}]
        return card


OVERRIDABLE = ("warning", "critical")
"""Cards a clinician may dismiss with a reason (CDS Hooks ``overrideReasons``)."""
GRADE_ORDER = ("high", "moderate", "low", "very-low")


def card_id(hook_instance: str, service_id: str, key: str) -> str:
    """A card's uuid: stable for one hook call, so a retried call gives the same cards."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cds:{service_id}:{hook_instance}:{key}"))


def summary(text: str) -> str:
    """``text`` cut on a word boundary to fit under the spec's 140 characters."""
    if len(text) < SUMMARY_LIMIT:
        return text
    cut = text[: SUMMARY_LIMIT - 2].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"


def item_card(
    item: Item,
    spec: AnswerSpec,
    *,
    indicator: str,
    kind_word: str,
    guideline: Mapping[str, Any],
    card_uuid: str,
    subject: str,
    lead: str = "",
    sentence: str | None = None,
) -> Card:
    """The card for one answer item; ``lead`` is a first paragraph (an order's verdict, say).

    ``sentence`` is the item's proof in words (the explanation tracer), shown first.
    """
    detail = [lead] if lead else []
    detail.append(f"**{kind_word}: {item.label}**")
    if sentence:
        detail.append(f"Why: {sentence}")
    info = spec.codes.get(item.code)
    if info is not None and info.description:
        detail.append(info.description)
    if item.statements:
        detail.append("Why, in the guideline's rules:\n\n" + "\n".join(f"- {text}" for text in item.statements))
    if item.parameters:
        lines = [f"- {spec.parameter_label(name)}: {spec.say(value)}" for name, value in item.parameters.items()]
        detail.append("Details:\n\n" + "\n".join(lines))
    detail.append(_evidence("Evidence", item.evidence))
    if item.conflicting_evidence:
        detail.append(_evidence("Conflicting evidence", item.conflicting_evidence))
    return Card(
        uuid=card_uuid,
        summary=summary(f"{kind_word}: {item.label}"),
        indicator=indicator,
        detail="\n\n".join(part for part in detail if part),
        source=_source(guideline, item),
        explanation={"card": card_uuid, "subject": subject, "item": item.to_json()},
        override_reasons=tuple(guideline.get("override_reasons", ())) if indicator in OVERRIDABLE else (),
    )


def in_words(message: str, words: Mapping[str, str]) -> str:
    """A message of the reader with the knowledge base's identifiers said in words: a record code
    by its label (``words``), a field or attribute by its name with spaces."""
    return _IDENTIFIER.sub(lambda found: words.get(found[0], found[0].replace("_", " ")), message)


def reading_card(
    reading: FhirReading,
    *,
    guideline: Mapping[str, Any],
    card_uuid: str,
    subject: str,
    words: Mapping[str, str] | None = None,
) -> Card | None:
    """What the Bundle held that the advice does not use, and what it assumed; None when both are empty.

    The reader's reasons and assumptions name record fields and codes; the card says them in
    words (``words``: each record code's label), the entries' own values as the record wrote them.
    """
    words = words or {}
    if not reading.not_understood and not reading.assumptions:
        return None
    parts: list[str] = []
    unread = reading.not_understood
    if unread:
        count = len(unread)
        text = f"{count} {'entry' if count == 1 else 'entries'} of the record not understood and not used"
        parts.append(
            "**Not understood, so not used by the advice** (no code in the knowledge base's table):\n\n"
            + "\n".join(
                f"- {item.resource} {item.element}: {item.value} ({in_words(item.reason, words)})"
                for item in reading.not_understood
            )
        )
    else:
        text = "Advice given with assumptions about missing data"
    if reading.assumptions:
        parts.append(
            "**Assumed**:\n\n" + "\n".join(f"- {in_words(assumption, words)}" for assumption in reading.assumptions)
        )
    return Card(
        uuid=card_uuid,
        summary=summary(text),
        indicator="warning" if reading.not_understood else "info",
        detail="\n\n".join(parts),
        source={"label": str(guideline["label"])},
        explanation={"card": card_uuid, "subject": subject, "reading": reading.to_json()},
    )


def notice_card(text: str, detail: str, *, indicator: str, guideline: Mapping[str, Any], card_uuid: str) -> Card:
    """A card that is not an answer item (the advice could not be applied, say)."""
    return Card(
        uuid=card_uuid,
        summary=summary(text),
        indicator=indicator,
        detail=detail,
        source={"label": str(guideline["label"])},
        explanation={"card": card_uuid, "notice": text, "detail": detail},
    )


def answer_cards(
    answer: Answer,
    *,
    spec: AnswerSpec,
    indicators: Mapping[str, str],
    critical: Iterable[str],
    kind_words: Mapping[str, str],
    guideline: Mapping[str, Any],
    hook_instance: str,
    service_id: str,
    kinds: Iterable[str] | None = None,
    sentences: Mapping[tuple[str, str], str] | None = None,
) -> list[Card]:
    """A card per answer item (of ``kinds``, or all), in the answer's order (its kinds in display order)."""
    wanted = set(kinds) if kinds is not None else None
    critical = set(critical)
    cards = []
    for item in answer.items:
        if wanted is not None and item.kind not in wanted:
            continue
        cards.append(
            item_card(
                item,
                spec,
                indicator="critical" if item.code in critical else indicators[item.kind],
                kind_word=kind_words[item.kind],
                guideline=guideline,
                card_uuid=card_id(hook_instance, service_id, f"{item.code}:{item.kind}"),
                subject=answer.subject,
                sentence=(sentences or {}).get((item.code, item.kind)),
            )
        )
    return cards


def plan_cards(
    answer: Answer,
    plan: Summary,
    *,
    spec: AnswerSpec,
    indicators: Mapping[str, str],
    critical: Iterable[str],
    kind_words: Mapping[str, str],
    guideline: Mapping[str, Any],
    hook_instance: str,
    service_id: str,
    sentences: Mapping[tuple[str, str], str] | None = None,
) -> list[Card]:
    """A card per critical finding, banner first, then one plan card for everything else.

    The plan card is a warning when the answer warns of something (so a clinician may
    dismiss it with a reason), information otherwise.
    """
    critical = set(critical)
    findings = [item for item in answer.items if item.code in critical or indicators[item.kind] == "critical"]
    cards = []
    for item in findings:
        banner = plan.banner if item.code in plan.banner_codes else ()
        card = item_card(
            item,
            spec,
            indicator="critical",
            kind_word=kind_words[item.kind],
            guideline=guideline,
            card_uuid=card_id(hook_instance, service_id, f"{item.code}:{item.kind}"),
            subject=answer.subject,
            lead="\n\n".join(f"**{line}**" for line in banner),
            sentence=(sentences or {}).get((item.code, item.kind)),
        )
        if banner:
            headline = " - ".join(dict.fromkeys((banner[0], banner[-1])))
            card = replace(
                card,
                summary=headline if len(headline) < SUMMARY_LIMIT else summary(banner[0]),
                explanation={**card.explanation, "summary": plan.to_json()},
            )
        cards.append(card)
    shown = {item.code for item in findings}
    rest = [item for item in answer.items if item.code not in shown]
    plan_uuid = card_id(hook_instance, service_id, "plan")
    warned = any(indicators[item.kind] == "warning" for item in rest)
    first = plan.lines[0].text if plan.lines else "no further advice"
    detail = ["**Plan**\n\n" + "\n".join(_plan_bullets(plan.lines, plan.footer))]
    if rest:
        detail.append(
            "**Each item**\n\n"
            + "\n".join(
                f"- {kind_words[item.kind]}: {item.label}" + (f". {item.statements[0]}" if item.statements else "")
                for item in rest
            )
        )
    detail.append(_evidence("Evidence", _unique_references(item.evidence for item in rest)))
    return cards + [
        Card(
            uuid=plan_uuid,
            summary=summary(f"{guideline['label']} plan: {first}"),
            indicator="warning" if warned else "info",
            detail="\n\n".join(part for part in detail if part),
            source={"label": f"{guideline['label']} {guideline.get('version', '')}".strip(), **_url(guideline, rest)},
            explanation={
                "card": plan_uuid,
                "subject": answer.subject,
                "summary": plan.to_json(),
                "items": [item.to_json() for item in rest],
            },
            override_reasons=tuple(guideline.get("override_reasons", ())) if warned else (),
        )
    ]


def _plan_bullets(lines: Iterable[PlanLine], footer: str) -> list[str]:
    bullets = []
    for line in lines:
        bullets.append(f"- {line.text}")
        bullets.extend(f"  - {caution}" for caution in line.cautions)
    if footer:
        bullets.append(f"- {footer}")
    return bullets


def _unique_references(groups: Iterable[Iterable[EvidenceRef]]) -> list[EvidenceRef]:
    seen: dict[str, EvidenceRef] = {}
    for group in groups:
        for reference in group:
            seen.setdefault(reference.evidence_id, reference)
    return list(seen.values())


def _url(guideline: Mapping[str, Any], items: list[Item]) -> dict[str, str]:
    references = _unique_references(item.evidence for item in items)
    url = _best_link(references, guideline.get("evidence_links", {})) or guideline.get("url")
    return {"url": str(url)} if url else {}


def _evidence(title: str, references: Iterable[EvidenceRef]) -> str:
    lines = [f"- {ref.source} (quality: {ref.grade}; {ref.origin})" for ref in references]
    return f"{title}:\n\n" + "\n".join(lines) if lines else ""


def _source(guideline: Mapping[str, Any], item: Item) -> dict[str, Any]:
    """The guideline as the card's source: its label, a link to the item's best evidence (or to the
    guideline), and the item as a coded topic. The evidence itself is listed in the card's detail."""
    source: dict[str, Any] = {"label": f"{guideline['label']} {guideline.get('version', '')}".strip()}
    url = _best_link(item.evidence, guideline.get("evidence_links", {})) or guideline.get("url")
    if url:
        source["url"] = url
    if "topic_system" in guideline:
        source["topic"] = {"system": guideline["topic_system"], "code": item.code, "display": item.label}
    return source


def _best_link(references: Iterable[EvidenceRef], links: Mapping[str, str]) -> str | None:
    """The link of the best-graded evidence that has one (the first of equals, in the item's order)."""
    linked = [ref for ref in references if ref.evidence_id in links]
    if not linked:
        return None
    return links[min(linked, key=lambda ref: _grade_rank(ref.grade)).evidence_id]


def _grade_rank(grade: str) -> int:
    """``moderate (modest)`` ranks as moderate; an unknown grade ranks last."""
    quality = grade.split(" (", 1)[0]
    return GRADE_ORDER.index(quality) if quality in GRADE_ORDER else len(GRADE_ORDER)
