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

from ..datafile import DataFile
from ..errors import EvaluationError, KnowledgeBaseError, Problem
from ..knowledge.evidence import Evidence
from ..knowledge.template import Placeholder, Template, TemplateError, fill
from ..language.dependencies import reachable
from ..language.engine import Row, value_order
from ..language.program import (
    Atom,
    Constant,
    Negation,
    PredicateKey,
    Program,
    Rule,
    Value,
    Variable,
    variables_of,
)


@dataclass(frozen=True)
class CodeInfo:
    label: str
    description: str = ""
    notes: Mapping[str, str] = field(default_factory=dict)
    """The code's line in the plan summary, per kind (``*`` for every kind): a statement template."""
    about: str | None = None
    """The item a warning is about: the warning is shown beside it."""
    banner: tuple[str, ...] = ()
    """Lines (templates) that open the answer whenever the item is in it."""

    def note(self, kind: str) -> str:
        return self.notes.get(kind) or self.notes.get("*") or self.label


@dataclass(frozen=True)
class SummaryLine:
    """One line of the plan summary: the items of these kinds (and codes), one line each or joined."""

    kinds: tuple[str, ...]
    codes: tuple[str, ...] = ()
    heading: str = ""
    """A template: with ``group_by``, filled with the group's value of that parameter."""
    each: bool = False
    group_by: str | None = None


@dataclass(frozen=True)
class AnswerSpec:
    """Which predicates make an answer, and the public vocabulary of its codes."""

    items: str
    parameters: str | None
    conflicts: str | None
    kinds: tuple[str, ...]
    offering_kinds: tuple[str, ...]
    """The kinds that offer something; "why not X?" asks about these."""
    list_parameters: frozenset[str]
    codes: Mapping[str, CodeInfo]
    parameter_labels: Mapping[str, str] = field(default_factory=dict)
    """Parameter names in the order a clinician reads them, with their labels."""
    values: Mapping[str, str] = field(default_factory=dict)
    """Words for the symbols parameters hold (the record's code labels merged in by the advisor)."""
    summary_lines: tuple[SummaryLine, ...] = ()
    footer: str = ""
    """The heading of the one-line footer of items every patient gets."""
    everyone: frozenset[tuple[str, str]] = frozenset()
    """(code, kind) of the items a rule gives with no condition on the record: the same for everyone."""

    def say(self, value: Value | tuple[Value, ...]) -> str:
        """A parameter's value in words: a symbol by its label, a list as "a, b and c" (or "a; b; c"
        when a part is a phrase of its own, so that no "and" reads as part of one)."""
        if isinstance(value, tuple):
            spoken = [self.say(part) for part in value]
            if len(spoken) == 1:
                return spoken[0]
            if any("," in words or words.count(" ") >= 3 for words in spoken):
                return "; ".join(spoken)
            return ", ".join(spoken[:-1]) + " and " + spoken[-1]
        if isinstance(value, str):
            return self.values.get(value, value)
        return str(value)

    def parameter_label(self, name: str) -> str:
        return self.parameter_labels.get(name, name.replace("_", " "))

    def parameter_order(self, name: str) -> tuple[int, str]:
        order = list(self.parameter_labels)
        return (order.index(name), "") if name in self.parameter_labels else (len(order), name)

    def fill(self, text: str, parameters: Mapping[str, Any]) -> str:
        """``text`` as a template filled with ``parameters`` in words; unreadable text stays as it is."""
        return fill(text, parameters, self.say)

    def check_against(self, program: Program, data_file: DataFile) -> list[Problem]:
        """Answer predicates must be declared outputs, and every code a rule can give must be known.

        Every statement template must be readable, name only parameters of the vocabulary
        (``{name}``) or variables of its rule (``{Name}``), and every parameter a rule
        gives must have a label when the vocabulary lists them.
        """
        problems = self._check_templates(program, data_file)
        outputs = program.outputs()
        for role, name, arity in (
            ("items", self.items, 2),
            ("parameters", self.parameters, 3),
            ("conflicts", self.conflicts, 2),
        ):
            if name is not None and (name, arity) not in outputs:
                problems.append(
                    data_file.problem((role,), f"{name}/{arity} must be declared .output in the rules", "answer")
                )
        for rule in program.rules:
            head = rule.head
            if head.predicate == self.items and head.arity == 2:
                code, kind = head.arguments
                if not isinstance(code, Constant) or code.value not in self.codes:
                    problems.append(
                        Problem(head.position, "answer", f"item code {code} is not in the vocabulary of answer codes")
                    )
                if not isinstance(kind, Constant) or kind.value not in self.kinds:
                    problems.append(
                        Problem(head.position, "answer", f"item kind {kind} is not one of {', '.join(self.kinds)}")
                    )
            if (
                self.parameter_labels
                and head.predicate == self.parameters
                and head.arity == 3
                and isinstance(head.arguments[1], Constant)
                and head.arguments[1].value not in self.parameter_labels
            ):
                problems.append(
                    Problem(
                        head.position,
                        "answer",
                        f"parameter {head.arguments[1]} has no label in parameter_labels of the answer vocabulary",
                    )
                )
            if head.predicate in (self.parameters, self.conflicts) and head.arguments:
                code = head.arguments[0]
                if not isinstance(code, Constant) or code.value not in self.codes:
                    problems.append(
                        Problem(
                            head.position,
                            "answer",
                            f"{head.predicate} names code {code}, which is not in the vocabulary",
                        )
                    )
        return problems

    def _check_templates(self, program: Program, data_file: DataFile) -> list[Problem]:
        problems: list[Problem] = []
        for rule in program.rules:
            if rule.metadata.statement is None:
                continue
            variables = {variable.name for variable in variables_of(rule.head)} | {
                variable.name for literal in rule.body for variable in variables_of(literal)
            }
            message = self._template_problem(rule.metadata.statement, variables, optional_only=True)
            if message:
                problems.append(Problem(rule.position, "answer", f"@statement: {message}"))
        for code, info in self.codes.items():
            for note in info.notes.values():
                message = self._template_problem(note, set())
                if message:
                    problems.append(data_file.problem(("codes", code, "note"), message, "answer"))
            for index, line in enumerate(info.banner):
                message = self._template_problem(line, set())
                if message:
                    problems.append(data_file.problem(("codes", code, "banner", index), message, "answer"))
        for index, summary_line in enumerate(self.summary_lines):
            message = self._template_problem(summary_line.heading, set())
            if message:
                problems.append(data_file.problem(("summary", "lines", index, "heading"), message, "answer"))
        return problems

    def _template_problem(self, text: str, variables: set[str], optional_only: bool = False) -> str:
        """What is wrong with one template, or ''. A rule's statement (``optional_only``) keeps its
        placeholders in optional parts, so that it still reads where nothing fills them: a
        why-not explains rules whose head was never reached."""
        try:
            template = Template.parse(text)
        except TemplateError as error:
            return str(error)
        if optional_only:
            bare = [part.name for part in template.parts if isinstance(part, Placeholder)]
            if bare:
                return (
                    f"{{{bare[0]}}} must be inside an optional part [...], so the statement reads without it "
                    "(why-not shows statements of rules that did not apply)"
                )
        for placeholder in sorted(template.names):
            if placeholder[0].isupper() or placeholder[0] == "_":
                if placeholder not in variables:
                    return f"{{{placeholder}}} is not a variable of the rule"
            elif placeholder not in self.parameter_labels:
                allowed = ", ".join(self.parameter_labels) or "none are declared"
                return f"{{{placeholder}}} is not a parameter of the answer vocabulary; allowed: {allowed}"
        return ""


