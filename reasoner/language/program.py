"""The parsed program as plain typed objects.

Everything after parsing (validation, compilation, explanation, rendering) works on
these values, never on strings or parse trees. Positions travel with every object so a
later error can point at the source; they take no part in equality, so two programs
with the same clauses compare equal wherever they were written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

from ..errors import UNKNOWN_POSITION, SourcePosition

Value = int | str
"""A constant: an integer or a symbol. Bare and quoted symbols are the same value."""

ARITHMETIC_OPERATORS = ("+", "-", "*")
COMPARISON_OPERATORS = ("<", "<=", ">", ">=", "=", "!=")
ORDERING_OPERATORS = ("<", "<=", ">", ">=")
ANONYMOUS = "_"


@dataclass(frozen=True)
class Variable:
    """A variable term, ``X``; ``_`` is the anonymous one, distinct at each use."""

    name: str
    position: SourcePosition = field(default=UNKNOWN_POSITION, compare=False, repr=False)

    @property
    def is_anonymous(self) -> bool:
        return self.name == ANONYMOUS

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Constant:
    """A constant term: an integer or a symbol."""

    value: Value
    position: SourcePosition = field(default=UNKNOWN_POSITION, compare=False, repr=False)

    def __str__(self) -> str:
        return format_value(self.value)


Term = Variable | Constant


@dataclass(frozen=True)
class Arithmetic:
    """An integer expression ``left operator right`` inside a comparison."""

    left: Expression
    operator: str
    right: Expression
    position: SourcePosition = field(default=UNKNOWN_POSITION, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{_operand(self.left)} {self.operator} {_operand(self.right, right=True)}"


Expression = Variable | Constant | Arithmetic


@dataclass(frozen=True)
class Atom:
    """``predicate(arguments)``: a rule's head, a body literal, a fact or a query."""

    predicate: str
    arguments: tuple[Term, ...] = ()
    position: SourcePosition = field(default=UNKNOWN_POSITION, compare=False, repr=False)

    @property
    def arity(self) -> int:
        return len(self.arguments)

    @property
    def key(self) -> PredicateKey:
        return (self.predicate, self.arity)

    def __str__(self) -> str:
        if not self.arguments:
            return self.predicate
        return f"{self.predicate}({', '.join(str(argument) for argument in self.arguments)})"


@dataclass(frozen=True)
class Negation:
    """``not atom`` in a body: holds when no row of the atom follows (stratified)."""

    atom: Atom
    position: SourcePosition = field(default=UNKNOWN_POSITION, compare=False, repr=False)

    def __str__(self) -> str:
        return f"not {self.atom}"


@dataclass(frozen=True)
class Comparison:
    """``left operator right`` in a body, over integers and symbols."""

    left: Expression
    operator: str
    right: Expression
    position: SourcePosition = field(default=UNKNOWN_POSITION, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.left} {self.operator} {self.right}"


BodyLiteral = Atom | Negation | Comparison
PredicateKey = tuple[str, int]


@dataclass(frozen=True)
class RuleMetadata:
    """What a rule's annotations say: its stable id, the evidence it rests on, its meaning."""

    rule_id: str | None = None
    evidence: tuple[str, ...] = ()
    statement: str | None = None
    position: SourcePosition = field(default=UNKNOWN_POSITION, compare=False, repr=False)


@dataclass(frozen=True)
class Rule:
    """A clause: a fact when the body is empty, a rule otherwise."""

    head: Atom
    body: tuple[BodyLiteral, ...] = ()
    metadata: RuleMetadata = field(default_factory=RuleMetadata)
    position: SourcePosition = field(default=UNKNOWN_POSITION, compare=False, repr=False)

    @property
    def is_fact(self) -> bool:
        return not self.body

    @property
    def rule_id(self) -> str | None:
        return self.metadata.rule_id

    def positive_atoms(self) -> Iterator[Atom]:
        return (literal for literal in self.body if isinstance(literal, Atom))

    def __str__(self) -> str:
        if self.is_fact:
            return f"{self.head}."
        return f"{self.head} :- {', '.join(str(literal) for literal in self.body)}."


