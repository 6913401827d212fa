"""One rule as one SQL ``SELECT``: its sources, join conditions, tests and projection.

Positive atoms are joined on their shared variables and the subject, ``not`` is a
``NOT EXISTS`` (an anti-join), comparisons and ``+ - *`` are SQL expressions, and an
equality that binds a variable (``binding.plan_body`` says which) becomes a computed
column. The row carries the rule's index, the provenance an answer cites.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlglot.expressions as exp

from .binding import plan_body
from .program import Arithmetic, Atom, Comparison, Constant, Expression, Negation, Variable
from .sql_values import (
    RULE,
    SUBJECT,
    SlotType,
    SqlTranslationError,
    as_number,
    convert,
    sql_equal,
    sql_literal,
    table_named,
    value_type,
)

if TYPE_CHECKING:
    from .to_sql import CompiledProgram

SUBJECTS_TABLE = "_subjects"
"""Every subject of the cohort, one row each: rules whose body reads no per-subject atom
but whose head is per-subject (a negated input, a KB fact of a per-subject predicate)
start from it. Leading underscore: no program predicate can be spelled so."""


def delta_table(table: str) -> str:
    """The rows a recursive round added to ``table``, read by the next round."""
    return f"{table}__delta"


@dataclass
class _Bound:
    sql: exp.Expr
    type: SlotType


class RuleCompiler:
    """Builds one rule's ``SELECT``: sources, join conditions, tests, projection."""

    def __init__(self, compiled: CompiledProgram, index: int, delta_at: int | None) -> None:
        self.compiled = compiled
        self.index = index
        self.rule = compiled.program.rules[index]
        self.delta_at = delta_at
        self.head = compiled.relations[self.rule.head.key]
        self.variables: dict[str, _Bound] = {}
        self.conditions: list[exp.Expr] = []
        self.subject: exp.Expr | None = None
        self.query: exp.Select | None = None
        self.aliases = 0

    def select(self) -> exp.Select:
        plan = plan_body(self.rule.body)
        if plan.unplaceable:
            raise SqlTranslationError(f"rule {self.rule} at {self.rule.position} leaves a variable unbound")
        positions = {id(literal): position for position, literal in enumerate(self.rule.body)}
        if self.head.per_subject and not any(
            isinstance(literal, Atom) and self.compiled.relations[literal.key].per_subject for literal in self.rule.body
        ):
            self._add_source(table_named(SUBJECTS_TABLE).as_(self._alias()), [])
            self.subject = exp.column(SUBJECT, f"t{self.aliases - 1}")
        tests: list[Negation | Comparison] = []
        for order, literal in enumerate(plan.order):
            if isinstance(literal, Atom):
                self._atom(literal, positions.get(id(literal)))
            elif isinstance(literal, Comparison) and order in plan.assignments:
                self._assign(literal)
            else:
                tests.append(literal)
        # Tests only filter: they go last, once every source (and the subject) is known.
        for test in tests:
            if isinstance(test, Negation):
                self.conditions.append(exp.not_(exp.Exists(this=self._negated(test.atom))))
            else:
                self.conditions.append(self._comparison(test))
        projection: list[exp.Expr] = []
        if self.head.per_subject:
            assert self.subject is not None
            projection.append(exp.alias_(self.subject, SUBJECT))
        for argument, slot, column in zip(
            self.rule.head.arguments, self.head.types, self.head.argument_columns, strict=True
        ):
            value, kind = self._term(argument)
            projection.append(exp.alias_(convert(value, kind, slot), column))
        projection.append(exp.alias_(exp.Literal.number(self.index), RULE))
        query = self.query if self.query is not None else exp.Select()
        query = query.select(*projection, copy=False).distinct(copy=False)
        if self.conditions:
            query = query.where(exp.and_(*self.conditions), copy=False)
        return query

    def _alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases - 1}"

    def _add_source(self, table: exp.Expr, on: list[exp.Expr]) -> None:
        if self.query is None:
            self.query = exp.select().from_(table, copy=False)
            self.conditions.extend(on)
        elif on:
            self.query = self.query.join(table, on=exp.and_(*on), copy=False)
        else:
            self.query = self.query.join(table, join_type="cross", copy=False)

    def _atom(self, atom: Atom, position: int | None) -> None:
        relation = self.compiled.relations[atom.key]
        alias = self._alias()
        name = delta_table(relation.table) if position is not None and position == self.delta_at else relation.table
        on: list[exp.Expr] = []
        if relation.per_subject:
            column = exp.column(SUBJECT, alias)
            if self.subject is None:
                self.subject = column
            else:
                on.append(exp.EQ(this=column, expression=self.subject))
        for argument, slot, column_name in zip(atom.arguments, relation.types, relation.argument_columns, strict=True):
            column = exp.column(column_name, alias)
            if isinstance(argument, Variable):
                if argument.is_anonymous:
                    continue
                bound = self.variables.get(argument.name)
                if bound is None:
                    self.variables[argument.name] = _Bound(column, slot)
                    continue
                on.append(sql_equal(bound.sql, bound.type, column, slot))
                if bound.type == "any" and slot != "any":
                    self.variables[argument.name] = _Bound(column, slot)
            else:
                on.append(sql_equal(sql_literal(argument.value), value_type(argument.value), column, slot))
        self._add_source(table_named(name).as_(alias), on)

    def _negated(self, atom: Atom) -> exp.Select:
        relation = self.compiled.relations[atom.key]
        alias = f"n{self.aliases}"
        self.aliases += 1
        conditions: list[exp.Expr] = []
        if relation.per_subject:
            assert self.subject is not None
            conditions.append(exp.EQ(this=exp.column(SUBJECT, alias), expression=self.subject))
        for argument, slot, column_name in zip(atom.arguments, relation.types, relation.argument_columns, strict=True):
            if isinstance(argument, Variable) and argument.is_anonymous:
                continue
            value, kind = self._term(argument)
            conditions.append(sql_equal(value, kind, exp.column(column_name, alias), slot))
        query = exp.select(exp.Literal.number(1)).from_(table_named(relation.table).as_(alias), copy=False)
        return query.where(exp.and_(*conditions), copy=False) if conditions else query

    def _assign(self, comparison: Comparison) -> None:
        for target, other in ((comparison.left, comparison.right), (comparison.right, comparison.left)):
            if isinstance(target, Variable) and not target.is_anonymous and target.name not in self.variables:
                value, kind = self._expression(other)
                self.variables[target.name] = _Bound(value, kind)
                return
        raise SqlTranslationError(f"{comparison} at {comparison.position} binds no variable")

    def _comparison(self, comparison: Comparison) -> exp.Expr:
        left, left_type = self._expression(comparison.left)
        right, right_type = self._expression(comparison.right)
        operator = comparison.operator
        if operator in ("=", "!="):
            equal = sql_equal(left, left_type, right, right_type)
            return equal if operator == "=" else exp.not_(equal)
        left, right = as_number(left, left_type), as_number(right, right_type)
        kinds: dict[str, type[exp.Binary]] = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
        return kinds[operator](this=left, expression=right)

    def _term(self, term: Variable | Constant) -> tuple[exp.Expr, SlotType]:
        if isinstance(term, Constant):
            return sql_literal(term.value), value_type(term.value)
        bound = self.variables.get(term.name)
        if bound is None:
            raise SqlTranslationError(f"variable {term.name} of rule at {self.rule.position} is not bound")
        return bound.sql, bound.type

    def _expression(self, expression: Expression) -> tuple[exp.Expr, SlotType]:
        if isinstance(expression, Arithmetic):
            left, left_type = self._expression(expression.left)
            right, right_type = self._expression(expression.right)
            kinds: dict[str, type[exp.Binary]] = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}
            operation = kinds[expression.operator](
                this=as_number(left, left_type), expression=as_number(right, right_type)
            )
            return exp.paren(operation), "number"
        return self._term(expression)


__all__ = ["SUBJECTS_TABLE", "RuleCompiler", "delta_table"]
