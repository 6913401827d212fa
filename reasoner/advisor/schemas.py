"""The shapes of the command line's JSON outputs, as pydantic models that generate their schemas.

``backspasm kb docs`` writes each schema under ``docs/schemas/``, a test fails when a
committed copy is stale, and the CLI tests validate every JSON output against its
schema, so a program reading ``--format json`` knows its shape. The models describe
what the library emits; they are not on the path of a command that emits it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from ..datamodel import SCHEMA_BASE, OutputModel, published_schema

Count = Annotated[int, Field(ge=0)]
Value = str | int
Kind = Literal["refer", "warn", "recommend", "consider", "avoid"]
Explanations = Annotated[
    list[dict[str, Any]],
    WithJsonSchema({"type": "array", "items": {"$ref": f"{SCHEMA_BASE}explanation.schema.json"}}),
]


# -- answers ----------------------------------------------------------------------


class EvidenceRef(OutputModel):
    id: str
    grade: str = Field(description="GRADE quality, with the source's own words in brackets")
    origin: str = Field(description="guideline-summary or clinical-extension")
    source: str


class KnowledgeBaseIdentity(OutputModel, extra="allow"):
    name: str
    version: str


class AnswerItem(OutputModel):
    code: str = Field(description="stable public code")
    kind: Kind
    label: str
    parameters: dict[str, Value | list[Value]]
    rules: list[str]
    statements: list[str]
    evidence: list[EvidenceRef]
    conflicting_evidence: list[EvidenceRef]


class PlanLine(OutputModel):
    text: str = Field(description="one line of the plan, in the words of a clinical note")
    codes: list[str] = Field(description="the items the line says")
    cautions: list[str] = Field(description="warnings about those items, one line each under it")


class PlanSummary(OutputModel):
    banner: list[str] = Field(description="lines that open the answer (a red-flag referral); empty when none")
    banner_codes: list[str]
    lines: list[PlanLine] = Field(description="drug with dose, duration and stop rule; non-drug care; withheld")
    footer: str = Field(description="the items every patient gets, in one line; empty when none")
    footer_codes: list[str]


class Answer(OutputModel):
    subject: str = Field(description="the record's identifier")
    knowledge_base: KnowledgeBaseIdentity
    items: list[AnswerItem] = Field(
        description="in display order: by kind (refer, warn, recommend, consider, avoid), then by code"
    )
    summary: PlanSummary | None = Field(
        default=None,
        description="the plan summary `recommend --format json` adds (not in batch output); statements are filled",
    )


class NotUnderstoodEntry(OutputModel):
    resource: str = Field(description="the resource, as Type/id")
    element: str = Field(description="the element that could not be read")
    value: str = Field(description="what it held")
    reason: str = Field(description="why it was not understood")


class ReadingEntry(OutputModel):
    resource: str = Field(description="the resource, as Type/id")
    element: str = Field(description="the element read")
    value: str = Field(description="what it held")
    gave: str = Field(description="what it gave the record, or kept out of it")


class FhirAnswer(Answer):
    not_understood: list[NotUnderstoodEntry] = Field(
        description="what the resources held that the mapping could not read: listed, never guessed"
    )
    assumptions: list[str] = Field(description="what was assumed where the resources left something open")
    readings: list[ReadingEntry] = Field(description="resource by resource, what shaped the record")


# -- batch, audit, verify -----------------------------------------------------------


class CompactItem(OutputModel):
    code: str = Field(description="stable public code")
    kind: Kind
    parameters: dict[str, Value | list[Value]]
    rules: list[str] = Field(description="ids of the rules behind the item, as the full answer cites them")
    conflicts: list[str] = Field(description="ids of the evidence that conflicts with the item for this patient")


class CompactAnswer(OutputModel):
    subject: str = Field(description="the record's identifier")
    items: list[CompactItem] = Field(description="in the full answer's order")


class CompactEvidence(OutputModel):
    grade: str
    origin: str
    source: str


class CompactHeader(OutputModel):
    knowledge_base: KnowledgeBaseIdentity
    labels: dict[str, str] = Field(description="code -> label of every answer code")
    rules: dict[str, list[str]] = Field(description="rule id -> the evidence ids it cites, in order")
    evidence: dict[str, CompactEvidence] = Field(description="evidence id -> its reference, as full answers give it")


class BatchProblem(OutputModel):
    field: str = Field(description="field path; empty for the whole record")
    message: str


class BatchErrorDetail(OutputModel):
    source: str = Field(description="file:line of a JSON Lines record, or the record file")
    line: int | None = Field(description="1-based line in the cohort file")
    problems: list[BatchProblem] = Field(min_length=1)


class BatchError(OutputModel):
    error: BatchErrorDetail


class Violation(OutputModel):
    invariant: str = Field(description="the violation/1 name")
    patients: Count
    examples: list[str] = Field(description="sources of the first patients, at most 10")


class CodeCount(OutputModel):
    code: str
    kind: str
    patients: Count


class Audit(OutputModel):
    patients: Count
    errors: Count
    codes: list[CodeCount] = Field(description="sorted by code, then kind")
    violations: list[Violation]


class Verify(OutputModel):
    patients: Count
    errors: Count
    violations: list[Violation]


# -- knowledge-base listings ----------------------------------------------------------


class LintProblem(OutputModel):
    file: str
    line: Count
    column: Count
    severity: Literal["error", "warning"]
    check: str
    message: str


class RuleListing(OutputModel):
    id: str | None
    statement: str | None
    datalog: str
    evidence: list[str]
    position: str = Field(description="file:line:column")


class EvidenceListing(OutputModel):
    id: str
    quality: Literal["high", "moderate", "low", "very-low"]
    grade: str
    origin: str
    source: str
    backs: str
    direction: str | None
    strength: str | None
    link: str | None


class CoverageLine(OutputModel):
    line: int = Field(ge=1)
    text: str
    heading: bool
    rules: list[str]
    not_actionable: str | None


# -- queries and explanations -----------------------------------------------------------


class RecordFact(OutputModel):
    fact: str
    words: str = Field(description="the fact in the record's words: field names and code labels")


class PathRule(OutputModel):
    fact: str = Field(description="the fact the rule derived")
    rule: str | None = Field(description="the rule's id")
    statement: str | None = Field(description="the rule's statement, filled with the item's parameters and its values")
    depth: int = Field(ge=0, description="0 for the explained fact, one more for each rule below it")
    tested: list[str] = Field(description="what the rule read from the record and tested, one phrase each")


class RuledOut(OutputModel):
    negation: str = Field(description="the negated condition, with the rule's values")
    rule: str | None = Field(description="the id of a rule that could have broken it")
    checked: str = Field(description="what was checked and did not hold, in one phrase")


class DecisivePath(OutputModel):
    """What made the fact hold: the record's facts, the rules on the path, each rule checked and not applying."""

    fact: str
    record: list[RecordFact]
    rules: list[PathRule] = Field(description="in the order a reader follows them, each derived fact once")
    ruled_out: list[RuledOut] = Field(description="each rule that could have broken a negated condition, once")


