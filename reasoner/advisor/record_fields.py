"""The fields of a record: what each holds, and one field's value read into facts.

A field of ``record.yaml`` (:class:`FieldSpec`, with the :class:`Attribute` s of a code)
is read here: its value checked against its type and limits, every problem named by the
field's path, what was found and what is allowed, and turned into the facts it becomes.
:mod:`records` reads a whole record field by field; the same field gives its JSON Schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..datafile import describe
from ..errors import FieldProblem
from ..language.engine import Fact

FIELD_TYPES = ("text", "integer", "boolean", "codes")
ATTRIBUTE_TYPES = ("integer", "code")


@dataclass(frozen=True)
class Attribute:
    """An attribute of the items of a list field (a condition's severity): the fact it gives and its codes."""

    name: str
    type: str
    fact: str
    description: str = ""
    minimum: int | None = None
    maximum: int | None = None
    codes: Mapping[str, str] = field(default_factory=dict)
    required_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldSpec:
    """One field of the record as the vocabulary describes it: its type, bounds, codes and fact."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    fact: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    at_most: str | None = None
    codes: Mapping[str, str] = field(default_factory=dict)
    attributes: tuple[Attribute, ...] = ()


MAX_PROBLEMS = 20
"""Problems listed for one record; any beyond are counted in one last problem."""

MAX_SHOWN_DIGITS = 40
"""Longest number quoted in a message; a longer one is shown by its digit count."""


@dataclass(frozen=True)
class _Omitted(FieldProblem):
    """Stands for ``count`` problems of one kind that were counted but not listed."""

    count: int = 0


def in_sentence(label: str) -> str:
    """A label's first letter in lower case, unless the first word is an abbreviation (NSAIDs)."""
    first = label.split(" ", 1)[0]
    return label if first[1:2].isupper() else label[:1].lower() + label[1:]


def capped(problems: list[FieldProblem]) -> list[FieldProblem]:
    """The first :data:`MAX_PROBLEMS` problems, then one saying how many more were found."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = sum(problem.count if isinstance(problem, _Omitted) else 1 for problem in problems[MAX_PROBLEMS:])
    return [*problems[:MAX_PROBLEMS], FieldProblem("", f"and {more} more problems not listed")]


def unknown_fields(prefix: str, names: list[Any], allowed: str, problems: list[FieldProblem]) -> None:
    """One problem per unknown field name, up to the cap; the rest are counted in one more problem."""
    for name in names[:MAX_PROBLEMS]:
        problems.append(FieldProblem(prefix + _printable(str(name)), f"unknown field; allowed: {allowed}"))
    if len(names) > MAX_PROBLEMS:
        more = len(names) - MAX_PROBLEMS
        problems.append(_Omitted(prefix.rstrip("."), f"and {more} more unknown fields", more))


def _lone_surrogate(text: str) -> int | None:
    """Where ``text`` holds half of a UTF-16 pair (JSON allows ``"\\ud800"``), which no output can encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None


def _printable(text: str) -> str:
    """``text`` with lone surrogates written as escapes, so a message about it can be printed."""
    return text if _lone_surrogate(text) is None else text.encode("utf-8", "backslashreplace").decode("utf-8")


def shown_number(value: int | float) -> str:
    text = str(value)
    return text if len(text) <= MAX_SHOWN_DIGITS else f"of {len(text.lstrip('-'))} digits"


def _read_integer(
    path: str, value: Any, minimum: int | None, maximum: int | None, problems: list[FieldProblem]
) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            problems.append(FieldProblem(path, f"must be a whole number, not {describe(value, shown_number)}"))
            return None
    if minimum is not None and value < minimum:
        problems.append(
            FieldProblem(
                path, f"{shown_number(value)} is below the minimum {minimum}; allowed: {_range(minimum, maximum)}"
            )
        )
        return None
    if maximum is not None and value > maximum:
        problems.append(
            FieldProblem(
                path, f"{shown_number(value)} is above the maximum {maximum}; allowed: {_range(minimum, maximum)}"
            )
        )
        return None
    return int(value)


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{minimum} to {maximum}"
    return f"at least {minimum}" if minimum is not None else f"at most {maximum}"


def read_field(spec: FieldSpec, value: Any, numbers: dict[str, int], problems: list[FieldProblem]) -> list[Fact]:
    """The facts of one field; a valid integer is also kept in ``numbers`` for the cross-field checks."""
    if spec.type == "text":
        if not isinstance(value, str) or not value.strip():
            problems.append(FieldProblem(spec.name, f"must be non-empty text, not {describe(value, shown_number)}"))
        elif (position := _lone_surrogate(value)) is not None:
            problems.append(
                FieldProblem(spec.name, f"is not valid Unicode text: a lone surrogate at character {position + 1}")
            )
        return []
    if spec.type == "boolean":
        if not isinstance(value, bool):
            problems.append(FieldProblem(spec.name, f"must be true or false, not {describe(value, shown_number)}"))
            return []
        return [Fact(spec.fact, ())] if value and spec.fact else []
    if spec.type == "integer":
        number = _read_integer(spec.name, value, spec.minimum, spec.maximum, problems)
        if number is None:
            return []
        numbers[spec.name] = number
        return [Fact(spec.fact, (number,))] if spec.fact else []
    return _read_codes(spec, value, problems)


def _read_codes(spec: FieldSpec, value: Any, problems: list[FieldProblem]) -> list[Fact]:
    if not isinstance(value, list):
        problems.append(FieldProblem(spec.name, f"must be a list of codes, not {describe(value, shown_number)}"))
        return []
    if len(value) > len(spec.codes):
        problems.append(
            FieldProblem(
                spec.name,
                f"lists {len(value)} items, but there are only {len(spec.codes)} codes and each may be listed once",
            )
        )
        return []
    facts: list[Fact] = []
    seen: set[str] = set()
    attribute_names = [attribute.name for attribute in spec.attributes]
    for index, item in enumerate(value):
        path = f"{spec.name}[{index}]"
        attributes: dict[str, Any] = {}
        if isinstance(item, dict):
            unknown = [key for key in item if key != "code" and key not in attribute_names]
            unknown_fields(f"{path}.", unknown, ", ".join(["code", *attribute_names]), problems)
            code = item.get("code")
            attributes = {key: item[key] for key in attribute_names if item.get(key) is not None}
            if code is None:
                problems.append(FieldProblem(path, "an object item needs a code"))
                continue
            path_of_code = f"{path}.code"
        else:
            code, path_of_code = item, path
        if not isinstance(code, str) or code not in spec.codes:
            shown = repr(code) if isinstance(code, str) else describe(code, shown_number)
            problems.append(
                FieldProblem(path_of_code, f"{shown} is not a known code; allowed: {', '.join(spec.codes)}")
            )
            continue
        if code in seen:
            problems.append(FieldProblem(path_of_code, f"{code} is listed twice"))
            continue
        seen.add(code)
        facts.append(Fact(spec.fact or spec.name, (code,)))
        for attribute in spec.attributes:
            if attribute.name not in attributes:
                if code in attribute.required_for:
                    problems.append(
                        FieldProblem(f"{path}.{attribute.name}", f"is required for {code}: {attribute.description}")
                    )
                continue
            attribute_value = attributes[attribute.name]
            attribute_path = f"{path}.{attribute.name}"
            if attribute.type == "integer":
                number = _read_integer(attribute_path, attribute_value, attribute.minimum, attribute.maximum, problems)
                if number is not None:
                    facts.append(Fact(attribute.fact, (code, number)))
            elif not isinstance(attribute_value, str) or attribute_value not in attribute.codes:
                shown = (
                    repr(attribute_value)
                    if isinstance(attribute_value, str)
                    else describe(attribute_value, shown_number)
                )
                problems.append(
                    FieldProblem(attribute_path, f"{shown} is not allowed; allowed: {', '.join(attribute.codes)}")
                )
            else:
                facts.append(Fact(attribute.fact, (code, attribute_value)))
    return facts


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": spec.description} if spec.description else {}
    if spec.type == "text":
        schema.update(type="string", minLength=1)
    elif spec.type == "boolean":
        schema["type"] = "boolean"
    elif spec.type == "integer":
        schema["type"] = "integer"
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    else:
        code_schema = {"type": "string", "enum": list(spec.codes)}
        item_schema: dict[str, Any] = code_schema
        if spec.attributes:
            attribute_properties: dict[str, Any] = {"code": code_schema}
            for attribute in spec.attributes:
                if attribute.type == "integer":
                    attribute_schema: dict[str, Any] = {"type": "integer"}
                    if attribute.minimum is not None:
                        attribute_schema["minimum"] = attribute.minimum
                    if attribute.maximum is not None:
                        attribute_schema["maximum"] = attribute.maximum
                else:
                    attribute_schema = {"type": "string", "enum": list(attribute.codes)}
                attribute_schema["description"] = attribute.description
                attribute_properties[attribute.name] = attribute_schema
            item_schema = {
                "oneOf": [
                    code_schema,
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["code"],
                        "properties": attribute_properties,
                    },
                ]
            }
        schema.update(type="array", uniqueItems=True, items=item_schema)
        schema["x-codes"] = dict(spec.codes)
    return schema
