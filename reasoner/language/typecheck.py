"""The ``type`` check: the types every predicate argument can take, and arithmetic or ordering on numbers only.

The types (``number``, ``symbol``) of each argument are inferred by fixpoint over the
rules, from the ``.input`` declarations and the facts; a comparison ``<``, ``<=``, ``>``,
``>=`` or an arithmetic operand that can be a symbol is an error at its file:line:col,
and so is an ``.output`` declaration the rules can give a value of another type.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..errors import Problem, SourcePosition
from .binding import assigned_variable, plan_body
from .program import (
    ORDERING_OPERATORS,
    Arithmetic,
    Comparison,
    Constant,
    Expression,
    PredicateKey,
    Program,
    Rule,
    Variable,
    type_members,
)

TypeSet = frozenset[str]
NUMBER: TypeSet = frozenset({"number"})
SYMBOL: TypeSet = frozenset({"symbol"})


def _type_error(position: SourcePosition, message: str) -> Problem:
    return Problem(position, "type", message, "error")


def infer_types(program: Program) -> dict[tuple[PredicateKey, int], TypeSet]:
    """The possible value types of every predicate argument, by fixpoint over the rules."""
    types: dict[tuple[PredicateKey, int], TypeSet] = defaultdict(frozenset)
    for declaration in program.declarations:
        if declaration.kind == "input":
            for index, parameter in enumerate(declaration.parameters):
                types[(declaration.key, index)] = type_members(parameter.type)
    changed = True
    while changed:
        changed = False
        for rule in program.rules:
            variable_types = _variable_types(rule, types)
            for index, argument in enumerate(rule.head.arguments):
                if isinstance(argument, Constant):
                    found = _constant_type(argument)
                else:
                    found = variable_types.get(argument.name, frozenset())
                slot = (rule.head.key, index)
                if not found <= types[slot]:
                    types[slot] = types[slot] | found
                    changed = True
    return dict(types)


def _constant_type(constant: Constant) -> TypeSet:
    return NUMBER if isinstance(constant.value, int) else SYMBOL


def _variable_types(rule: Rule, types: dict[tuple[PredicateKey, int], TypeSet]) -> dict[str, TypeSet]:
    result: dict[str, TypeSet] = {}
    for atom in rule.positive_atoms():
        for index, argument in enumerate(atom.arguments):
            if isinstance(argument, Variable) and not argument.is_anonymous:
                slot_types = types.get((atom.key, index), frozenset())
                previous = result.get(argument.name)
                result[argument.name] = slot_types if previous is None else previous & slot_types
    bound = set(result)
    for literal in plan_body(rule.body).order:
        if isinstance(literal, Comparison):
            target = assigned_variable(literal, bound)
            if target is not None:
                other = literal.right if target is literal.left else literal.left
                result[target.name] = _expression_type(other, result)
                bound.add(target.name)
    return result


def _expression_type(expression: Expression, variable_types: dict[str, TypeSet]) -> TypeSet:
    if isinstance(expression, Arithmetic):
        return NUMBER
    if isinstance(expression, Constant):
        return _constant_type(expression)
    return variable_types.get(expression.name, frozenset())


def check_types(program: Program) -> Iterator[Problem]:
    types = infer_types(program)
    for rule in program.rules:
        yield from type_problems(rule, types)
    for key, declaration in program.outputs().items():
        for index, parameter in enumerate(declaration.parameters):
            inferred = types.get((key, index), frozenset())
            if not inferred <= type_members(parameter.type):
                yield _type_error(
                    declaration.position,
                    f"{parameter.name} of {declaration.predicate} is declared {parameter.type} but the rules can "
                    f"give it a {' or '.join(sorted(inferred - type_members(parameter.type)))}",
                )


def type_problems(rule: Rule, types: dict[tuple[PredicateKey, int], TypeSet]) -> Iterator[Problem]:
    """The type errors of one rule (or of a query written as a rule), given the inferred ``types``."""
    variable_types = _variable_types(rule, types)
    for literal in rule.body:
        if not isinstance(literal, Comparison):
            continue
        numeric_operands: list[Expression] = []
        if literal.operator in ORDERING_OPERATORS:
            numeric_operands += [literal.left, literal.right]
        numeric_operands += [
            operand for side in (literal.left, literal.right) for operand in _arithmetic_operands(side)
        ]
        for operand in numeric_operands:
            problem = _numeric_problem(operand, variable_types, literal)
            if problem is not None:
                yield problem


def _arithmetic_operands(expression: Expression) -> list[Expression]:
    if isinstance(expression, Arithmetic):
        operands: list[Expression] = []
        for side in (expression.left, expression.right):
            operands += _arithmetic_operands(side) if isinstance(side, Arithmetic) else [side]
        return operands
    return []


def _numeric_problem(operand: Expression, variable_types: dict[str, TypeSet], literal: Comparison) -> Problem | None:
    if isinstance(operand, Arithmetic):
        return None
    if isinstance(operand, Constant):
        if isinstance(operand.value, str):
            return _type_error(
                operand.position,
                f"{operand} is a symbol; `{literal}` needs numbers there (< <= > >= and + - * work on integers)",
            )
        return None
    found = variable_types.get(operand.name, frozenset())
    if "symbol" in found:
        return _type_error(
            operand.position,
            f"{operand.name} can hold a symbol; `{literal}` needs numbers there (< <= > >= and + - * work on integers)",
        )
    return None