class Why(OutputModel):
    fact: str
    holds: bool
    proofs: Explanations
    decisive: list[DecisivePath] = Field(description="the decisive path of each proof, in the same order")
    changes: ItemChanges | None = Field(default=None, description="with --changes: what would end the item, and when")


class ChangeNote(OutputModel):
    field: str = Field(description="the record field changed")
    action: Literal["set", "stop", "remove", "clear"]
    code: str | None = Field(description="the code stopped or removed")
    codes: list[str] = Field(description="the codes a clear removes")
    connective: Literal["if", "once", "not before"]
    text: str


class ReachedNote(OutputModel):
    field: str
    attribute: str | None
    code: str | None
    value: int = Field(description="the value the field reaches on the option's day")
    rules: list[str] = Field(description="the rules whose comparisons it crosses then")
    text: str


class ChangeOption(OutputModel):
    days: Count = Field(description="days from now; 0 when the changes alone do it")
    changes: list[ChangeNote] = Field(description="record changes made now; empty when time alone does it")
    reached: list[ReachedNote]
    record: dict[str, Any] = Field(
        description="the changed record that was answered (docs/schemas/patient.schema.json)"
    )
    text: str


class BlockerNote(OutputModel):
    fact: str = Field(description="a derived fact no allowed change or day within the horizon removes")
    record: list[str] = Field(description="the patient's facts it rests on")
    rules: list[str]
    statement: str | None
    evidence: list[str]
    blocks: list[str] = Field(description="the rules it keeps from concluding")
    fixed: list[str] = Field(description="why the knowledge base's changes file does not let those facts change")
    text: str


class FailingNote(OutputModel):
    rule: str
    condition: str
    reason: Literal["missing-input", "false-comparison", "negation-holds", "not-derived"]


