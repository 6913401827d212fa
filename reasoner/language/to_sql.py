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
  ``sacute``), so ``12`` and ``"12"`` stay different values, as in Datalog. DuckDB may type
  the symbols-only slots as an ``ENUM`` of a closed vocabulary (:meth:`SqlEngine.connect`).
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

from collections.abc import Iterator
from dataclasses import dataclass

import sqlglot.expressions as exp

from .program import Atom, Comparison, Constant, Negation, PredicateKey, Program, symbols_of
from .rule_order import FactStep, RecursiveStep, RuleStep, Step, rule_dependencies, steps
from .sql_rule import SUBJECTS_TABLE, RuleCompiler
from .sql_rule import delta_table as _delta_table
from .sql_values import (
    NUMBER_TAG,
    RULE,
    SUBJECT,
    SYMBOL_TAG,
    SlotType,
    SqlTranslationError,
    convert,
    decode,
    encode,
    slot_type,
    sql_literal,
    table_named,
    value_type,
)
from .validate import infer_types

DIALECTS = ("duckdb", "spark", "postgres", "bigquery", "trino")


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


def delta_table(relation: Relation) -> str:
    """The rows a recursive round added to ``relation``, read by the next round."""
    return _delta_table(relation.table)


@dataclass(frozen=True)
class CompiledProgram:
    """A program as tables and the ordered steps that fill them."""

    program: Program
    relations: dict[PredicateKey, Relation]
    steps: tuple[Step, ...]

    # -- schema -----------------------------------------------------------------------

    def create_tables(self, temporary: bool = False, symbol_type: str = "VARCHAR") -> list[exp.Expr]:
        """``CREATE TABLE`` for the subjects, every input and every derived predicate."""
        statements = [_create(SUBJECTS_TABLE, ((SUBJECT, "BIGINT"),), temporary)]
        for relation in self.relations.values():
            statements.append(_create(relation.table, column_types(relation, symbol_type), temporary))
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
                values.append(convert(sql_literal(argument.value), value_type(argument.value), slot))
            values.append(exp.Literal.number(index))
            rows.append(exp.Tuple(expressions=values))
        source: exp.Expr = exp.values(rows, alias="f", columns=[*relation.argument_columns, RULE])
        query = exp.select(*_facts_projection(relation)).from_(source)
        if relation.per_subject:
            query = query.join(table_named(SUBJECTS_TABLE).as_("s"), join_type="cross")
        return exp.insert(query, table_named(relation.table), columns=list(relation.columns), copy=False)

    def rule_select(self, index: int, delta_at: int | None = None) -> exp.Select:
        """The ``SELECT`` of rule ``index``; ``delta_at`` reads that body atom's delta table."""
        return RuleCompiler(self, index, delta_at).select()

    def insert_rule(self, index: int) -> exp.Expr:
        relation = self.relations[self.program.rules[index].head.key]
        return exp.insert(
            self.rule_select(index), table_named(relation.table), columns=list(relation.columns), copy=False
        )

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
            types=tuple(slot_type(slot_types.get((key, position), frozenset())) for position in range(key[1])),
            per_subject=key in per_subject,
            derived=key not in inputs,
        )
        for key in sorted(keys)
    }
    return CompiledProgram(program, relations, tuple(steps(program)))


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


def column_types(relation: Relation, symbol_type: str = "VARCHAR") -> tuple[tuple[str, str], ...]:
    """Each column's SQL type; a slot of symbols only is ``symbol_type`` (a DuckDB ``ENUM`` for
    :meth:`SqlEngine.connect`'s closed vocabulary), one that may hold numbers stays tagged ``VARCHAR``."""
    sql_type = {"number": "BIGINT", "symbol": symbol_type, "any": "VARCHAR"}
    head = ((SUBJECT, "BIGINT"),) if relation.per_subject else ()
    tail = ((RULE, "INT"),) if relation.derived else ()
    return head + tuple(zip(relation.argument_columns, (sql_type[t] for t in relation.types), strict=True)) + tail


def program_symbols(program: Program) -> set[str]:
    """Every symbol the program's rules and facts name: with the symbols its input may hold, all that
    a symbol column can ever contain (a rule derives no symbol it was not given)."""
    return {symbol for rule in program.rules for literal in (rule.head, *rule.body) for symbol in symbols_of(literal)}


def _create(table: str, columns: tuple[tuple[str, str], ...], temporary: bool) -> exp.Expr:
    schema = exp.Schema(
        this=table_named(table),
        expressions=[
            # udt: a type the database defines (an ENUM) is written by name; SQL's own types as before
            exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build(kind, udt=True))
            for name, kind in columns
        ],
    )
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    return exp.Create(this=schema, kind="TABLE", exists=True, properties=properties)


def _facts_projection(relation: Relation) -> list[exp.Expr]:
    subject = [exp.column(SUBJECT, "s")] if relation.per_subject else []
    return [*subject, *(exp.column(name, "f") for name in relation.argument_columns), exp.column(RULE, "f")]


__all__ = [
    "DIALECTS",
    "NUMBER_TAG",
    "RULE",
    "SUBJECT",
    "SUBJECTS_TABLE",
    "SYMBOL_TAG",
    "CompiledProgram",
    "FactStep",
    "RecursiveStep",
    "Relation",
    "RuleStep",
    "SqlTranslationError",
    "Step",
    "column_types",
    "compile_program",
    "decode",
    "encode",
    "program_symbols",
    "rule_dependencies",
]
