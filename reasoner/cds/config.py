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
from typing import Any

from ..advisor.advisor import Advisor
from ..datafile import DataFile, PathKey
from ..errors import KnowledgeBaseError, Problem
from ..fhir import CodeTable, FhirMapping, load_mapping

HOOKS = ("patient-view", "order-sign")
INDICATORS = ("info", "warning", "critical")


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
    guideline: Mapping[str, str]
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
    """Read and check the ``cds`` section of the advisor's ``fhir`` data file."""
    mapping = load_mapping(advisor)
    data_file: DataFile = advisor.kb.data["fhir"]
    raw = data_file.data.get("cds") if isinstance(data_file.data, dict) else None
    problems: list[Problem] = []

    def problem(path: PathKey, message: str) -> None:
        problems.append(data_file.problem(("cds", *path), message, "cds"))

    if not isinstance(raw, dict):
        raise KnowledgeBaseError([data_file.problem(("cds",), "a cds section describes the services", "cds")])
    spec = advisor.answer_spec
    services: list[Service] = []
    for hook, fields in (raw.get("services") or {}).items():
        if hook not in HOOKS or not isinstance(fields, dict) or not isinstance(fields.get("id"), str):
            problem(("services", str(hook)), f"a service for one of the hooks {', '.join(HOOKS)}, with an id")
            continue
        services.append(
            Service(str(hook), fields["id"], str(fields.get("title", "")), str(fields.get("description", "")))
        )
    prefetch = {str(key): str(value) for key, value in (raw.get("prefetch") or {}).items()}
    if not any(template.startswith("Patient/") for template in prefetch.values()):
        problem(("prefetch",), "a prefetch template for the Patient (Patient/{{context.patientId}}) is needed")
    indicators = {str(kind): str(value) for kind, value in (raw.get("indicators") or {}).items()}
    for kind in spec.kinds:
        if indicators.get(kind) not in INDICATORS:
            problem(("indicators", kind), f"each kind needs an indicator: {', '.join(INDICATORS)}")
    kind_words = {str(kind): str(value) for kind, value in (raw.get("kind_words") or {}).items()}
    for kind in spec.kinds:
        if kind not in kind_words:
            problem(("kind_words", kind), "each kind needs the word a card summary starts with")
    defined = advisor.kb.program.defined_predicates() | set(advisor.kb.program.inputs())
    critical_when: dict[str, tuple[str, int]] = {}
    for code, predicate in (raw.get("critical_when") or {}).items():
        arities = sorted(arity for name, arity in defined if name == predicate)
        if code not in spec.codes:
            problem(("critical_when", str(code)), f"{code!r} is not an answer code")
        elif not arities:
            problem(("critical_when", str(code)), f"{predicate!r} is not a predicate of the rules")
        else:
            critical_when[str(code)] = (str(predicate), arities[0])
    order = None
    order_raw = raw.get("order")
    if order_raw is not None:
        if not isinstance(order_raw, dict) or order_raw.get("item") not in spec.codes:
            problem(("order", "item"), "an order check names an answer item")
        elif order_raw.get("allowed_kind") not in spec.kinds:
            problem(("order", "allowed_kind"), f"the allowed kind is one of {', '.join(spec.kinds)}")
        else:
            codes = order_raw.get("codes")
            tokens = [token for token in codes if isinstance(token, str)] if isinstance(codes, list) else []
            unknown = [token for token in tokens if token.partition("|")[0] not in mapping.systems]
            if not tokens or unknown:
                problem(("order", "codes"), "system|code tokens with systems listed under systems")
            else:
                order = OrderCheck(
                    mapping.parse_codes(tokens),
                    order_raw["item"],
                    order_raw["allowed_kind"],
                    order_raw.get("longest_days"),
                    tuple(str(kind) for kind in order_raw.get("also_show") or () if kind in spec.kinds),
                )
    if not services:
        problem(("services",), "at least one service")
    if problems:
        raise KnowledgeBaseError(problems)
    guideline_raw = raw.get("guideline") or {}
    guideline = {
        "label": str(guideline_raw.get("label") or advisor.kb.title or advisor.kb.name),
        "version": advisor.kb.version,
    }
    if guideline_raw.get("topic_system"):
        guideline["topic_system"] = str(guideline_raw["topic_system"])
    return CdsConfig(
        guideline=guideline,
        services=tuple(services),
        prefetch=prefetch,
        indicators=indicators,
        critical_when=critical_when,
        kind_words=kind_words,
        order=order,
        mapping=mapping,
    )
