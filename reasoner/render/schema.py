"""The shape of an explanation rendered as JSON (:mod:`reasoner.render.json`), as pydantic models.

``backspasm kb docs`` writes the schema they generate to ``docs/schemas/explanation.schema.json``;
the renderer's tests validate every rendering against it, so a field is never renamed silently.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..datamodel import OutputModel, published_schema

Value = str | int
Bindings = dict[str, Value]


class EvidenceNote(OutputModel):
    id: str
    grade: str | None = Field(
        description="GRADE quality from the registry, null when the registry is not given or lacks the id."
    )
    direction: Literal["for", "against", "mixed"] | None


class RuleNote(OutputModel):
    id: str | None
    statement: str | None
    datalog: str
    evidence: list[EvidenceNote]


class FactNode(OutputModel):
    """A fact that holds: from the record, a KB fact, or derived by a rule whose body literals are the steps."""

    node: Literal["fact"]
    fact: str
    predicate: str
    arguments: list[Value]
    source: Literal["rule", "record", "kb-fact"]
    rule: RuleNote | None
    bindings: Bindings = Field(description="Variable name to the value it took.")
    steps: list[FactNode | CheckNode | NegationNode]


class CheckNode(OutputModel):
    """A comparison that holds or an assignment, with the values filled in."""

    node: Literal["comparison", "assignment"]
    literal: str
    instantiated: str
    bindings: Bindings


class NegationNode(OutputModel):
    """A negated literal that holds, with the why-not of its positive form."""

    node: Literal["negation"]
    literal: str
    fact: str
    why_not: WhyNotNode


class FailureNote(OutputModel):
    reason: Literal["missing-input", "false-comparison", "negation-holds", "not-derived"]
    instantiated: str
    bindings: Bindings
    proof: FactNode | None
    why_not: WhyNotNode | None


class AttemptNote(OutputModel):
    """A rule whose head unifies with the fact, and the first body literal that fails."""

    rule: RuleNote
    bindings: Bindings
    literal: str | None
    position: int = Field(ge=0)
    failures: list[FailureNote]
    more: int = Field(ge=0)


class WhyNotNode(OutputModel):
    """Why a fact does not hold: the rules that could derive it and the first condition each fails on."""

    node: Literal["why-not"]
    fact: str
    predicate: str
    kind: Literal["holds", "not-in-record", "rules-fail", "no-rule", "cycle", "depth-limit"]
    attempts: list[AttemptNote]
    related: list[RuleNote]
    record: list[str]


EXPLANATION_SCHEMA: dict[str, Any] = published_schema(
    FactNode | WhyNotNode,
    "explanation",
    "Explanation",
    "Why a fact holds (node: fact, a proof tree) or why it does not (node: why-not), "
    "as rendered by reasoner.render.render_json.",
)
"""docs/schemas/explanation.schema.json."""
