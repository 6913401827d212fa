"""Compile a validated program into SQL, for set-at-a-time evaluation of a whole cohort.

pyDatalog answers one subject at a time; a SQL engine answers every subject of a cohort
in one pass. The translation keeps the program's meaning exactly, so the differential
tests can hold the SQL engine to the same answers as pyDatalog and clingo:

- **Tables.** Every predicate is one table. A predicate that depends on a subject's
  input (directly, or through any body atom, positive or negated) has a ``subject``
  column first; the others (the KB's facts and what follows from them alone) are
  subject-independent tables read by every subject. Every derived table ends with a
  ``rule`` column: the index of the rule in ``program.rules`` that gave the row, the
  same provenance ``Session.derivations`` reports.
- **Values.** A slot inferred to hold numbers is ``BIGINT``, one holding symbols
  ``VARCHAR``; a slot that may hold both is ``VARCHAR`` with the value tagged (``n12``,
  ``sacute``), so ``12`` and ``"12"`` stay different values, as in Datalog.
- **Rules.** Each rule is one ``SELECT DISTINCT``: positive atoms are joined on their
  shared variables and the subject, ``not`` is a ``NOT EXISTS`` (an anti-join),
  comparisons and ``+ - *`` are SQL expressions, and an equality that binds a variable
  (``binding.plan_body`` says which) becomes a computed column.
- **Order.** Work is ordered by rules, not predicates: a body atom depends only on the
  rules whose head can match it (same predicate, no two different constants in one
  place). A predicate-level cycle that is acyclic at that level is evaluated rule by
  rule; a truly recursive group of rules is evaluated semi-naively, each round joining
  one recursive atom against the previous round's new rows (:class:`RecursiveStep`).

Everything is built as sqlglot expression trees and written out per dialect, never by
pasting strings, so quoting cannot go wrong and one program prints for DuckDB, Spark,
Postgres, BigQuery or Trino.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Literal as TypingLiteral

import sqlglot.expressions as exp

from ..errors import ReasonerError
from .binding import plan_body
from .program import (
    Arithmetic,
    Atom,
    Comparison,
    Constant,
    Expression,
    Negation,
    PredicateKey,
    Program,
    Value,
    Variable,
)
from .validate import infer_types

SlotType = TypingLiteral["number", "symbol", "any"]
SUBJECT = "subject"
RULE = "rule"
SUBJECTS_TABLE = "_subjects"
"""Every subject of the cohort, one row each: rules whose body reads no per-subject atom
but whose head is per-subject (a negated input, a KB fact of a per-subject predicate)
start from it. Leading underscore: no program predicate can be spelled so."""
DIALECTS = ("duckdb", "spark", "postgres", "bigquery", "trino")
NUMBER_TAG = "n"
SYMBOL_TAG = "s"


class SqlTranslationError(ReasonerError):
    """A clause has no faithful SQL spelling."""


@dataclass(frozen=True)
class Relation:
    """The table that holds one predicate."""

    key: PredicateKey
    table: str
    types: tuple[SlotType, ...]
    per_subject: bool
    derived: bool
    """Input tables hold a subject's facts and have no ``rule`` column."""

    @property
    def argument_columns(self) -> tuple[str, ...]:
        return tuple(f"a{index}" for index in range(len(self.types)))

    @property
    def columns(self) -> tuple[str, ...]:
        head = (SUBJECT,) if self.per_subject else ()
        tail = (RULE,) if self.derived else ()
        return head + self.argument_columns + tail


@dataclass(frozen=True)
class FactStep:
    """The KB's facts of one predicate, inserted in one statement."""

    key: PredicateKey
    rules: tuple[int, ...]


@dataclass(frozen=True)
class RuleStep:
    """One non-recursive rule: one ``INSERT … SELECT``."""

    rule: int


@dataclass(frozen=True)
class RecursiveStep:
    """Rules that depend on each other: evaluated semi-naively to a fixpoint."""

    rules: tuple[int, ...]
    recursive_atoms: dict[int, tuple[int, ...]] = field(compare=False)
    """For each rule, the body positions of the positive atoms that read the group's own rules."""


