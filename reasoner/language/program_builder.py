"""The one transformer: a Lark parse tree of ``datalog.lark`` into :mod:`.program` objects.

Every object carries the file, line and column it was written at. Strings are decoded
by hand (``\\"``, ``\\\\``, ``\\n``, ``\\t``), never by ``eval``; rule annotations (``@id``,
``@evidence``, ``@statement``) become the rule's metadata, checked here; arithmetic in an
atom's argument (``a(X + 1) :- b(X).``) becomes a fresh variable bound by an equality
(:func:`flatten_arguments`), the form validation, both engines and explanations see.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from lark import Token, Transformer, Tree, v_args

from ..errors import KnowledgeBaseError, Problem, SourcePosition
from .program import (
    PARAMETER_TYPES,
    Arithmetic,
    Atom,
    BodyLiteral,
    Comparison,
    Constant,
    Declaration,
    Expression,
    Negation,
    Parameter,
    Program,
    Rule,
    RuleMetadata,
    Term,
    Variable,
    variables_of,
)

ANNOTATION_KEYS = ("id", "evidence", "statement")
IDENTIFIER = re.compile(r"[a-z][a-z0-9_.-]*\Z")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


class ProgramBuilder(Transformer[Token, Any]):
    """Turns one parse tree into program objects; positions come from the tokens."""

    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        self._anonymous_count = 0

    def _position(self, item: Token | Tree[Token] | Any) -> SourcePosition:
        if isinstance(item, Token):
            return SourcePosition(self.file, item.line or 0, item.column or 0)
        meta = getattr(item, "meta", None)
        if meta is not None and not meta.empty:
            return SourcePosition(self.file, meta.line, meta.column)
        return getattr(item, "position", SourcePosition(self.file, 0, 0))

    def _error(self, position: SourcePosition, check: str, message: str) -> KnowledgeBaseError:
        return KnowledgeBaseError([Problem(position, check, message)])

    # terms ---------------------------------------------------------------
    def variable(self, children: list[Token]) -> Variable:
        return Variable(str(children[0]), self._position(children[0]))

    def symbol(self, children: list[Token]) -> Constant:
        return Constant(str(children[0]), self._position(children[0]))

    def string(self, children: list[Token]) -> Constant:
        token = children[0]
        return Constant(self._decode_string(token), self._position(token))

    def integer(self, children: list[Token]) -> Constant:
        return Constant(int(children[0]), self._position(children[0]))

    def negative_integer(self, children: list[Token]) -> Constant:
        return Constant(-int(children[1]), self._position(children[0]))

    def _decode_string(self, token: Token) -> str:
        raw = str(token)[1:-1]
        decoded: list[str] = []
        index = 0
        while index < len(raw):
            character = raw[index]
            if character == "\\":
                escape = raw[index + 1]
                if escape not in _ESCAPES:
                    position = SourcePosition(self.file, token.line or 0, (token.column or 0) + 1 + index)
                    raise self._error(
                        position, "syntax", f'unknown escape \\{escape} in string; allowed: \\" \\\\ \\n \\t'
                    )
                decoded.append(_ESCAPES[escape])
                index += 2
            else:
                decoded.append(character)
                index += 1
        return "".join(decoded)

    # literals ------------------------------------------------------------
    @v_args(meta=True)
    def atom(self, meta: Any, children: list[Any]) -> Atom:
        name = children[0]
        # Arithmetic arguments stay in place until the clause is built, which moves them out.
        arguments: tuple[Term, ...] = tuple(children[1:])
        return Atom(str(name), arguments, self._position(name))

    def negation(self, children: list[Any]) -> Negation:
        return Negation(children[1], self._position(children[0]))

    def comparison(self, children: list[Any]) -> Comparison:
        left, operator, right = children
        return Comparison(left, str(operator), right, _expression_position(left))

    def arithmetic(self, children: list[Any]) -> Arithmetic:
        left, operator, right = children
        return Arithmetic(left, str(operator), right, _expression_position(left))

    def body(self, children: list[BodyLiteral]) -> tuple[BodyLiteral, ...]:
        return tuple(children)

    def query(self, children: list[Any]) -> tuple[BodyLiteral, ...]:
        _, body = flatten_arguments(None, children[0])
        return body

    # clauses -------------------------------------------------------------
    def fact(self, children: list[Any]) -> Rule:
        annotations = [child for child in children if isinstance(child, Token)]
        written: Atom = children[len(annotations)]
        metadata = self._metadata(annotations, written.position)
        head, body = flatten_arguments(written, ())
        assert head is not None
        return Rule(head, body, metadata, metadata.position if annotations else written.position)

    def rule(self, children: list[Any]) -> Rule:
        annotations = [child for child in children if isinstance(child, Token)]
        written: Atom = children[len(annotations)]
        metadata = self._metadata(annotations, written.position)
        head, body = flatten_arguments(written, children[len(annotations) + 1])
        assert head is not None
        return Rule(head, body, metadata, written.position)

    def _metadata(self, annotations: list[Token], clause_position: SourcePosition) -> RuleMetadata:
        values: dict[str, tuple[str, SourcePosition]] = {}
        for token in annotations:
            position = self._position(token)
            match = re.match(r"@([A-Za-z_][A-Za-z0-9_-]*)(.*)\Z", str(token).rstrip())
            key = match.group(1) if match else ""
            if key not in ANNOTATION_KEYS:
                allowed = ", ".join("@" + name for name in ANNOTATION_KEYS)
                raise self._error(
                    position, "annotation", f"unknown annotation {str(token).split()[0]!r}; allowed: {allowed}"
                )
            if key in values:
                raise self._error(position, "annotation", f"@{key} is given twice for one clause")
            assert match is not None
            values[key] = (match.group(2).strip(), position)
        rule_id = evidence_text = statement = None
        if "id" in values:
            rule_id, position = values["id"]
            if not IDENTIFIER.match(rule_id):
                raise self._error(
                    position,
                    "annotation",
                    f"@id {rule_id!r} is not an identifier; use lower-case letters, digits, _ . -",
                )
        evidence: tuple[str, ...] = ()
        if "evidence" in values:
            evidence_text, position = values["evidence"]
            evidence = tuple(part.strip() for part in evidence_text.split(","))
            bad = [item for item in evidence if not IDENTIFIER.match(item)]
            if bad or not evidence_text:
                raise self._error(
                    position,
                    "annotation",
                    "@evidence takes a comma-separated list of evidence ids such as 'ref1, acp2017'",
                )
        if "statement" in values:
            statement, position = values["statement"]
            if not statement:
                raise self._error(
                    position, "annotation", "@statement is empty; write one sentence a clinician can read"
                )
        first = self._position(annotations[0]) if annotations else clause_position
        return RuleMetadata(rule_id, evidence, statement, first)

    def parameter(self, children: list[Token]) -> Parameter:
        name, type_name = children
        if str(type_name) not in PARAMETER_TYPES:
            raise self._error(
                self._position(type_name),
                "declaration",
                f"unknown type {str(type_name)!r}; allowed: {', '.join(PARAMETER_TYPES)}",
            )
        return Parameter(str(name), str(type_name))  # type: ignore[arg-type]

    def declaration(self, children: list[Any]) -> Declaration:
        directive, name, *parameters = children
        kind = str(directive)[1:]
        return Declaration(kind, str(name), tuple(parameters), self._position(directive))  # type: ignore[arg-type]

    def start(self, children: list[Any]) -> Program:
        rules = tuple(child for child in children if isinstance(child, Rule))
        declarations = tuple(child for child in children if isinstance(child, Declaration))
        return Program(rules, declarations)


def flatten_arguments(head: Atom | None, body: tuple[BodyLiteral, ...]) -> tuple[Atom | None, tuple[BodyLiteral, ...]]:
    """Move arithmetic out of atom arguments: ``a(X + 1) :- b(X)`` is ``a(Arg1) :- b(X), Arg1 = X + 1``.

    Each arithmetic argument becomes a fresh variable (``Arg1``, ``Arg2``, … skipping names
    the clause already uses) bound by an equality at the end of the body; the body's
    planner evaluates it as soon as its operands are bound. Every later stage (validation,
    both engines, the tracer, the clingo translation) therefore sees only plain terms, and
    an explanation shows the rule in this form.
    """
    literals = [*body] if head is None else [head, *body]
    if not any(isinstance(argument, Arithmetic) for atom in _atoms(literals) for argument in atom.arguments):
        return head, body
    used = {variable.name for literal in literals for variable in _argument_variables(literal)}
    fresh = (name for name in (f"Arg{number}" for number in itertools.count(1)) if name not in used)
    equalities: list[BodyLiteral] = []

    def plain(atom: Atom) -> Atom:
        arguments: list[Term] = []
        for argument in atom.arguments:
            if isinstance(argument, Arithmetic):
                variable = Variable(next(fresh), argument.position)
                equalities.append(Comparison(variable, "=", argument, argument.position))
                arguments.append(variable)
            else:
                arguments.append(argument)
        return Atom(atom.predicate, tuple(arguments), atom.position)

    new_head = None if head is None else plain(head)
    new_body: list[BodyLiteral] = []
    for literal in body:
        if isinstance(literal, Atom):
            new_body.append(plain(literal))
        elif isinstance(literal, Negation):
            new_body.append(Negation(plain(literal.atom), literal.position))
        else:
            new_body.append(literal)
    return new_head, (*new_body, *equalities)


def _atoms(literals: list[Any]) -> list[Atom]:
    return [
        literal.atom if isinstance(literal, Negation) else literal
        for literal in literals
        if not isinstance(literal, Comparison)
    ]


def _argument_variables(literal: Any) -> list[Variable]:
    if isinstance(literal, Atom):
        return [variable for argument in literal.arguments for variable in variables_of(argument)]
    return variables_of(literal)


def _expression_position(expression: Expression) -> SourcePosition:
    if isinstance(expression, Arithmetic):
        return _expression_position(expression.left)
    return expression.position
