"""Load-time checks of a parsed program: each kind of mistake gets its own clear error.

Errors stop loading; warnings (lint) do not. Every finding names file, line and column.
Checks, by their stable names:

``arity``               a predicate is used with two different numbers of arguments
``undefined``           a predicate is read but never defined nor declared ``.input`` (in a guideline;
                        in a plain program a warning, and the predicate is an empty relation)
``declaration``         an interface declaration is duplicated, contradicts the rules, or is unused
``range-restriction``   a variable of the head, a negation or a comparison is never bound
``anonymous``           ``_`` where a value is needed (head, comparison)
``ground-fact``         a fact with a variable
``stratification``      recursion through ``not``
``type``                arithmetic or ordering applied to something that can be a symbol
``metadata``            a rule without @id, @evidence or @statement (guideline programs)
``duplicate-id``        two clauses with the same @id
``unknown-evidence``    @evidence names an id the evidence registry does not hold
``singleton`` (warning) a named variable used once: a typo, or write ``_``
``unused`` (warning)    a predicate nobody reads and no ``.output`` declares
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Collection, Iterator

from ..errors import KnowledgeBaseError, Problem, SourcePosition
from .binding import named_variables, plan_body
from .dependencies import negative_cycles, readers
from .program import (
    Atom,
    BodyLiteral,
    Comparison,
    Negation,
    PredicateKey,
    Program,
    Rule,
    Variable,
    variables_of,
)
from .typecheck import check_types, type_problems
from .typecheck import infer_types as infer_types  # where to_sql.py and the tests find it


def check(program: Program, *, guideline: bool = False, evidence_ids: Collection[str] | None = None) -> list[Problem]:
    """Every problem of the program, errors and warnings, sorted by position."""
    problems: list[Problem] = []
    problems += _check_declarations(program)
    arity_problems = list(_check_arity(program))
    problems += arity_problems
    problems += _check_undefined(program, guideline)
    for rule in program.rules:
        problems += _check_rule_variables(rule)
    problems += _check_stratification(program)
    problems += _check_metadata(program, guideline, evidence_ids)
    if not arity_problems:
        problems += check_types(program)
    problems += _check_unused(program)
    return sorted(set(problems), key=lambda problem: (problem.position, problem.check, problem.message))


def validate(
    program: Program, *, guideline: bool = False, evidence_ids: Collection[str] | None = None
) -> list[Problem]:
    """Raise :class:`KnowledgeBaseError` with every error; return the warnings."""
    problems = check(program, guideline=guideline, evidence_ids=evidence_ids)
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        raise KnowledgeBaseError(errors)
    return problems


def check_query(program: Program, goal: tuple[BodyLiteral, ...]) -> list[Problem]:
    """The errors of a query against ``program``: unbound variables and type mistakes."""
    rule = Rule(Atom("query", ()), goal)
    problems = [problem for problem in _check_rule_variables(rule) if problem.severity == "error"]
    problems += type_problems(rule, infer_types(program))
    return problems


def _error(position: SourcePosition, check_name: str, message: str) -> Problem:
    return Problem(position, check_name, message, "error")


def _warning(position: SourcePosition, check_name: str, message: str) -> Problem:
    return Problem(position, check_name, message, "warning")


def _name(key: PredicateKey) -> str:
    return f"{key[0]}/{key[1]}"


def _occurrences(program: Program) -> Iterator[tuple[str, int, SourcePosition]]:
    for declaration in program.declarations:
        yield declaration.predicate, len(declaration.parameters), declaration.position
    for rule in program.rules:
        yield rule.head.predicate, rule.head.arity, rule.head.position
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Negation) else literal
            if isinstance(atom, Atom):
                yield atom.predicate, atom.arity, atom.position


def _check_arity(program: Program) -> Iterator[Problem]:
    first_seen: dict[str, tuple[int, SourcePosition]] = {}
    for name, arity, position in sorted(_occurrences(program), key=lambda item: item[2]):
        if name not in first_seen:
            first_seen[name] = (arity, position)
            continue
        expected, where = first_seen[name]
        if arity != expected:
            yield _error(
                position,
                "arity",
                f"{name} is used here with {arity} argument(s) but with {expected} at {where}; "
                "a predicate has one arity",
            )


def _check_declarations(program: Program) -> Iterator[Problem]:
    seen: dict[tuple[str, str], SourcePosition] = {}
    defined = program.defined_predicates()
    for declaration in program.declarations:
        marker = (declaration.kind, declaration.predicate)
        if marker in seen:
            yield _error(
                declaration.position,
                "declaration",
                f".{declaration.kind} {declaration.predicate} is declared again (first at {seen[marker]})",
            )
        seen[marker] = declaration.position
        names = [parameter.name for parameter in declaration.parameters]
        if len(set(names)) != len(names):
            yield _error(declaration.position, "declaration", f"parameter names of {declaration.predicate} repeat")
        if declaration.kind == "input" and declaration.key in defined:
            rule = program.rules_for(declaration.key)[0]
            yield _error(
                rule.head.position,
                "declaration",
                f"{_name(declaration.key)} is declared .input (at {declaration.position}) and so comes only from "
                "the input record; it cannot also be defined by a rule or fact",
            )
        if declaration.kind == "output" and declaration.key not in defined:
            yield _error(
                declaration.position,
                "declaration",
                f"{_name(declaration.key)} is declared .output but no rule or fact defines it",
            )
    inputs = set(program.inputs())
    for key, declaration in program.outputs().items():
        if key in inputs:
            yield _error(declaration.position, "declaration", f"{_name(key)} cannot be both .input and .output")


def _check_undefined(program: Program, guideline: bool) -> Iterator[Problem]:
    """A guideline reads only what it defines (a typo must not silently read as "never"); Datalog
    programs, as in Souffle and clingo, read a predicate with no rule and no fact as empty."""
    report = _error if guideline else _warning
    known = program.defined_predicates() | set(program.inputs())
    known_names = sorted({key[0] for key in known})
    for rule in program.rules:
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Negation) else literal
            if isinstance(atom, Atom) and atom.key not in known:
                if atom.predicate in known_names:
                    continue  # the same name with another arity: the arity check reports it
                hint = difflib.get_close_matches(atom.predicate, known_names, n=1)
                suggestion = f"; did you mean {hint[0]}?" if hint else ""
                empty = "" if guideline else "; it is read as an empty relation"
                yield report(
                    atom.position,
                    "undefined",
                    f"{_name(atom.key)} is used but never defined by a rule or fact nor declared "
                    f"with .input{empty}{suggestion}",
                )


def _check_rule_variables(rule: Rule) -> Iterator[Problem]:
    if rule.is_fact:
        for argument in rule.head.arguments:
            if isinstance(argument, Variable):
                yield _error(
                    argument.position,
                    "ground-fact",
                    f"a fact cannot contain the variable {argument.name}; write a constant or add a rule body",
                )
        return
    for argument in rule.head.arguments:
        if isinstance(argument, Variable) and argument.is_anonymous:
            yield _error(argument.position, "anonymous", "_ cannot appear in a rule head; name the variable")
    for literal in rule.body:
        if isinstance(literal, Comparison):
            for variable in variables_of(literal):
                if variable.is_anonymous:
                    yield _error(variable.position, "anonymous", "_ cannot appear in a comparison; name the variable")
    plan = plan_body(rule.body)
    for argument in rule.head.arguments:
        if isinstance(argument, Variable) and not argument.is_anonymous and argument.name not in plan.bound:
            yield _error(
                argument.position,
                "range-restriction",
                f"variable {argument.name} in the head of {rule.head.predicate} is not bound by a positive body "
                "literal",
            )
    for literal in plan.unplaceable:
        unbound = sorted(named_variables(literal) - plan.bound)
        where = "negation" if isinstance(literal, Negation) else "comparison"
        for variable in variables_of(literal):
            if variable.name in unbound:
                yield _error(
                    variable.position,
                    "range-restriction",
                    f"variable {variable.name} in the {where} `{literal}` is not bound by a positive body literal",
                )
                unbound.remove(variable.name)
    yield from _singletons(rule)


def _singletons(rule: Rule) -> Iterator[Problem]:
    counts: dict[str, list[Variable]] = defaultdict(list)
    for variable in variables_of(rule.head):
        counts[variable.name].append(variable)
    for literal in rule.body:
        for variable in variables_of(literal):
            counts[variable.name].append(variable)
    for name, occurrences in counts.items():
        if len(occurrences) == 1 and not name.startswith("_"):
            yield _warning(
                occurrences[0].position,
                "singleton",
                f"variable {name} appears only once in this rule; if that is meant, write _ or _{name}",
            )


def _check_stratification(program: Program) -> Iterator[Problem]:
    for edge in negative_cycles(program):
        yield _error(
            edge.literal.position,
            "stratification",
            f"{_name(edge.head)} depends on `{edge.literal}` which depends back on {_name(edge.head)}: "
            "recursion through negation cannot be stratified",
        )


def _check_metadata(program: Program, guideline: bool, evidence_ids: Collection[str] | None) -> Iterator[Problem]:
    seen: dict[str, SourcePosition] = {}
    for rule in program.rules:
        metadata = rule.metadata
        if metadata.rule_id is not None:
            if metadata.rule_id in seen:
                yield _error(
                    metadata.position,
                    "duplicate-id",
                    f"@id {metadata.rule_id} is already used at {seen[metadata.rule_id]}; ids must be unique",
                )
            else:
                seen[metadata.rule_id] = metadata.position
        if guideline and not rule.is_fact:
            missing = [
                name
                for name, value in (
                    ("@id", metadata.rule_id),
                    ("@evidence", metadata.evidence),
                    ("@statement", metadata.statement),
                )
                if not value
            ]
            if missing:
                yield _error(
                    rule.position,
                    "metadata",
                    f"rule for {rule.head.predicate} has no {' and no '.join(missing)}; "
                    "every rule of a guideline knowledge base needs an id, its evidence and a one-line statement",
                )
        if evidence_ids is not None:
            for evidence_id in metadata.evidence:
                if evidence_id not in evidence_ids:
                    hint = difflib.get_close_matches(evidence_id, sorted(evidence_ids), n=1)
                    suggestion = f"; did you mean {hint[0]}?" if hint else ""
                    yield _error(
                        metadata.position,
                        "unknown-evidence",
                        f"@evidence cites {evidence_id}, which the evidence registry does not hold{suggestion}",
                    )


def _check_unused(program: Program) -> Iterator[Problem]:
    read = readers(program)
    outputs = set(program.outputs())
    reported: set[PredicateKey] = set()
    for rule in program.rules:
        key = rule.head.key
        if key in reported or key in outputs or read.get(key):
            continue
        reported.add(key)
        yield _warning(
            rule.head.position,
            "unused",
            f"{_name(key)} is defined but no rule reads it and no .output declares it",
        )
    for key, declaration in program.inputs().items():
        if not read.get(key):
            yield _warning(declaration.position, "unused", f".input {_name(key)} is declared but no rule reads it")