Step = FactStep | RuleStep | RecursiveStep


def delta_table(relation: Relation) -> str:
    """The rows a recursive round added to ``relation``, read by the next round."""
    return f"{relation.table}__delta"


@dataclass(frozen=True)
class CompiledProgram:
    """A program as tables and the ordered steps that fill them."""

    program: Program
    relations: dict[PredicateKey, Relation]
    steps: tuple[Step, ...]

    # -- schema -----------------------------------------------------------------------

    def create_tables(self, temporary: bool = False) -> list[exp.Expr]:
        """``CREATE TABLE`` for the subjects, every input and every derived predicate."""
        statements = [_create(SUBJECTS_TABLE, ((SUBJECT, "BIGINT"),), temporary)]
        for relation in self.relations.values():
            statements.append(_create(relation.table, column_types(relation), temporary))
        return statements

    def create_delta_tables(self, step: RecursiveStep, temporary: bool = False) -> list[exp.Expr]:
        return [
            _create(delta_table(relation), column_types(relation), temporary) for relation in self.step_relations(step)
        ]

    def step_relations(self, step: RecursiveStep) -> list[Relation]:
        keys = sorted({self.program.rules[index].head.key for index in step.rules})
        return [self.relations[key] for key in keys]

    # -- statements -------------------------------------------------------------------

    def insert_facts(self, step: FactStep) -> exp.Expr:
        relation = self.relations[step.key]
        rows = []
        for index in step.rules:
            rule = self.program.rules[index]
            values: list[exp.Expr] = []
            for argument, slot in zip(rule.head.arguments, relation.types, strict=True):
                if not isinstance(argument, Constant):
                    raise SqlTranslationError(f"fact {rule} at {rule.position} has a variable")
                values.append(_convert(_literal(argument.value), _value_type(argument.value), slot))
            values.append(exp.Literal.number(index))
            rows.append(exp.Tuple(expressions=values))
        source: exp.Expr = exp.values(rows, alias="f", columns=[*relation.argument_columns, RULE])
        query = exp.select(*_facts_projection(relation)).from_(source)
        if relation.per_subject:
            query = query.join(exp.to_table(SUBJECTS_TABLE).as_("s"), join_type="cross")
        return exp.insert(query, exp.to_table(relation.table), columns=list(relation.columns))

    def rule_select(self, index: int, delta_at: int | None = None) -> exp.Select:
        """The ``SELECT`` of rule ``index``; ``delta_at`` reads that body atom's delta table."""
        return _RuleCompiler(self, index, delta_at).select()

    def insert_rule(self, index: int) -> exp.Expr:
        relation = self.relations[self.program.rules[index].head.key]
        return exp.insert(self.rule_select(index), exp.to_table(relation.table), columns=list(relation.columns))

    def round_select(self, step: RecursiveStep, key: PredicateKey, first: bool) -> exp.Expr | None:
        """New rows of ``key`` in one semi-naive round, less those already in its table.

        The first round evaluates each rule in full; later rounds join one recursive atom
        at a time against the previous round's delta, the others against the full tables.
        """
        relation = self.relations[key]
        branches: list[exp.Select] = []
        for index in step.rules:
            if self.program.rules[index].head.key != key:
                continue
            if first:
                branches.append(self.rule_select(index))
            else:
                branches.extend(self.rule_select(index, position) for position in step.recursive_atoms[index])
        if not branches:
            return None
        union: exp.Query = branches[0]
        for branch in branches[1:]:
            union = exp.union(union, branch, distinct=True)
        existing = exp.select(*relation.columns).from_(relation.table)
        return exp.except_(exp.select(*relation.columns).from_(union.subquery("candidate")), existing)

    def script(self, dialect: str = "duckdb") -> str:
        """The whole program as SQL a user can read and run in a warehouse.

        Input tables are created empty; a recursive group is printed as the statements of
        one round, to repeat while any delta table gains rows.
        """
        if dialect not in DIALECTS:
            raise SqlTranslationError(f"unknown dialect {dialect!r}; allowed: {', '.join(DIALECTS)}")
        lines: list[str] = []
        for statement in self.create_tables():
            lines.append(statement.sql(dialect=dialect) + ";")
        for step in self.steps:
            lines.extend(self._step_script(step, dialect))
        return "\n".join(lines) + "\n"

    def _step_script(self, step: Step, dialect: str) -> Iterator[str]:
        if isinstance(step, FactStep):
            yield f"-- facts of {step.key[0]}/{step.key[1]}"
            yield self.insert_facts(step).sql(dialect=dialect, pretty=True) + ";"
        elif isinstance(step, RuleStep):
            rule = self.program.rules[step.rule]
            yield f"-- rule {step.rule}{f' ({rule.rule_id})' if rule.rule_id else ''}"
            yield self.insert_rule(step.rule).sql(dialect=dialect, pretty=True) + ";"
        else:
            yield f"-- recursive rules {', '.join(str(index) for index in step.rules)}: semi-naive evaluation."
            yield "-- Round 1 inserts each SELECT below into its table and its delta table; every later"
            yield "-- round empties the delta tables, runs the delta SELECTs, and stops when none adds a row."
            for statement in self.create_delta_tables(step):
                yield statement.sql(dialect=dialect) + ";"
            for first in (True, False):
                for relation in self.step_relations(step):
                    query = self.round_select(step, relation.key, first)
                    if query is not None:
                        yield f"-- {'first' if first else 'later'} rounds: new rows of {relation.table}"
                        yield query.sql(dialect=dialect, pretty=True) + ";"


