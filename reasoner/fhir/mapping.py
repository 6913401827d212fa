"""The code table that turns FHIR codings into record codes: data of the knowledge base, checked once.

A knowledge base that accepts FHIR input names a ``fhir`` data file (``fhir.yaml``). It
lists the code systems it knows, which record field each resource type fills, and for
every record code the codings (``system|code``) that mean it. Reading FHIR never looks
at display text: a coding is either in this table or reported as not understood.

Every field and code the table names is checked against the record description, so a
table cannot produce a record the advisor would reject.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..advisor.records import RecordSpec
from ..datafile import DataFile, PathKey, validate
from ..errors import KnowledgeBaseError, Problem


@dataclass(frozen=True)
class Coding:
    """A coding as FHIR writes it: a system URL and a code."""

    system: str
    code: str

    def __str__(self) -> str:
        return f"{self.system}|{self.code}"


@dataclass(frozen=True)
class CodeTable:
    """Codings → a meaning; hierarchical systems match a listed code as a prefix, the longest winning."""

    exact: Mapping[Coding, str] = field(default_factory=dict)
    prefixes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def lookup(self, coding: Coding) -> str | None:
        if coding in self.exact:
            return self.exact[coding]
        codes = self.prefixes.get(coding.system)
        if not codes:
            return None
        for length in range(len(coding.code), 0, -1):
            meaning = codes.get(coding.code[:length])
            if meaning is not None:
                return meaning
        return None

    def first(self, codings: Iterable[Coding]) -> str | None:
        """The meaning of the first coding this table knows, in the order FHIR lists them."""
        for coding in codings:
            meaning = self.lookup(coding)
            if meaning is not None:
                return meaning
        return None


@dataclass(frozen=True)
class ObservationField:
    """A record field carried as an Observation's value."""

    field: str
    type: str
    codes: CodeTable
    default: Any = None
    days_of: CodeTable | None = None
    """Medicines whose MedicationStatements count the days, when no Observation gives them."""


@dataclass(frozen=True)
class AttributeField:
    """An attribute of a record code carried as an Observation's value: a pregnancy's completed weeks.

    The Observation gives a duration (``valueQuantity`` in weeks or days) at its effective
    date; the reader carries it to today in whole weeks and attaches it to ``code`` of
    ``field`` when another resource gave that code.
    """

    name: str
    field: str
    code: str
    codes: CodeTable
    maximum: int | None = None


@dataclass(frozen=True)
class ResourceRule:
    """Which record code fields a resource type fills, and which attributes it carries."""

    fields: tuple[str, ...]
    severity: str | None = None
    stopped_days: str | None = None
    stopped_days_maximum: int | None = None


@dataclass(frozen=True)
class FhirMapping:
    """The whole table, read from ``fhir.yaml``."""

    identifier_field: str
    age_field: str
    episode_field: str
    episode: CodeTable
    observations: tuple[ObservationField, ...]
    resources: Mapping[str, ResourceRule]
    severity: CodeTable
    severity_order: tuple[str, ...]
    codes: Mapping[str, CodeTable]
    systems: Mapping[str, str]
    hierarchical: frozenset[str]
    attributes: tuple[AttributeField, ...] = ()

    def parse_codes(self, tokens: Iterable[str]) -> CodeTable:
        """A table of ``system|code`` tokens that all mean the same thing (meaning = the token)."""
        return _table(((token, token) for token in tokens), self.systems, self.hierarchical)


