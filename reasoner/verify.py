"""Check a knowledge base's integrity constraints over many records, examples and generated ones.

The generated cohort is built from the record description and the program alone, with
no knowledge of the domain: every integer field takes its limits and the values next to
each integer constant of the program (thresholds such as ``Days < 28`` or a fact such as
``limit(21)``), one field at a time against a few anchor values of the others; every
code of every code list is added on its own, with each value of its attributes; every
boolean is set. Those are the places where a rule's outcome changes, so a violated
invariant shows up there first.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from typing import Any

from reasoner.program import Arithmetic, Comparison, Constant, Expression, Program
from reasoner.records import FieldSpec, RecordSpec


def program_integers(program: Program) -> set[int]:
    """Every integer constant of the program's comparisons and facts."""
    found: set[int] = set()

    def visit(expression: Expression) -> None:
        if isinstance(expression, Constant) and isinstance(expression.value, int):
            found.add(expression.value)
        elif isinstance(expression, Arithmetic):
            visit(expression.left)
            visit(expression.right)

    for rule in program.rules:
        for argument in rule.head.arguments:
            visit(argument)
        for literal in rule.body:
            if isinstance(literal, Comparison):
                visit(literal.left)
                visit(literal.right)
    return found


def boundary_values(minimum: int | None, maximum: int | None, constants: set[int]) -> list[int]:
    """The limits and each constant with its neighbours, within the limits, in order."""
    low = 0 if minimum is None else minimum
    high = low + 1000 if maximum is None else maximum
    values = {low, high}
    for constant in constants:
        values.update(value for value in (constant - 1, constant, constant + 1) if low <= value <= high)
    return sorted(values)


def _anchors(values: list[int]) -> list[int]:
    return sorted({values[0], values[len(values) // 2], values[-1]})


def boundary_cohort(spec: RecordSpec, program: Program) -> Iterator[dict[str, Any]]:
    """Valid generated records at the program's boundaries.

    >>> from pathlib import Path
    >>> from reasoner.api import load_advisor
    >>> advisor = load_advisor(Path(__file__).resolve().parent.parent / "kb")
    >>> records = list(boundary_cohort(advisor.record_spec, advisor.kb.program))
    >>> len(records) > 100, records[0]["id"]
    (True, 'boundary-1')
    """
    constants = program_integers(program)
    integers = [field for field in spec.fields if field.type == "integer"]
    values = {field.name: boundary_values(field.minimum, field.maximum, constants) for field in integers}
    counter = 0

    def record(fields: dict[str, Any]) -> dict[str, Any]:
        nonlocal counter
        counter += 1
        return {spec.identifier: f"boundary-{counter}", **fields}

    anchor_rows = [dict(zip(values, row, strict=True)) for row in product(*(_anchors(values[name]) for name in values))]
    for field in integers:
        others = [name for name in values if name != field.name]
        other_rows = [
            dict(zip(others, row, strict=True)) for row in product(*(_anchors(values[name]) for name in others))
        ]
        for value in values[field.name]:
            for row in other_rows:
                if _within_limits(spec, {**row, field.name: value}):
                    yield record({**row, field.name: value})
    bases = [row for row in anchor_rows if _within_limits(spec, row)]
    bases = bases[:: max(1, len(bases) // 3)][:3] or [{}]
    for number, base in enumerate(bases):
        for field in spec.fields:
            if field.type == "boolean":
                yield record({**base, field.name: True})
            elif field.type == "codes":
                for item in _code_items(field, constants if number == 0 else set()):
                    yield record({**base, field.name: [item]})


def _within_limits(spec: RecordSpec, fields: dict[str, Any]) -> bool:
    """False when a field is larger than the field it may not exceed (``at_most``)."""
    for field in spec.fields:
        if field.at_most is not None and field.name in fields and field.at_most in fields:
            if fields[field.name] > fields[field.at_most]:
                return False
    return True


def _code_items(field: FieldSpec, constants: set[int]) -> Iterator[Any]:
    for code in field.codes:
        required = [attribute for attribute in field.attributes if code in attribute.required_for]
        if not required:
            yield code
        for attribute in field.attributes:
            if attribute.type == "integer":
                for value in boundary_values(attribute.minimum, attribute.maximum, constants):
                    yield {"code": code, attribute.name: value}
            else:
                for name in attribute.codes:
                    yield {"code": code, attribute.name: name}