# -- compilation ------------------------------------------------------------------------


def compile_program(program: Program) -> CompiledProgram:
    """Tables and ordered steps for a validated, stratified program."""
    slot_types = infer_types(program)
    inputs = program.inputs()
    keys: set[PredicateKey] = set(inputs) | {rule.head.key for rule in program.rules}
    for rule in program.rules:
        for literal in rule.body:
            if isinstance(literal, Atom):
                keys.add(literal.key)
            elif isinstance(literal, Negation):
                keys.add(literal.atom.key)
    for key in inputs:
        if program.rules_for(key):
            raise SqlTranslationError(
                f"input predicate {key[0]}/{key[1]} also has rules; inputs come from records only"
            )
    per_subject = _per_subject(program, set(inputs))
    relations = {
        key: Relation(
            key=key,
            table=f"{key[0]}_{key[1]}",
            types=tuple(_slot_type(slot_types.get((key, position), frozenset())) for position in range(key[1])),
            per_subject=key in per_subject,
            derived=key not in inputs,
        )
        for key in sorted(keys)
    }
    return CompiledProgram(program, relations, tuple(_steps(program)))


def _per_subject(program: Program, inputs: set[PredicateKey]) -> set[PredicateKey]:
    """Predicates whose rows can differ between subjects: inputs and all that read them."""
    found = set(inputs)
    changed = True
    while changed:
        changed = False
        for rule in program.rules:
            if rule.head.key in found:
                continue
            read = {
                lit.key if isinstance(lit, Atom) else lit.atom.key
                for lit in rule.body
                if not isinstance(lit, Comparison)
            }
            if read & found:
                found.add(rule.head.key)
                changed = True
    return found


def can_match(head: Atom, atom: Atom) -> bool:
    """Whether a rule with ``head`` can give a row that ``atom`` reads."""
    if head.key != atom.key:
        return False
    return not any(
        isinstance(h, Constant) and isinstance(a, Constant) and h.value != a.value
        for h, a in zip(head.arguments, atom.arguments, strict=True)
    )


def rule_dependencies(program: Program) -> dict[int, set[int]]:
    """For each rule with a body, the rules whose rows its body literals can read."""
    by_key: dict[PredicateKey, list[int]] = defaultdict(list)
    for index, rule in enumerate(program.rules):
        by_key[rule.head.key].append(index)
    result: dict[int, set[int]] = {}
    for index, rule in enumerate(program.rules):
        needs: set[int] = set()
        for literal in rule.body:
            atom = literal if isinstance(literal, Atom) else literal.atom if isinstance(literal, Negation) else None
            if atom is not None:
                needs.update(other for other in by_key[atom.key] if can_match(program.rules[other].head, atom))
        result[index] = needs
    return result


