"""Translate a program into clingo's language (ASP), for a second, independent engine.

A stratified Datalog program has one stable model, its perfect model, so clingo must
derive exactly the facts pyDatalog derives. The differential tests run both on the same
patients and compare every output predicate; a disagreement is a defect of one engine or
of this translation, never a matter of opinion.

The translation is one clause for one clause: facts and rules as written, ``not`` as
``not``, comparisons and ``+ - *`` as clingo spells them. Values: integers stay integers;
a symbol that is a plain lower-case name becomes a clingo constant, any other symbol a
clingo string (Datalog's bare and quoted spellings are one value, so the choice depends
only on the value). Variables are renamed ``V<name>`` because clingo reads ``_x`` as a
constant; ``_`` stays anonymous. Anything the translation cannot say raises
:class:`AspTranslationError` rather than being dropped.

Many subjects in one run: ``to_asp(program, subjects=True)`` gives every atom a first
argument ``Subject`` and every clause the guard ``_subject(Subject)`` (a name no program
can spell), and :func:`facts_to_asp` with a ``subject`` number tags one subject's facts;
clingo then grounds the rules once for a whole batch of patients, each in its own slice
of the model.

>>> from backspasm.reasoner.language.syntax import parse_program
>>> print(to_asp(parse_program('hot(X) :- temp(X, C), C > 30, not cold(X). label("Big one").')), end="")
hot(VX) :- temp(VX, VC), VC > 30, not cold(VX).
label("Big one").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import ReasonerError
from .engine import Fact
from .program import (
    ARITHMETIC_OPERATORS,
    COMPARISON_OPERATORS,
    Arithmetic,
    Atom,
    BodyLiteral,
    Constant,
    Expression,
    Negation,
    Program,
    Rule,
    Value,
    Variable,
)

_CLINGO_CONSTANT = re.compile(r"[a-z][A-Za-z0-9_']*\Z")
_CLINGO_KEYWORDS = frozenset({"not"})
CLINGO_MAX_INT = 2**31 - 1


class AspTranslationError(ReasonerError):
    """A clause or value has no faithful ASP spelling."""


SUBJECT_PREDICATE = "_subject"
SUBJECT_VARIABLE = "Subject"
"""Renamed variables all start with V, so ``Subject`` cannot clash with one."""


def to_asp(program: Program, subjects: bool = False) -> str:
    """The program's clauses in clingo syntax, one per line (declarations have no counterpart)."""
    return "".join(rule_to_asp(rule, subjects) + "\n" for rule in program.rules)


def facts_to_asp(facts: Iterable[Fact], subject: int | None = None) -> str:
    """Input facts as ASP facts, tagged with ``subject`` for a batch run."""
    tag = () if subject is None else (Constant(subject),)
    lines = [] if subject is None else [f"{SUBJECT_PREDICATE}({subject}).\n"]
    for fact in facts:
        atom = Atom(fact.predicate, (*tag, *(Constant(value) for value in fact.arguments)))
        lines.append(atom_to_asp(atom) + ".\n")
    return "".join(lines)


def rule_to_asp(rule: Rule, subjects: bool = False) -> str:
    head = atom_to_asp(rule.head, subjects)
    body = [_literal(literal, subjects) for literal in rule.body]
    if subjects:
        body.insert(0, f"{SUBJECT_PREDICATE}({SUBJECT_VARIABLE})")
    if not body:
        return f"{head}."
    return f"{head} :- {', '.join(body)}."


def atom_to_asp(atom: Atom, subjects: bool = False) -> str:
    arguments = [_expression(argument) for argument in atom.arguments]
    if subjects:
        arguments.insert(0, SUBJECT_VARIABLE)
    if not arguments:
        return atom.predicate
    return f"{atom.predicate}({', '.join(arguments)})"


def value_to_asp(value: Value) -> str:
    """An integer, a clingo constant for a plain name, else a clingo string."""
    if isinstance(value, bool):
        raise AspTranslationError(f"boolean {value!r} is not a Datalog value")
    if isinstance(value, int):
        if abs(value) > CLINGO_MAX_INT:
            raise AspTranslationError(f"integer {value} is outside clingo's 32-bit range")
        return str(value)
    if _CLINGO_CONSTANT.match(value) and value not in _CLINGO_KEYWORDS:
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if "\0" in escaped:
        raise AspTranslationError(f"symbol {value!r} holds a NUL character, which clingo strings cannot hold")
    return f'"{escaped}"'


def _literal(literal: BodyLiteral, subjects: bool) -> str:
    if isinstance(literal, Atom):
        return atom_to_asp(literal, subjects)
    if isinstance(literal, Negation):
        return f"not {atom_to_asp(literal.atom, subjects)}"
    if literal.operator not in COMPARISON_OPERATORS:
        raise AspTranslationError(f"comparison {literal.operator!r} at {literal.position} has no ASP spelling")
    return f"{_expression(literal.left)} {literal.operator} {_expression(literal.right)}"


def _expression(expression: Expression) -> str:
    if isinstance(expression, Variable):
        return "_" if expression.is_anonymous else f"V{expression.name}"
    if isinstance(expression, Constant):
        return value_to_asp(expression.value)
    if isinstance(expression, Arithmetic) and expression.operator in ARITHMETIC_OPERATORS:
        return f"({_expression(expression.left)} {expression.operator} {_expression(expression.right)})"
    raise AspTranslationError(f"expression {expression} has no ASP spelling")


__all__ = ["AspTranslationError", "atom_to_asp", "facts_to_asp", "rule_to_asp", "to_asp", "value_to_asp"]
