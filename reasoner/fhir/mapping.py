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
from ..datafile import DataFile, PathKey
from ..errors import KnowledgeBaseError, Problem

RESOURCE_TYPES = ("Condition", "Observation", "MedicationStatement", "MedicationRequest", "AllergyIntolerance")
OBSERVATION_TYPES = ("boolean", "integer")


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

    def parse_codes(self, tokens: Iterable[str]) -> CodeTable:
        """A table of ``system|code`` tokens that all mean the same thing (meaning = the token)."""
        return _table(((token, token) for token in tokens), self.systems, self.hierarchical)


def read_mapping(data_file: DataFile, record_spec: RecordSpec) -> FhirMapping:
    """Read and check ``fhir.yaml`` against the record description; problems name file:line:col."""
    data = data_file.data
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise KnowledgeBaseError([data_file.problem((), "a FHIR mapping is a mapping of sections", "fhir")])

    def problem(path: PathKey, message: str) -> None:
        problems.append(data_file.problem(path, message, "fhir"))

    systems: dict[str, str] = {}
    hierarchical: set[str] = set()
    for name, raw in (data.get("systems") or {}).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
            problem(("systems", str(name)), "each system has a url")
            continue
        systems[str(name)] = raw["url"]
        if raw.get("hierarchical"):
            hierarchical.add(raw["url"])

    def tokens(path: PathKey, raw: Any) -> list[str]:
        if not isinstance(raw, list) or not all(isinstance(token, str) for token in raw):
            problem(path, "a list of system|code tokens")
            return []
        good: list[str] = []
        for index, token in enumerate(raw):
            system, _, code = token.partition("|")
            if system not in systems or not code:
                known = ", ".join(systems)
                problem((*path, index), f"{token!r} is not system|code with a known system ({known})")
            else:
                good.append(token)
        return good

    def field_of(path: PathKey, name: Any, types: tuple[str, ...]) -> str:
        spec = record_spec.field(str(name))
        if spec is None or spec.type not in types:
            problem(path, f"{name!r} is not a record field of type {' or '.join(types)}")
        return str(name)

    patient = data.get("patient") or {}
    identifier_field = field_of(("patient", "identifier"), patient.get("identifier"), ("text",))
    age_field = field_of(("patient", "age"), patient.get("age"), ("integer",))
    episode_raw = data.get("episode") or {}
    episode_field = field_of(("episode", "field"), episode_raw.get("field"), ("integer",))
    episode_tokens = tokens(("episode", "codes"), episode_raw.get("codes"))

    observations: list[tuple[str, str, list[str], Any, list[str]]] = []
    for name, raw in (data.get("observations") or {}).items():
        path: PathKey = ("observations", str(name))
        if not isinstance(raw, dict) or raw.get("type") not in OBSERVATION_TYPES:
            problem(path, f"type must be one of {', '.join(OBSERVATION_TYPES)}")
            continue
        field_of(path, name, ("boolean",) if raw["type"] == "boolean" else ("integer",))
        days_of = tokens((*path, "days_of"), raw["days_of"]) if "days_of" in raw else []
        if days_of and raw["type"] != "integer":
            problem((*path, "days_of"), "only an integer field counts days")
        observations.append(
            (str(name), raw["type"], tokens((*path, "codes"), raw.get("codes")), raw.get("default"), days_of)
        )

    resources: dict[str, ResourceRule] = {}
    for name, raw in (data.get("resources") or {}).items():
        path = ("resources", str(name))
        if name not in RESOURCE_TYPES or not isinstance(raw, dict) or not isinstance(raw.get("fields"), list):
            problem(path, f"a resource type ({', '.join(RESOURCE_TYPES)}) with its list of fields")
            continue
        fields = tuple(field_of((*path, "fields"), item, ("codes",)) for item in raw["fields"])
        attributes = {
            attribute.name: attribute
            for spec in (record_spec.field(item) for item in fields)
            if spec is not None
            for attribute in spec.attributes
        }
        for key, kind in (("severity", "code"), ("stopped_days", "integer")):
            attribute_name = raw.get(key)
            if attribute_name is not None and (
                attribute_name not in attributes or attributes[attribute_name].type != kind
            ):
                problem((*path, key), f"{attribute_name!r} is not a {kind} attribute of {', '.join(fields)}")
        stopped = attributes.get(raw.get("stopped_days") or "")
        resources[str(name)] = ResourceRule(
            fields, raw.get("severity"), raw.get("stopped_days"), stopped.maximum if stopped else None
        )

    severity_pairs: list[tuple[str, str]] = []
    for value, raw in (data.get("severity") or {}).items():
        severity_pairs += [(token, str(value)) for token in tokens(("severity", str(value)), raw)]

    codes: dict[str, CodeTable] = {}
    for field_name, table in (data.get("codes") or {}).items():
        path = ("codes", str(field_name))
        spec = record_spec.field(str(field_name))
        if spec is None or spec.type != "codes" or not isinstance(table, dict):
            problem(path, f"{field_name!r} is not a record field of codes")
            continue
        pairs: list[tuple[str, str]] = []
        seen: dict[str, str] = {}
        for code, raw in table.items():
            if code not in spec.codes:
                problem((*path, str(code)), f"{code!r} is not a code of {field_name}; allowed: {', '.join(spec.codes)}")
                continue
            for token in tokens((*path, str(code)), raw):
                if token in seen:
                    problem((*path, str(code)), f"{token} already means {seen[token]}")
                seen[token] = str(code)
                pairs.append((token, str(code)))
        codes[str(field_name)] = _table(pairs, systems, hierarchical)
    for name, rule in resources.items():
        for field_name in rule.fields:
            if field_name not in codes:
                problem(("resources", name, "fields"), f"{field_name} has no code table under codes")

    if problems:
        raise KnowledgeBaseError(problems)
    frozen_hierarchical = frozenset(hierarchical)
    return FhirMapping(
        identifier_field=identifier_field,
        age_field=age_field,
        episode_field=episode_field,
        episode=_table(((token, token) for token in episode_tokens), systems, frozen_hierarchical),
        observations=tuple(
            ObservationField(
                name,
                kind,
                _table(((token, name) for token in found), systems, frozen_hierarchical),
                default,
                _table(((token, name) for token in days_of), systems, frozen_hierarchical) if days_of else None,
            )
            for name, kind, found, default, days_of in observations
        ),
        resources=resources,
        severity=_table(severity_pairs, systems, frozen_hierarchical),
        severity_order=tuple(dict.fromkeys(value for _, value in severity_pairs)),
        codes=codes,
        systems=systems,
        hierarchical=frozen_hierarchical,
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