def _steps(program: Program) -> Iterator[Step]:
    facts: dict[PredicateKey, list[int]] = defaultdict(list)
    for index, rule in enumerate(program.rules):
        if rule.is_fact:
            facts[rule.head.key].append(index)
    for key in sorted(facts):
        yield FactStep(key, tuple(facts[key]))
    needs = rule_dependencies(program)
    rules = [index for index, rule in enumerate(program.rules) if not rule.is_fact]
    component = _components(rules, needs)
    members: dict[int, list[int]] = defaultdict(list)
    for index in rules:
        members[component[index]].append(index)
    order = TopologicalSorter(
        {c: {component[n] for i in group for n in needs[i] if n in component} - {c} for c, group in members.items()}
    )
    for c in order.static_order():
        group = members[c]
        recursive = len(group) > 1 or group[0] in needs[group[0]]
        if not recursive:
            yield RuleStep(group[0])
            continue
        inside = set(group)
        recursive_atoms = {
            index: tuple(
                position
                for position, literal in enumerate(program.rules[index].body)
                if isinstance(literal, Atom) and any(can_match(program.rules[other].head, literal) for other in inside)
            )
            for index in group
        }
        yield RecursiveStep(tuple(sorted(group)), recursive_atoms)


def _components(nodes: list[int], needs: dict[int, set[int]]) -> dict[int, int]:
    """Strongly connected components (mutual reachability) of the rule graph."""
    reach: dict[int, set[int]] = {}
    for node in nodes:
        seen: set[int] = set()
        frontier = [node]
        while frontier:
            for child in needs.get(frontier.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    frontier.append(child)
        reach[node] = seen
    component: dict[int, int] = {}
    for node in nodes:
        if node in component:
            continue
        component[node] = node
        for other in reach[node]:
            if other in component or other not in reach:
                continue
            if node in reach[other]:
                component[other] = node
    return component


# -- one rule ---------------------------------------------------------------------------


@dataclass
class _Bound:
    sql: exp.Expr
    type: SlotType


class _RuleCompiler:
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
            self._add_source(exp.to_table(SUBJECTS_TABLE).as_(self._alias()), [])
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
            projection.append(exp.alias_(_convert(value, kind, slot), column))
        projection.append(exp.alias_(exp.Literal.number(self.index), RULE))
        query = self.query if self.query is not None else exp.Select()
        query = query.select(*projection).distinct()
        if self.conditions:
            query = query.where(exp.and_(*self.conditions))
        return query

    def _alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases - 1}"

    def _add_source(self, table: exp.Expr, on: list[exp.Expr]) -> None:
        if self.query is None:
            self.query = exp.select().from_(table)
            self.conditions.extend(on)
        elif on:
            self.query = self.query.join(table, on=exp.and_(*on))
        else:
            self.query = self.query.join(table, join_type="cross")

    def _atom(self, atom: Atom, position: int | None) -> None:
        relation = self.compiled.relations[atom.key]
        alias = self._alias()
        name = delta_table(relation) if position is not None and position == self.delta_at else relation.table
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
                on.append(_equal(bound.sql, bound.type, column, slot))
                if bound.type == "any" and slot != "any":
                    self.variables[argument.name] = _Bound(column, slot)
            else:
                on.append(_equal(_literal(argument.value), _value_type(argument.value), column, slot))
        self._add_source(exp.to_table(name).as_(alias), on)

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
            conditions.append(_equal(value, kind, exp.column(column_name, alias), slot))
        query = exp.select(exp.Literal.number(1)).from_(exp.to_table(relation.table).as_(alias))
        return query.where(exp.and_(*conditions)) if conditions else query

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
            equal = _equal(left, left_type, right, right_type)
            return equal if operator == "=" else exp.not_(equal)
        left, right = _as_number(left, left_type), _as_number(right, right_type)
        kinds: dict[str, type[exp.Binary]] = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
        return kinds[operator](this=left, expression=right)

    def _term(self, term: Variable | Constant) -> tuple[exp.Expr, SlotType]:
        if isinstance(term, Constant):
            return _literal(term.value), _value_type(term.value)
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
                this=_as_number(left, left_type), expression=_as_number(right, right_type)
            )
            return exp.paren(operation), "number"
        return self._term(expression)