def read_mapping(data_file: DataFile, record_spec: RecordSpec) -> FhirMapping:
    """Read and check ``fhir.yaml`` (its shape: ``mapping_file.py``) against the record description.

    Problems name file:line:col.
    """
    from .mapping_file import MappingFile

    mapping: MappingFile = validate(data_file, MappingFile, "fhir")
    problems: list[Problem] = []

    def problem(path: PathKey, message: str) -> None:
        problems.append(data_file.problem(path, message, "fhir"))

    systems = {name: system.url for name, system in mapping.systems.items()}
    hierarchical = frozenset(system.url for system in mapping.systems.values() if system.hierarchical)

    def tokens(path: PathKey, raw: list[str]) -> list[str]:
        good: list[str] = []
        for index, token in enumerate(raw):
            system, _, code = token.partition("|")
            if system not in systems or not code:
                problem((*path, index), f"{token!r} is not system|code with a known system ({', '.join(systems)})")
            else:
                good.append(token)
        return good

    def table(path: PathKey, raw: list[str], meaning: str | None = None) -> CodeTable:
        return _table(((token, meaning or token) for token in tokens(path, raw)), systems, hierarchical)

    def field_of(path: PathKey, name: str, types: tuple[str, ...]) -> str:
        spec = record_spec.field(name)
        if spec is None or spec.type not in types:
            problem(path, f"{name!r} is not a record field of type {' or '.join(types)}")
        return name

    field_of(("patient", "identifier"), mapping.patient.identifier, ("text",))
    field_of(("patient", "age"), mapping.patient.age, ("integer",))
    field_of(("episode", "field"), mapping.episode.field, ("integer",))
    episode = table(("episode", "codes"), mapping.episode.codes)
    observations: list[ObservationField] = []
    for name, observation in mapping.observations.items():
        path: PathKey = ("observations", name)
        field_of(path, name, (observation.type,))
        if observation.days_of and observation.type != "integer":
            problem((*path, "days_of"), "only an integer field counts days")
        days_of = table((*path, "days_of"), observation.days_of, name) if observation.days_of else None
        codes_path = (*path, "codes")
        observations.append(
            ObservationField(
                name, observation.type, table(codes_path, observation.codes, name), observation.default, days_of
            )
        )

    attribute_fields: list[AttributeField] = []
    for name, attribute in mapping.attributes.items():
        path = ("attributes", name)
        spec = record_spec.field(attribute.field)
        found = next((item for item in spec.attributes if item.name == name), None) if spec is not None else None
        if spec is None or spec.type != "codes":
            problem((*path, "field"), f"{attribute.field!r} is not a record field of codes")
            continue
        if found is None or found.type != "integer":
            problem(path, f"{name!r} is not an integer attribute of {attribute.field}")
            continue
        if attribute.code not in spec.codes:
            problem((*path, "code"), f"{attribute.code!r} is not a code of {attribute.field}")
            continue
        attribute_fields.append(
            AttributeField(
                name, attribute.field, attribute.code, table((*path, "codes"), attribute.codes, name), found.maximum
            )
        )

    resources: dict[str, ResourceRule] = {}
    for resource_type, resource in mapping.resources.items():
        path = ("resources", resource_type)
        fields = tuple(field_of((*path, "fields"), item, ("codes",)) for item in resource.fields)
        attributes = {
            attribute.name: attribute
            for spec in (record_spec.field(item) for item in fields)
            if spec is not None
            for attribute in spec.attributes
        }
        for key, kind in (("severity", "code"), ("stopped_days", "integer")):
            attribute_name = getattr(resource, key)
            if attribute_name is not None and (
                attribute_name not in attributes or attributes[attribute_name].type != kind
            ):
                problem((*path, key), f"{attribute_name!r} is not a {kind} attribute of {', '.join(fields)}")
        stopped = attributes.get(resource.stopped_days or "")
        resources[resource_type] = ResourceRule(
            fields, resource.severity, resource.stopped_days, stopped.maximum if stopped else None
        )

    severity_pairs = [
        (token, value) for value, raw in mapping.severity.items() for token in tokens(("severity", value), raw)
    ]
    codes: dict[str, CodeTable] = {}
    for field_name, code_tokens in mapping.codes.items():
        path = ("codes", field_name)
        spec = record_spec.field(field_name)
        if spec is None or spec.type != "codes":
            problem(path, f"{field_name!r} is not a record field of codes")
            continue
        pairs: list[tuple[str, str]] = []
        seen: dict[str, str] = {}
        for code, raw in code_tokens.items():
            if code not in spec.codes:
                problem((*path, code), f"{code!r} is not a code of {field_name}; allowed: {', '.join(spec.codes)}")
                continue
            for token in tokens((*path, code), raw):
                if token in seen:
                    problem((*path, code), f"{token} already means {seen[token]}")
                seen[token] = code
                pairs.append((token, code))
        codes[field_name] = _table(pairs, systems, hierarchical)
    for name, rule in resources.items():
        for field_name in rule.fields:
            if field_name not in codes:
                problem(("resources", name, "fields"), f"{field_name} has no code table under codes")

    if problems:
        raise KnowledgeBaseError(problems)
    return FhirMapping(
        identifier_field=mapping.patient.identifier,
        age_field=mapping.patient.age,
        episode_field=mapping.episode.field,
        episode=episode,
        observations=tuple(observations),
        resources=resources,
        attributes=tuple(attribute_fields),
        severity=_table(severity_pairs, systems, hierarchical),
        severity_order=tuple(dict.fromkeys(value for _, value in severity_pairs)),
        codes=codes,
        systems=systems,
        hierarchical=hierarchical,
    )


def _table(pairs: Iterable[tuple[str, str]], systems: Mapping[str, str], hierarchical: Iterable[str]) -> CodeTable:
    exact: dict[Coding, str] = {}
    prefixes: dict[str, dict[str, str]] = {}
    hierarchical = set(hierarchical)
    for token, meaning in pairs:
        system, _, code = token.partition("|")
        url = systems[system]
        if url in hierarchical:
            prefixes.setdefault(url, {})[code] = meaning
        else:
            exact[Coding(url, code)] = meaning
    return CodeTable(exact, prefixes)
