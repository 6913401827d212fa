"""What the CDS Hooks services say about themselves and how answers become cards: data of the KB.

The ``cds`` section of the knowledge base's ``fhir`` data file names the services, their
prefetch templates, the card indicator of each kind of answer item, the items that turn
critical when a predicate of the rules holds, and, for ``order-sign``, which drug codes an
order is checked for and against which answer item. It is checked against the answer
vocabulary and the rules once, when the service starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from ..advisor.advisor import Advisor
from ..datafile import DataFile, PathKey, validate
from ..errors import KnowledgeBaseError, Problem
from ..fhir import CodeTable, FhirMapping, load_mapping
from .config_file import CdsSection, Indicator


@dataclass(frozen=True)
class Service:
    hook: str
    id: str
    title: str
    description: str

    def discovery(self, prefetch: Mapping[str, str]) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(prefetch),
        }


@dataclass(frozen=True)
class OrderCheck:
    """A draft order for one of ``codes`` must find ``item`` of ``allowed_kind`` in the answer."""

    codes: CodeTable
    item: str
    allowed_kind: str
    longest_days: str | None
    also_show: tuple[str, ...] = ()


@dataclass(frozen=True)
class CdsConfig:
    guideline: Mapping[str, Any]
    services: tuple[Service, ...]
    prefetch: Mapping[str, str]
    indicators: Mapping[str, str]
    critical_when: Mapping[str, tuple[str, int]]
    kind_words: Mapping[str, str]
    order: OrderCheck | None
    mapping: FhirMapping

    def service(self, service_id: str) -> Service | None:
        return next((service for service in self.services if service.id == service_id), None)


def read_config(advisor: Advisor) -> CdsConfig:
    """Read and check the ``cds`` section of the advisor's ``fhir`` data file (its shape: ``config_file.py``)."""
    mapping = load_mapping(advisor)
    data_file: DataFile = advisor.kb.data["fhir"]
    if not isinstance(data_file.data, dict) or not isinstance(data_file.data.get("cds"), dict):
        raise KnowledgeBaseError([data_file.problem(("cds",), "a cds section describes the services", "cds")])
    section: CdsSection = validate(data_file, CdsSection, "cds", at=("cds",))
    problems: list[Problem] = []

    def problem(path: PathKey, message: str) -> None:
        problems.append(data_file.problem(("cds", *path), message, "cds"))

    spec = advisor.answer_spec
    if not any(template.startswith("Patient/") for template in section.prefetch.values()):
        problem(("prefetch",), "a prefetch template for the Patient (Patient/{{context.patientId}}) is needed")
    for kind in spec.kinds:
        if kind not in section.indicators:
            problem(("indicators",), f"{kind} needs an indicator: {', '.join(get_args(Indicator))}")
        if kind not in section.kind_words:
            problem(("kind_words",), f"{kind} needs the word a card summary starts with")
    defined = advisor.kb.program.defined_predicates() | set(advisor.kb.program.inputs())
    critical_when: dict[str, tuple[str, int]] = {}
    for code, predicate in section.critical_when.items():
        arities = sorted(arity for name, arity in defined if name == predicate)
        if code not in spec.codes:
            problem(("critical_when", code), f"{code!r} is not an answer code")
        elif not arities:
            problem(("critical_when", code), f"{predicate!r} is not a predicate of the rules")
        else:
            critical_when[code] = (predicate, arities[0])
    order = section.order
    if order is not None:
        if order.item not in spec.codes:
            problem(("order", "item"), f"{order.item!r} is not an answer code")
        if order.allowed_kind not in spec.kinds:
            problem(("order", "allowed_kind"), f"the allowed kind is one of {', '.join(spec.kinds)}")
        for kind in order.also_show:
            if kind not in spec.kinds:
                problem(("order", "also_show"), f"{kind!r} is not a kind; allowed: {', '.join(spec.kinds)}")
        if any(token.partition("|")[0] not in mapping.systems for token in order.codes):
            problem(("order", "codes"), "system|code tokens with systems listed under systems")
    if problems:
        raise KnowledgeBaseError(problems)
    guideline: dict[str, Any] = {
        "label": section.guideline.label or advisor.kb.title or advisor.kb.name,
        "version": advisor.kb.version,
    }
    if section.guideline.topic_system:
        guideline["topic_system"] = section.guideline.topic_system
    if section.guideline.url:
        guideline["url"] = section.guideline.url
    if section.guideline.override_reasons:
        if not section.guideline.override_system:
            raise KnowledgeBaseError(
                [data_file.problem(("cds", "guideline"), "override_reasons need an override_system", "cds")]
            )
        guideline["override_reasons"] = [
            {"system": section.guideline.override_system, "code": reason.code, "display": reason.display}
            for reason in section.guideline.override_reasons
        ]
    guideline["evidence_links"] = {
        evidence_id: entry.link for evidence_id, entry in advisor.kb.evidence.items() if entry.link
    }
    return CdsConfig(
        guideline=guideline,
        services=tuple(
            Service(hook, fields.id, fields.title, fields.description) for hook, fields in section.services.items()
        ),
        prefetch=section.prefetch,
        indicators=section.indicators,
        critical_when=critical_when,
        kind_words=section.kind_words,
        order=None
        if order is None
        else OrderCheck(
            mapping.parse_codes(order.codes),
            order.item,
            order.allowed_kind,
            order.longest_days,
            tuple(order.also_show),
        ),
        mapping=mapping,
    )