# -- values -----------------------------------------------------------------------------


def _slot_type(types: frozenset[str]) -> SlotType:
    if types == frozenset({"number"}):
        return "number"
    if types == frozenset({"symbol"}):
        return "symbol"
    return "any"


def _value_type(value: Value) -> SlotType:
    return "number" if isinstance(value, int) else "symbol"


def _literal(value: Value) -> exp.Expr:
    if isinstance(value, bool):
        raise SqlTranslationError(f"boolean {value!r} is not a Datalog value")
    if isinstance(value, int):
        return exp.Literal.number(value) if value >= 0 else exp.Neg(this=exp.Literal.number(-value))
    return exp.Literal.string(value)


def encode(value: Value) -> str:
    """A value as stored in an ``any`` slot: tagged, so numbers and symbols never meet."""
    return f"{NUMBER_TAG}{value}" if isinstance(value, int) else f"{SYMBOL_TAG}{value}"


def decode(text: str) -> Value:
    if text.startswith(NUMBER_TAG):
        return int(text[1:])
    return text[1:]


def _to_any(value: exp.Expr, kind: SlotType) -> exp.Expr:
    if kind == "any":
        return value
    tag = NUMBER_TAG if kind == "number" else SYMBOL_TAG
    text = exp.cast(value, "VARCHAR") if kind == "number" else value
    return exp.DPipe(this=exp.Literal.string(tag), expression=text, safe=True)


def _as_number(value: exp.Expr, kind: SlotType) -> exp.Expr:
    if kind == "number":
        return value
    if kind == "symbol":
        raise SqlTranslationError("a symbol cannot be compared by order or used in arithmetic")
    return exp.cast(exp.Substring(this=value, start=exp.Literal.number(2)), "BIGINT")


def _convert(value: exp.Expr, kind: SlotType, slot: SlotType) -> exp.Expr:
    """A value of type ``kind`` as stored in a slot of type ``slot``."""
    if kind == slot:
        return value
    if slot == "any":
        return _to_any(value, kind)
    if kind == "any" and slot == "number":
        return _as_number(value, kind)
    if kind == "any" and slot == "symbol":
        return exp.Substring(this=value, start=exp.Literal.number(2))
    raise SqlTranslationError(f"a {kind} value cannot be stored in a {slot} column")


def _equal(left: exp.Expr, left_type: SlotType, right: exp.Expr, right_type: SlotType) -> exp.Expr:
    if left_type == right_type:
        return exp.EQ(this=left, expression=right)
    if "any" in (left_type, right_type):
        return exp.EQ(this=_to_any(left, left_type), expression=_to_any(right, right_type))
    return exp.false()


def column_types(relation: Relation) -> tuple[tuple[str, str], ...]:
    sql_type = {"number": "BIGINT", "symbol": "VARCHAR", "any": "VARCHAR"}
    head = ((SUBJECT, "BIGINT"),) if relation.per_subject else ()
    tail = ((RULE, "INT"),) if relation.derived else ()
    return head + tuple(zip(relation.argument_columns, (sql_type[t] for t in relation.types), strict=True)) + tail


def _create(table: str, columns: tuple[tuple[str, str], ...], temporary: bool) -> exp.Expr:
    schema = exp.Schema(
        this=exp.to_table(table),
        expressions=[
            exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build(kind)) for name, kind in columns
        ],
    )
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    return exp.Create(this=schema, kind="TABLE", exists=True, properties=properties)


def _facts_projection(relation: Relation) -> list[exp.Expr]:
    subject = [exp.column(SUBJECT, "s")] if relation.per_subject else []
    return [*subject, *(exp.column(name, "f") for name in relation.argument_columns), exp.column(RULE, "f")]


__all__ = [
    "DIALECTS",
    "CompiledProgram",
    "FactStep",
    "RecursiveStep",
    "Relation",
    "RuleStep",
    "SqlTranslationError",
    "compile_program",
    "decode",
    "encode",
    "column_types",
    "rule_dependencies",
]