@dataclass(frozen=True)
class EvidenceRef:
    evidence_id: str
    grade: str
    origin: str
    source: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.evidence_id, "grade": self.grade, "origin": self.origin, "source": self.source}


@dataclass(frozen=True)
class Item:
    code: str
    kind: str
    label: str
    parameters: Mapping[str, Value | tuple[Value, ...]]
    rules: tuple[str, ...]
    statements: tuple[str, ...]
    evidence: tuple[EvidenceRef, ...]
    conflicting_evidence: tuple[EvidenceRef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "label": self.label,
            "parameters": {
                name: list(value) if isinstance(value, tuple) else value for name, value in self.parameters.items()
            },
            "rules": list(self.rules),
            "statements": list(self.statements),
            "evidence": [reference.to_json() for reference in self.evidence],
            "conflicting_evidence": [reference.to_json() for reference in self.conflicting_evidence],
        }


@dataclass(frozen=True)
class Answer:
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
) -> Answer:
    """Build the answer for the subject of ``session``."""
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
                    if rule.metadata.statement
                ),
                evidence=_references(
                    [evidence_id for rule in all_rules for evidence_id in rule.metadata.evidence], evidence
                ),
                conflicting_evidence=_references(sorted(conflicts.get(code, ())), evidence),
            )
        )
    return Answer(subject, knowledge_base, tuple(items))


def unconditional_items(program: Program, spec: AnswerSpec) -> frozenset[tuple[str, str]]:
    """(code, kind) of every item a rule gives with no condition that reads the record.

    Such an item is in every answer (lumbar supports avoided, say), so a reader is told it
    once, in a footer, instead of in every answer's body.
    """
    inputs = set(program.inputs())
    reach = reachable(program)
    found: set[tuple[str, str]] = set()
    for rule in program.rules:
        if rule.head.predicate != spec.items or rule.head.arity != 2:
            continue
        code, kind = rule.head.arguments
        if not isinstance(code, Constant) or not isinstance(kind, Constant):
            continue
        read = {key for literal in rule.body for key in _atom_keys(literal) for key in reach.get(key, {key})}
        if not read & inputs:
            found.add((str(code.value), str(kind.value)))
    return frozenset(found)


def _atom_keys(literal: Any) -> list[PredicateKey]:
    if isinstance(literal, Atom):
        return [literal.key]
    if isinstance(literal, Negation):
        return [literal.atom.key]
    return []


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


