"""The answer vocabulary of a knowledge base (``answer.yaml``): what makes an answer and how it is said.

It names the answer predicates (items, parameters, conflicts), the public codes with
their labels (stable: add, never rename), the order of kinds, and how an answer is said
to a person: each code's note and banner, the parameters' labels in clinical order, the
words of symbols, and the lines of the plan summary. Statement templates are checked
against it when a knowledge base loads, so a placeholder naming nothing is an error at
file:line:col rather than a word missing from an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..datafile import DataFile
from ..errors import KnowledgeBaseError, Problem
from ..knowledge.template import Placeholder, Template, TemplateError, fill
from ..language.graph import reachable
from ..language.program import (
    Atom,
    Constant,
    Negation,
    PredicateKey,
    Program,
    Value,
    variables_of,
)


@dataclass(frozen=True)
class CodeInfo:
    """What the answer vocabulary says of one code: its label, description, notes and banner."""

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
