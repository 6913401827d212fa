"""How Datalog values are stored and compared in SQL: the slot types, tags and conversions.

A slot inferred to hold numbers is ``BIGINT``, one holding symbols ``VARCHAR``; a slot
that may hold both is ``VARCHAR`` with the value tagged (``n12``, ``sacute``), so ``12``
and ``"12"`` stay different values, as in Datalog. Every conversion between the three
goes through this module, so the rules' SQL (:mod:`sql_rule`), the tables
(:mod:`to_sql`) and the engines that load and read rows agree on one spelling.
"""

from __future__ import annotations

from typing import Literal as TypingLiteral

import sqlglot.expressions as exp

from ..errors import ReasonerError
from .program import Value

SlotType = TypingLiteral["number", "symbol", "any"]
SUBJECT = "subject"
RULE = "rule"
NUMBER_TAG = "n"
SYMBOL_TAG = "s"


class SqlTranslationError(ReasonerError):
    """A clause has no faithful SQL spelling."""


def table_named(name: str) -> exp.Table:
    """The table ``name`` (one plain identifier, as the compiler names tables), built without parsing
    the name: ``exp.to_table`` parses it, and that was a third of writing the program's SQL."""
    return exp.Table(this=exp.to_identifier(name))


def slot_type(types: frozenset[str]) -> SlotType:
    if types == frozenset({"number"}):
        return "number"
    if types == frozenset({"symbol"}):
        return "symbol"
    return "any"


def value_type(value: Value) -> SlotType:
    return "number" if isinstance(value, int) else "symbol"


def sql_literal(value: Value) -> exp.Expr:
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


def to_any(value: exp.Expr, kind: SlotType) -> exp.Expr:
    if kind == "any":
        return value
    tag = NUMBER_TAG if kind == "number" else SYMBOL_TAG
    text = exp.cast(value, "VARCHAR") if kind == "number" else value
    return exp.DPipe(this=exp.Literal.string(tag), expression=text, safe=True)


def as_number(value: exp.Expr, kind: SlotType) -> exp.Expr:
    if kind == "number":
        return value
    if kind == "symbol":
        raise SqlTranslationError("a symbol cannot be compared by order or used in arithmetic")
    return exp.cast(exp.Substring(this=value, start=exp.Literal.number(2)), "BIGINT")


def convert(value: exp.Expr, kind: SlotType, slot: SlotType) -> exp.Expr:
    """A value of type ``kind`` as stored in a slot of type ``slot``."""
    if kind == slot:
        return value
    if slot == "any":
        return to_any(value, kind)
    if kind == "any" and slot == "number":
        return as_number(value, kind)
    if kind == "any" and slot == "symbol":
        return exp.Substring(this=value, start=exp.Literal.number(2))
    raise SqlTranslationError(f"a {kind} value cannot be stored in a {slot} column")


def sql_equal(left: exp.Expr, left_type: SlotType, right: exp.Expr, right_type: SlotType) -> exp.Expr:
    if left_type == right_type:
        return exp.EQ(this=left, expression=right)
    if "any" in (left_type, right_type):
        return exp.EQ(this=to_any(left, left_type), expression=to_any(right, right_type))
    return exp.false()


__all__ = [
    "NUMBER_TAG",
    "RULE",
    "SUBJECT",
    "SYMBOL_TAG",
    "SlotType",
    "SqlTranslationError",
    "as_number",
    "convert",
    "decode",
    "encode",
    "sql_equal",
    "sql_literal",
    "slot_type",
    "to_any",
    "value_type",
]
