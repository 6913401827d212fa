"""Parse knowledge-base text into :mod:`reasoner.program` objects.

The grammar lives in ``datalog.lark``; this module builds the LALR parser once, turns
each parse tree into plain objects in one pass (:mod:`.program_builder`), and reports every syntax error as a
:class:`KnowledgeBaseError` naming file, line, column and what was expected there.
Nothing here evaluates text: strings are decoded by hand, never by ``eval``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..errors import KnowledgeBaseError, Problem, SourcePosition
from .program import (
    BodyLiteral,
    Program,
)
from .program_builder import ProgramBuilder

GRAMMAR_FILE = Path(__file__).with_name("datalog.lark")


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
    program: Program = _transform(tree, file, ProgramBuilder)
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
    body: tuple[BodyLiteral, ...] = _transform(tree, file, ProgramBuilder)
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


def _transform(tree: Tree[Token], file: str, builder: type[ProgramBuilder]) -> Any:
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
