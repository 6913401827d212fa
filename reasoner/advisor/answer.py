"""Answers: the items a knowledge base derives for one subject, with their rules and evidence.

A knowledge base names its answer predicates in ``answer.yaml``: an item predicate
``item(Code, Kind)``, an optional parameter predicate ``item_parameter(Code, Name, Value)``
and an optional conflict predicate ``item_conflict(Code, EvidenceId)``, plus the public
vocabulary of codes and the display order of kinds. An answer is assembled from one
query per predicate that also says which clause derived each row, so every item cites
the rules and evidence it rests on without a proof search.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import EvaluationError
from ..knowledge.evidence import Evidence
from ..language.engine import Row, value_order
from ..language.program import (
    Rule,
    Value,
    Variable,
)
from .answer_spec import AnswerSpec


@dataclass(frozen=True)
class EvidenceRef:
    """The evidence an item cites, with the grade, origin and source the knowledge base gives it."""

    evidence_id: str
    grade: str
    origin: str
    source: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.evidence_id, "grade": self.grade, "origin": self.origin, "source": self.source}


@dataclass(frozen=True)
class Item:
    """One item of an answer: a code as a kind, its parameters, and the rules and evidence it rests on."""

    code: str
    kind: str
    label: str
    parameters: Mapping[str, Value | tuple[Value, ...]]
    rules: tuple[str, ...]
    statements: tuple[str, ...]
    evidence: tuple[EvidenceRef, ...]
    conflicting_evidence: tuple[EvidenceRef, ...] = ()

    def parameters_json(self) -> dict[str, Any]:
        return {name: list(value) if isinstance(value, tuple) else value for name, value in self.parameters.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "label": self.label,
            "parameters": self.parameters_json(),
            "rules": list(self.rules),
            "statements": list(self.statements),
            "evidence": [reference.to_json() for reference in self.evidence],
            "conflicting_evidence": [reference.to_json() for reference in self.conflicting_evidence],
        }


@dataclass(frozen=True)
class Answer:
    """Every item the knowledge base derives for one subject, in display order."""

    subject: str
    knowledge_base: Mapping[str, str]
    items: tuple[Item, ...] = field(default_factory=tuple)

    def codes(self) -> dict[str, str]:
        """Code → kind of every item, the shape invariants and audits compare."""
        return {item.code: item.kind for item in self.items}

    def item(self, code: str) -> Item | None:
        return next((item for item in self.items if item.code == code), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "knowledge_base": dict(self.knowledge_base),
            "items": [item.to_json() for item in self.items],
        }


class DerivationSource(Protocol):
    """What an answer is read from: a pyDatalog :class:`Session`, or one subject's SQL rows."""

    def derivations(self, predicate: str, *arguments: Value | None) -> list[tuple[Rule, Row]]: ...

    def query(self, predicate: str, *arguments: Value | None) -> list[Row]: ...


def assemble(
    session: DerivationSource,
    spec: AnswerSpec,
    evidence: Mapping[str, Evidence],
    subject: str,
    knowledge_base: Mapping[str, str],
    *,
    details: bool = True,
) -> Answer:
    """Build the answer for the subject of ``session``.

    ``details=False`` leaves out each item's statements and evidence (what the compact
    form of an answer says once per rule instead); conflicting evidence stays.
    """
    item_rules: dict[tuple[str, str], list[Rule]] = defaultdict(list)
    for rule, (code, kind) in session.derivations(spec.items, None, None):
        item_rules[(str(code), str(kind))].append(rule)
    parameters: dict[str, dict[str, set[Value]]] = defaultdict(lambda: defaultdict(set))
    parameter_rules: dict[str, list[Rule]] = defaultdict(list)
    head_rows: dict[int, set[Row]] = defaultdict(set)
    if spec.parameters is not None:
        for rule, row in session.derivations(spec.parameters, None, None, None):
            code, name, value = row
            parameters[str(code)][str(name)].add(value)
            parameter_rules[str(code)].append(rule)
            head_rows[id(rule)].add(tuple(row))
    conflicts: dict[str, set[str]] = defaultdict(set)
    if spec.conflicts is not None:
        for code, evidence_id in session.query(spec.conflicts, None, None):
            conflicts[str(code)].add(str(evidence_id))
    codes_order = {code: index for index, code in enumerate(spec.codes)}
    kind_order = {kind: index for index, kind in enumerate(spec.kinds)}
    items: list[Item] = []
    for (code, kind), rules in sorted(
        item_rules.items(), key=lambda pair: (kind_order[pair[0][1]], codes_order[pair[0][0]])
    ):
        all_rules = _unique(rules + parameter_rules.get(code, []))
        item_parameters = _parameters(code, parameters.get(code, {}), spec)
        items.append(
            Item(
                code=code,
                kind=kind,
                label=spec.codes[code].label,
                parameters=item_parameters,
                rules=tuple(rule.rule_id or str(rule) for rule in all_rules),
                statements=tuple(
                    spec.fill(rule.metadata.statement, {**_head_bindings(rule, head_rows), **item_parameters})
                    for rule in all_rules
                    if rule.metadata.statement and details
                ),
                evidence=_references(
                    [evidence_id for rule in all_rules for evidence_id in rule.metadata.evidence if details], evidence
                ),
                conflicting_evidence=_references(sorted(conflicts.get(code, ())), evidence),
            )
        )
    return Answer(subject, knowledge_base, tuple(items))


def _head_bindings(rule: Rule, head_rows: Mapping[int, set[Row]]) -> dict[str, Value]:
    """The values the head's variables took, where the rule gave this item a single row."""
    rows = head_rows.get(id(rule), set())
    if len(rows) != 1:
        return {}
    (row,) = rows
    return {
        argument.name: value
        for argument, value in zip(rule.head.arguments, row, strict=True)
        if isinstance(argument, Variable) and not argument.is_anonymous
    }


def _parameters(code: str, values: Mapping[str, set[Value]], spec: AnswerSpec) -> dict[str, Value | tuple[Value, ...]]:
    result: dict[str, Value | tuple[Value, ...]] = {}
    for name in sorted(values, key=spec.parameter_order):
        ordered = tuple(sorted(values[name], key=value_order))
        if name in spec.list_parameters:
            result[name] = ordered
        elif len(ordered) == 1:
            result[name] = ordered[0]
        else:
            raise EvaluationError(
                f"parameter {name} of {code} has several values {list(ordered)}; declare it in list_parameters "
                "or fix the rules"
            )
    return result


def _unique(rules: list[Rule]) -> list[Rule]:
    seen: set[int] = set()
    result: list[Rule] = []
    for rule in rules:
        if id(rule) not in seen:
            seen.add(id(rule))
            result.append(rule)
    return result


def _references(evidence_ids: list[str], evidence: Mapping[str, Evidence]) -> tuple[EvidenceRef, ...]:
    references: list[EvidenceRef] = []
    for evidence_id in dict.fromkeys(evidence_ids):
        entry = evidence.get(evidence_id)
        if entry is None:
            references.append(EvidenceRef(evidence_id, "ungraded", "unknown", ""))
        else:
            references.append(EvidenceRef(evidence_id, entry.grade, entry.origin, entry.source))
    return tuple(references)
