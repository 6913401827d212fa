"""Verify a knowledge base on the boundary records its own rules define.

A rule can only change its answer where one of its comparisons changes truth value. This
module reads those places from the parsed program: every comparison that, once the
variables bound to facts, to arithmetic and to other rules' heads are followed back,
compares one numeric input field with a constant gives a threshold ``t`` and the
boundary values ``t - 1``, ``t``, ``t + 1`` of that field (with the field's minimum and
maximum). Codes are grouped into classes the rules cannot tell apart (codes the program
never spells, or spells in exactly the same places, such as five contraindicating
conditions), and one code per class is tried, with the boundary values of its integer
attributes and one value per class of its code attributes.

:func:`boundary_records` combines them: every combination of the numeric and boolean
boundary values with no codes (the grid); then every code option with one grid record per
distinct set of items in the grid's answers (``level="default"``), or with the whole grid
(``level="full"``: the grid with every value of the optional integer fields, and every code
option with each grid record whose optional fields are at their minimum). At the default
level an optional integer field is left out of the grid (the product would multiply it)
and is tried like a code option instead: each of its values on each of those grid
records, crossed with every value of the field it is bounded by (``at_most``), so the two
fields that decide together still meet at every boundary. :func:`verify` (and
:func:`verify_boundaries`, which ``backspasm kb verify`` calls) evaluates each record
once, collects the integrity constraints
(``violation/1``) it breaks, and can keep every record's answer and output model.

>>> from pathlib import Path
>>> from backspasm.reasoner.api import load_advisor
>>> advisor = load_advisor(Path(__file__).resolve().parents[2] / "kb")
>>> sorted(boundary_values(advisor)["age"])[:5]
[0, 14, 15, 16, 17]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..advisor import answer as answers
from ..advisor.answer import Answer
from ..advisor.records import FieldSpec, RecordSpec
from ..language.engine import Row, row_order
from ..language.program import (
    Atom,
    Comparison,
    Constant,
    Expression,
    Negation,
    Program,
    Value,
)
from ..language.thresholds import Slot, thresholds

if TYPE_CHECKING:
    from ..advisor.advisor import Advisor

Level = Literal["default", "full"]


@dataclass(frozen=True)
class Outcome:
    """One record evaluated: its answer, the constraints it breaks, and its output model."""

    record: Mapping[str, Any]
    answer: Answer
    violations: tuple[str, ...]
    model: Mapping[str, tuple[Row, ...]]


@dataclass
class VerificationReport:
    """How many records were checked and which integrity constraints any of them broke."""

    records: int = 0
    violations: list[tuple[Mapping[str, Any], tuple[str, ...]]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome, keep: bool = False) -> None:
        self.records += 1
        if outcome.violations:
            self.violations.append((outcome.record, outcome.violations))
        if keep:
            self.outcomes.append(outcome)

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        if self.ok:
            return f"{self.records} records checked, no integrity constraint broken"
        names = sorted({name for _, broken in self.violations for name in broken})
        return f"{self.records} records checked, {len(self.violations)} break {', '.join(names)}"


# -- boundary values ---------------------------------------------------------------------


def boundary_values(advisor: Advisor) -> dict[str, list[int]]:
    """Boundary values of every integer field and integer attribute (``field.attribute``)."""
    found = thresholds(advisor.kb.program)
    values: dict[str, list[int]] = {}
    for name, slot, minimum, maximum in _numeric_dimensions(advisor.record_spec):
        candidates = {minimum, maximum}
        for threshold in found:
            if threshold.slot == slot:
                candidates |= {threshold.value - 1, threshold.value, threshold.value + 1}
        values[name] = sorted(value for value in candidates if minimum <= value <= maximum)
    return values


def _numeric_dimensions(spec: RecordSpec) -> Iterator[tuple[str, Slot, int, int]]:
    for field_spec in spec.fields:
        if field_spec.type == "integer" and field_spec.fact:
            yield field_spec.name, (field_spec.fact, 0), _minimum(field_spec.minimum), _maximum(field_spec.maximum)
        for attribute in field_spec.attributes:
            if attribute.type == "integer":
                slot = (attribute.fact, 1)
                yield (
                    f"{field_spec.name}.{attribute.name}",
                    slot,
                    _minimum(attribute.minimum),
                    _maximum(attribute.maximum),
                )


def _minimum(value: int | None) -> int:
    return 0 if value is None else value


def _maximum(value: int | None) -> int:
    return 1000 if value is None else value


def code_classes(program: Program, codes: Iterable[str]) -> list[list[str]]:
    """Codes grouped by every place the program spells them; the rules cannot tell a group apart."""
    places: dict[str, set[tuple[object, ...]]] = {}
    for index, rule in enumerate(program.rules):
        atoms = [rule.head, *[literal.atom if isinstance(literal, Negation) else literal for literal in rule.body]]
        for position, atom in enumerate(atoms):
            if not isinstance(atom, Atom):
                for side, expression in enumerate(_operands(atom)):
                    if isinstance(expression, Constant) and isinstance(expression.value, str):
                        places.setdefault(expression.value, set()).add((index, position, "comparison", side))
                continue
            for argument_index, argument in enumerate(atom.arguments):
                if not (isinstance(argument, Constant) and isinstance(argument.value, str)):
                    continue
                if rule.is_fact:
                    others = tuple(str(other) for k, other in enumerate(atom.arguments) if k != argument_index)
                    place: tuple[object, ...] = (atom.predicate, argument_index, others)
                else:
                    place = (index, position, argument_index)
                places.setdefault(argument.value, set()).add(place)
    classes: dict[frozenset[tuple[object, ...]], list[str]] = {}
    for code in codes:
        classes.setdefault(frozenset(places.get(code, ())), []).append(code)
    return list(classes.values())


def _operands(literal: object) -> list[Expression]:
    if isinstance(literal, Comparison):
        return [literal.left, literal.right]
    return []


def _mentioned_with(program: Program, predicate: str) -> tuple[bool, set[str]]:
    """Whether ``predicate`` is read with a variable first argument, and which codes it is read with."""
    any_code = False
    codes: set[str] = set()
    for rule in program.rules:
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Negation) else literal
            if isinstance(atom, Atom) and atom.predicate == predicate and atom.arguments:
                first = atom.arguments[0]
                if isinstance(first, Constant):
                    codes.add(str(first.value))
                else:
                    any_code = True
    return any_code, codes


def code_options(advisor: Advisor, values: Mapping[str, list[int]]) -> dict[str, list[list[Any]]]:
    """For each codes field, the lists worth trying: one code per class, with its attribute variants."""
    program = advisor.kb.program
    options: dict[str, list[list[Any]]] = {}
    for field_spec in advisor.record_spec.fields:
        if field_spec.type != "codes":
            continue
        entries: list[Any] = []
        for group in code_classes(program, field_spec.codes):
            entries += _entries(field_spec, group[0], program, values)
        options[field_spec.name] = [[entry] for entry in entries]
    return options


def _entries(field_spec: FieldSpec, code: str, program: Program, values: Mapping[str, list[int]]) -> list[Any]:
    variants: list[dict[str, Any]] = [{}]
    for attribute in field_spec.attributes:
        any_code, codes = _mentioned_with(program, attribute.fact)
        required = code in attribute.required_for
        if not (required or any_code or code in codes):
            continue
        if attribute.type == "integer":
            choices: list[Any] = values.get(f"{field_spec.name}.{attribute.name}", [])
        else:
            choices = [group[0] for group in code_classes(program, attribute.codes)]
        optional: list[Any] = [] if required else [None]
        variants = [
            {**variant, attribute.name: choice} if choice is not None else variant
            for variant in variants
            for choice in optional + choices
        ]
    return [{"code": code, **variant} if variant else code for variant in variants]


def boundary_records(
    advisor: Advisor, level: Level = "default", answer_of: Callable[[dict[str, Any]], Answer] | None = None
) -> Iterator[dict[str, Any]]:
    """The boundary records of the knowledge base, each valid by the record's rules.

    First the grid: every combination of the numeric boundary values and of each boolean
    field absent or true, with no codes. Then every code option (one code class of one
    field, with its attribute variants) combined with one grid record per distinct set of
    items (code and kind) in the grid's answers (``default``), or with every grid record
    (``full``). ``answer_of`` answers a grid record (default: ``advisor.recommend``); a
    caller that has just evaluated the grid passes its answers to save the work.
    """
    spec = advisor.record_spec
    values = boundary_values(advisor)
    optional = [] if level == "full" else _optional_integer_fields(spec, values)
    grid = list(_grid(spec, values, skip={field_spec.name for field_spec in optional}))
    yield from grid
    if level == "full":
        # code options meet every grid record whose optional integer fields are at their minimum
        lowest = {field_spec.name: values[field_spec.name][0] for field_spec in _optional_integer_fields(spec, values)}
        anchors = [record for record in grid if all(record.get(name) == value for name, value in lowest.items())]
    else:
        answer = answer_of or advisor.recommend
        seen: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
        for record in grid:
            seen.setdefault(tuple((item.code, item.kind) for item in answer(record).items), record)
        anchors = list(seen.values())
    number = len(grid)
    for field_spec in optional:
        bound = field_spec.at_most
        for value in values[field_spec.name]:
            for anchor in anchors:
                for bound_value in values.get(bound, [None]) if bound else [None]:
                    record = {**anchor, spec.identifier: f"boundary-{number}", field_spec.name: value}
                    if bound and bound_value is not None:
                        record[bound] = bound_value
                    if _valid(spec, record):
                        yield record
                        number += 1
    for name, lists in code_options(advisor, values).items():
        for codes in lists:
            for anchor in anchors:
                yield {**anchor, spec.identifier: f"boundary-{number}", name: codes}
                number += 1


def _optional_integer_fields(spec: RecordSpec, values: Mapping[str, list[int]]) -> list[FieldSpec]:
    return [
        field_spec
        for field_spec in spec.fields
        if field_spec.type == "integer" and not field_spec.required and field_spec.name in values
    ]


def _grid(spec: RecordSpec, values: Mapping[str, list[int]], skip: Iterable[str] = ()) -> Iterator[dict[str, Any]]:
    dimensions: list[tuple[str, list[Any]]] = []
    skipped = set(skip)
    for field_spec in spec.fields:
        if field_spec.name in skipped:
            continue
        if field_spec.type == "integer" and field_spec.name in values:
            dimensions.append((field_spec.name, values[field_spec.name]))
        elif field_spec.type == "boolean":
            dimensions.append((field_spec.name, [None, True]))
    identifier = spec.identifier
    number = 0
    for combination in itertools.product(*(choices for _, choices in dimensions)):
        record: dict[str, Any] = {identifier: f"boundary-{number}"}
        record.update(
            (name, value) for (name, _), value in zip(dimensions, combination, strict=True) if value is not None
        )
        if _valid(spec, record):
            yield record
            number += 1  # only valid records take a number, so the code records after the grid never repeat one


def _valid(spec: RecordSpec, record: Mapping[str, Any]) -> bool:
    for field_spec in spec.fields:
        bound = record.get(field_spec.at_most) if field_spec.at_most else None
        if isinstance(bound, int) and isinstance(record.get(field_spec.name), int) and record[field_spec.name] > bound:
            return False
    return True


# -- evaluation -----------------------------------------------------------------------------


def evaluate(advisor: Advisor, record: Mapping[str, Any]) -> Outcome:
    """Answer one record and read its violations and output model in the same session."""
    checked = advisor.read_record(dict(record))
    program = advisor.kb.program
    with advisor.kb.session(checked.facts) as session:
        answer = answers.assemble(
            session, advisor.answer_spec, advisor.kb.evidence, checked.identifier, advisor.identity
        )
        model: dict[str, tuple[Row, ...]] = {}
        for predicate, arity in sorted(program.outputs()):
            if (predicate, arity) in program.defined_predicates():
                rows = session.query(predicate, *([None] * arity))
            else:
                rows = []
            model[f"{predicate}/{arity}"] = tuple(sorted(rows, key=row_order))
    violations = tuple(str(row[0]) for row in model.get("violation/1", ()))
    return Outcome(dict(record), answer, violations, model)


def verify(advisor: Advisor, records: Iterable[Mapping[str, Any]], keep: bool = False) -> VerificationReport:
    """Evaluate every record; report those that break an integrity constraint (``keep`` keeps all outcomes)."""
    report = VerificationReport()
    for record in records:
        report.add(evaluate(advisor, record), keep)
    return report


def verify_boundaries(advisor: Advisor, level: Level = "default", keep: bool = False) -> VerificationReport:
    """:func:`verify` on :func:`boundary_records`, evaluating each record once."""
    answered: dict[str, Answer] = {}
    identifier = advisor.record_spec.identifier

    def answer_of(record: dict[str, Any]) -> Answer:
        known = answered.get(str(record[identifier]))
        return known if known is not None else advisor.recommend(record)

    report = VerificationReport()
    for record in boundary_records(advisor, level, answer_of):
        outcome = evaluate(advisor, record)
        answered[str(record[identifier])] = outcome.answer
        report.add(outcome, keep)
    return report


def describe(values: Mapping[str, Sequence[Value]]) -> str:
    """One line per numeric field: its boundary values."""
    return "\n".join(f"{name}: {', '.join(str(value) for value in choices)}" for name, choices in values.items())