def read_spec(data_file: DataFile) -> AnswerSpec:
    data = data_file.data
    if not isinstance(data, dict) or not isinstance(data.get("items"), str) or not isinstance(data.get("codes"), dict):
        raise KnowledgeBaseError(
            [data_file.problem((), "an answer spec names its items predicate and its codes", "answer")]
        )
    problems: list[Problem] = []
    codes: dict[str, CodeInfo] = {}
    for code, info in data["codes"].items():
        if not isinstance(info, dict) or not isinstance(info.get("label"), str):
            problems.append(data_file.problem(("codes", str(code)), "each code needs a label", "answer"))
            continue
        codes[str(code)] = _code_info(data_file, str(code), info, problems)
    kinds = tuple(str(kind) for kind in data.get("kinds") or ())
    if not kinds:
        problems.append(data_file.problem(("kinds",), "list the kinds of item in display order", "answer"))
    for kind in data.get("offering_kinds") or ():
        if kind not in kinds:
            problems.append(data_file.problem(("offering_kinds",), f"{kind} is not one of the kinds", "answer"))
    for code, info in codes.items():
        for kind in info.notes:
            if kind != "*" and kind not in kinds:
                problems.append(
                    data_file.problem(("codes", code, "note"), f"{kind} is not one of {', '.join(kinds)}", "answer")
                )
        if info.about is not None and info.about not in codes:
            problems.append(
                data_file.problem(("codes", code, "about"), f"{info.about} is not an answer code", "answer")
            )
    parameter_labels = _words(data_file, "parameter_labels", problems)
    values = _words(data_file, "values", problems)
    summary = data.get("summary") or {}
    if not isinstance(summary, dict):
        problems.append(data_file.problem(("summary",), "summary has lines and a footer", "answer"))
        summary = {}
    lines = tuple(
        _summary_line(data_file, index, line, kinds, codes, problems)
        for index, line in enumerate(summary.get("lines") or ())
    )
    if problems:
        raise KnowledgeBaseError(problems)
    return AnswerSpec(
        items=data["items"],
        parameters=data.get("parameters"),
        conflicts=data.get("conflicts"),
        kinds=kinds,
        offering_kinds=tuple(str(kind) for kind in data.get("offering_kinds") or ()),
        list_parameters=frozenset(str(name) for name in data.get("list_parameters") or ()),
        codes=codes,
        parameter_labels=parameter_labels,
        values=values,
        summary_lines=lines,
        footer=str(summary.get("footer") or ""),
    )


def _code_info(data_file: DataFile, code: str, info: dict[str, Any], problems: list[Problem]) -> CodeInfo:
    note = info.get("note")
    notes: dict[str, str] = {}
    if isinstance(note, str):
        notes["*"] = note
    elif isinstance(note, dict) and all(isinstance(text, str) for text in note.values()):
        notes = {str(kind): text for kind, text in note.items()}
    elif note is not None:
        problems.append(data_file.problem(("codes", code, "note"), "a note is a text, or a text per kind", "answer"))
    banner = info.get("banner") or []
    if not isinstance(banner, list) or not all(isinstance(line, str) for line in banner):
        problems.append(data_file.problem(("codes", code, "banner"), "a banner is a list of lines", "answer"))
        banner = []
    about = info.get("about")
    return CodeInfo(
        info["label"],
        str(info.get("description", "")),
        notes,
        str(about) if about is not None else None,
        tuple(banner),
    )


def _words(data_file: DataFile, key: str, problems: list[Problem]) -> dict[str, str]:
    raw = data_file.data.get(key) or {}
    if not isinstance(raw, dict) or not all(isinstance(words, str) for words in raw.values()):
        problems.append(data_file.problem((key,), "a mapping of names to words", "answer"))
        return {}
    return {str(name): words for name, words in raw.items()}


def _summary_line(
    data_file: DataFile,
    index: int,
    line: Any,
    kinds: tuple[str, ...],
    codes: Mapping[str, CodeInfo],
    problems: list[Problem],
) -> SummaryLine:
    path = ("summary", "lines", index)
    if not isinstance(line, dict) or not isinstance(line.get("kinds"), list):
        problems.append(data_file.problem(path, "a summary line names its kinds, and may name codes", "answer"))
        return SummaryLine(())
    for kind in line["kinds"]:
        if kind not in kinds:
            problems.append(data_file.problem(path + ("kinds",), f"{kind} is not one of {', '.join(kinds)}", "answer"))
    for code in line.get("codes") or ():
        if code not in codes:
            problems.append(data_file.problem(path + ("codes",), f"{code} is not an answer code", "answer"))
    return SummaryLine(
        kinds=tuple(str(kind) for kind in line["kinds"]),
        codes=tuple(str(code) for code in line.get("codes") or ()),
        heading=str(line.get("heading") or ""),
        each=bool(line.get("each", False)),
        group_by=str(line["group_by"]) if line.get("group_by") else None,
    )