class ItemChanges(OutputModel):
    """What would change one item, and when (``backspasm why-not``; ``Advisor.changes``)."""

    fact: str
    code: str
    kind: Kind
    holds: bool = Field(description="whether the answer holds the item now")
    direction: Literal["make-hold", "remove"]
    horizon_days: Count
    max_changes: Count
    options: list[ChangeOption] = Field(
        description="the smallest counterfactuals: fewest changes, each at its soonest day, sorted by day"
    )
    never: bool = Field(description="no option within the horizon and the changes allowed")
    blockers: list[BlockerNote] = Field(description="when never: what provably blocks the item for good")
    failing: list[FailingNote] = Field(description="when never and no blocker is proven: where its rules fail now")
    text: list[str]


class WhyNot(OutputModel):
    code: str
    explanations: Explanations
    changes: list[ItemChanges] | None = Field(
        default=None, description="one per explanation, in the same order; left out with --no-changes"
    )


class DiffChange(OutputModel):
    change: Literal["added", "removed", "kind", "parameter", "record"]
    code: str = Field(description="the answer code; empty for a record valid under one version only")
    detail: str = Field(description="the kind now given or no longer given, old -> new kind, or the parameter's name")
    patients: Count
    examples: list[str] = Field(description="a few subjects, with old -> new values for a parameter")
    old_rules: list[str] = Field(description="the rules behind the item in the old version")
    new_rules: list[str] = Field(description="the rules behind the item in the new version")


class KbDiff(OutputModel):
    old: KnowledgeBaseIdentity
    new: KnowledgeBaseIdentity
    patients: Count
    changed: Count = Field(description="patients whose answer differs")
    rules_edited: list[str] = Field(description="rule ids whose clause, statement or evidence differs, or new or gone")
    changes: list[DiffChange] = Field(description="most patients first")


ANSWER_SCHEMA = published_schema(Answer, "answer", "Answer for one subject")
"""The published shape of :meth:`reasoner.advisor.answer.Answer.to_json`."""

CLI_SCHEMAS: dict[str, dict[str, Any]] = {
    "schemas/answer.schema.json": ANSWER_SCHEMA,
    "schemas/fhir-answer.schema.json": published_schema(
        FhirAnswer,
        "fhir-answer",
        "Answer for the patient of a FHIR Bundle (`recommend --fhir`) or of a Bulk Data export (`batch EXPORT`)",
    ),
    "schemas/batch-error.schema.json": published_schema(
        BatchError, "batch-error", "A cohort record that could not be answered (one line of `backspasm batch` output)"
    ),
    "schemas/compact-answer.schema.json": published_schema(
        CompactHeader | CompactAnswer | BatchError,
        "compact-answer",
        "One line of `backspasm batch --answers compact`: the header (first line), a patient's answer, or an error",
        "A full item's label is the header's; its evidence is that of its rules in order, each id once; "
        "its statements are left out.",
    ),
    "schemas/audit.schema.json": published_schema(
        Audit, "audit", "Audit of a cohort (`backspasm batch --audit --format json`)"
    ),
    "schemas/verify.schema.json": published_schema(Verify, "verify", "Result of `backspasm kb verify --format json`"),
    "schemas/lint.schema.json": published_schema(
        list[LintProblem], "lint", "Problems found by `backspasm kb lint --format json`, sorted by position"
    ),
    "schemas/rules.schema.json": published_schema(
        list[RuleListing], "rules", "Rules listed by `backspasm kb rules --format json`, in load order"
    ),
    "schemas/evidence.schema.json": published_schema(
        list[EvidenceListing], "evidence", "The evidence registry (`backspasm kb evidence --format json`)"
    ),
    "schemas/coverage.schema.json": published_schema(
        list[CoverageLine],
        "coverage",
        "The traceability matrix (`backspasm kb coverage --format json`), one entry per guideline line",
    ),
    "schemas/query.schema.json": published_schema(
        list[dict[str, Value]],
        "query",
        "Solutions of `backspasm query --format json`: one object per solution, a value per named variable",
    ),
    "schemas/why.schema.json": published_schema(Why, "why", "Proofs printed by `backspasm why --format json`"),
    "schemas/kb-diff.schema.json": published_schema(
        KbDiff, "kb-diff", "What changes when the knowledge base changes: `backspasm kb diff --format json`"
    ),
    "schemas/why-not.schema.json": published_schema(
        WhyNot, "why-not", "Explanations printed by `backspasm why-not --format json`, one per kind explained"
    ),
    "schemas/docs.schema.json": published_schema(
        list[Annotated[str, Field(description="a path, relative to the working directory")]],
        "docs",
        "Pages written by `backspasm kb docs --format json`",
    ),
}
"""Path under docs/ → schema."""