ParameterType = TypingLiteral["number", "symbol", "any"]
PARAMETER_TYPES: tuple[ParameterType, ...] = ("number", "symbol", "any")
"""``any`` holds numbers or symbols (a parameter value); it cannot be ordered or added."""


def type_members(parameter_type: str) -> frozenset[str]:
    """The value types a declared parameter type admits."""
    return frozenset({"number", "symbol"}) if parameter_type == "any" else frozenset({parameter_type})


@dataclass(frozen=True)
class Parameter:
    """One argument of a declaration: its name and the type of value it takes."""

    name: str
    type: ParameterType


@dataclass(frozen=True)
class Declaration:
    """``.input p(name: type, …).`` or ``.output p(…).``: the program's interface."""

    kind: TypingLiteral["input", "output"]
    predicate: str
    parameters: tuple[Parameter, ...]
    position: SourcePosition = field(default=UNKNOWN_POSITION, compare=False, repr=False)

    @property
    def key(self) -> PredicateKey:
        return (self.predicate, len(self.parameters))

    def __str__(self) -> str:
        parameters = ", ".join(f"{parameter.name}: {parameter.type}" for parameter in self.parameters)
        return f".{self.kind} {self.predicate}({parameters})."


@dataclass(frozen=True)
class Program:
    """A whole program: its clauses in source order and its declarations."""

    rules: tuple[Rule, ...] = ()
    declarations: tuple[Declaration, ...] = ()

    def __add__(self, other: Program) -> Program:
        return Program(self.rules + other.rules, self.declarations + other.declarations)

    def inputs(self) -> dict[PredicateKey, Declaration]:
        return {d.key: d for d in self.declarations if d.kind == "input"}

    def outputs(self) -> dict[PredicateKey, Declaration]:
        return {d.key: d for d in self.declarations if d.kind == "output"}

    def rules_for(self, key: PredicateKey) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.head.key == key)

    def rule_by_id(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.rule_id == rule_id), None)

    def defined_predicates(self) -> set[PredicateKey]:
        return {rule.head.key for rule in self.rules}


def variables_of(expression: Expression | Atom | BodyLiteral) -> list[Variable]:
    """The variables of a term, expression or literal, in order of appearance."""
    if isinstance(expression, Variable):
        return [expression]
    if isinstance(expression, Constant):
        return []
    if isinstance(expression, Atom):
        return [argument for argument in expression.arguments if isinstance(argument, Variable)]
    if isinstance(expression, Negation):
        return variables_of(expression.atom)
    return variables_of(expression.left) + variables_of(expression.right)


def symbols_of(expression: Expression | Atom | BodyLiteral) -> set[str]:
    """The symbols a term, expression or literal names (its constants that are not numbers)."""
    if isinstance(expression, Constant):
        return {expression.value} if isinstance(expression.value, str) else set()
    if isinstance(expression, Variable):
        return set()
    if isinstance(expression, Atom):
        return set().union(*(symbols_of(argument) for argument in expression.arguments))
    if isinstance(expression, Negation):
        return symbols_of(expression.atom)
    return symbols_of(expression.left) | symbols_of(expression.right)


def format_value(value: Value) -> str:
    """Datalog spelling of a value: bare when it is a plain lower-case name, else quoted."""
    if isinstance(value, int):
        return str(value)
    if _is_bare_symbol(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _is_bare_symbol(text: str) -> bool:
    return bool(text) and text[0].islower() and text.isascii() and text.replace("_", "a").isalnum() and text != "not"


def _operand(expression: Expression, right: bool = False) -> str:
    if isinstance(expression, Arithmetic):
        needs_parentheses = right or expression.operator in "+-"
        return f"({expression})" if needs_parentheses else str(expression)
    return str(expression)
