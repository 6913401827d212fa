"""Parse knowledge-base text into :mod:`reasoner.program` objects.

The grammar lives in ``datalog.lark``; this module builds the LALR parser once, turns
each parse tree into plain objects in one pass, and reports every syntax error as a
:class:`KnowledgeBaseError` naming file, line, column and what was expected there.
Nothing here evaluates text: strings are decoded by hand, never by ``eval``.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

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

GRAMMAR_FILE = Path(__file__).with_name("datalog.lark")

ANNOTATION_KEYS = ("id", "evidence", "statement")
IDENTIFIER = re.compile(r"[a-z][a-z0-9_.-]*\Z")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}

_TERMINAL_NAMES = {
    "NAME": "a name (lower-case first letter)",
    "VARIABLE": "a variable (upper-case first letter or _)",
    "STRING": 'a quoted string ("...")',
    "INTEGER": "an integer",
    "ANNOTATION": "an annotation (@id, @evidence, @statement)",
    "DIRECTIVE": "a declaration (.input or .output)",
    "COMPARATOR": "a comparison (< <= > >= = !=)",
    "NOT": "'not'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "TIMES": "'*'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "DOT": "'.'",
    "COLON": "':'",
    "IF": "':-'",
    "$END": "end of input",
}


@cache
def _parser(start: str) -> Lark:
    return Lark(
        GRAMMAR_FILE.read_text(encoding="utf-8"),
        start=start,
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
    )


def parse_program(text: str, file: str = "<text>") -> Program:
    """Parse knowledge-base text; ``file`` is the name errors will cite."""
    tree = _parse(text, file, "start")
    program: Program = _transform(tree, file, _ProgramBuilder)
    return program


def parse_file(path: Path, display_name: str | None = None) -> Program:
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeBaseError([Problem(SourcePosition(name, 0, 0), "read", f"cannot read file: {error}")]) from None
    return parse_program(text, name)


def parse_query(text: str, file: str = "<query>") -> tuple[BodyLiteral, ...]:
    """Parse a query such as ``item(C, K), not skip(C)`` into its literals."""
    tree = _parse(text, file, "query")
    body: tuple[BodyLiteral, ...] = _transform(tree, file, _ProgramBuilder)
    return body


MAX_NESTING = 200
"""Deepest nesting of an expression's operations: ``1 + 1 + … + 1`` with more terms than this is refused.

Every stage after parsing (validation, both engines, the tracer, printing) walks an
expression recursively, so a 20 000-term sum would exhaust Python's stack; a clear
error at its position is better than a crash anywhere later."""


def _parse(text: str, file: str, start: str) -> Tree[Token]:
    try:
        tree = _parser(start).parse(text)
    except UnexpectedInput as error:
        raise KnowledgeBaseError([_syntax_problem(error, text, file)]) from None
    _check_nesting(tree, file)
    return tree


def _check_nesting(tree: Tree[Token], file: str) -> None:
    """Refuse an expression nested deeper than MAX_NESTING, walking the tree without recursion."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            position = SourcePosition(file, node.meta.line, node.meta.column) if not node.meta.empty else None
            raise KnowledgeBaseError(
                [
                    Problem(
                        position or SourcePosition(file, 0, 0),
                        "syntax",
                        f"an expression nests more than {MAX_NESTING} operations; "
                        "compute it in steps with intermediate variables",
                    )
                ]
            )
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1 if child.data == "arithmetic" else depth))


def _transform(tree: Tree[Token], file: str, builder: type[_ProgramBuilder]) -> Any:
    try:
        return builder(file).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, KnowledgeBaseError):
            raise error.orig_exc from None
        raise


def _syntax_problem(error: UnexpectedInput, text: str, file: str) -> Problem:
    line, column = error.line, error.column
    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream or 0
        found = repr(text[offset]) if offset < len(text) else "end of input"
        expected = error.allowed or set()
    elif isinstance(error, UnexpectedToken):
        found = "end of input" if error.token.type == "$END" else repr(str(error.token))
        expected = error.accepts or error.expected
    elif isinstance(error, UnexpectedEOF):
        found = "end of input"
        expected = set(error.expected)
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    else:  # pragma: no cover - Lark has no other subclasses today
        found, expected = "input", set()
    if line is None or line < 1:
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    names = sorted({_TERMINAL_NAMES.get(name, _anonymous_terminal(name)) for name in expected})
    message = f"syntax error: unexpected {found}"
    if names:
        message += f"; expected {_one_of(names)}"
    return Problem(SourcePosition(file, line, column), "syntax", message)


def _anonymous_terminal(name: str) -> str:
    spelled = {"__ANON_0": "':-'"}
    return spelled.get(name, name.lower())


def _one_of(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


class _ProgramBuilder(Transformer[Token, Any]):
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
