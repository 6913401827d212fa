"""Input records: validate one subject's record and turn it into the program's input facts.

A knowledge base describes its record as data (``record.yaml``): the fields, their types
and limits, the code lists with their meanings, and which ``.input`` predicate each field
becomes. This module is the one place where a record turns into facts, and it says
exactly what is wrong with a bad record: the field path, what was found, what is allowed.
Unknown fields and unknown codes are errors; nothing is guessed and nothing is dropped.

Field types:

``text``     a string (the subject's identifier); no fact
``integer``  a whole number within ``minimum``..``maximum`` (and at most another field,
             with ``at_most``) → ``fact(value)``
``boolean``  true or false → the 0-ary ``fact`` when true
``codes``    a list of distinct codes, each a bare string or ``{code: …, attribute: …}``
             → ``fact(code)``, and ``attribute_fact(code, value)`` per attribute
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..datafile import DataFile
from ..errors import FieldProblem, KnowledgeBaseError, Problem, RecordError
from ..language.engine import Fact
from ..language.program import Program

FIELD_TYPES = ("text", "integer", "boolean", "codes")
ATTRIBUTE_TYPES = ("integer", "code")


@dataclass(frozen=True)
class Attribute:
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


@dataclass(frozen=True)
class RecordSpec:
    """What a valid record looks like and which facts it becomes."""

    title: str
    identifier: str
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == name), None)

    def read(self, record: Any, source: str = "") -> Record:
        """Validate ``record`` (parsed JSON or YAML) and return its facts, or raise RecordError.

        At most :data:`MAX_PROBLEMS` problems are listed, then how many more there were:
        a list of five million bad items is one short error, not five million lines.
        """
        problems: list[FieldProblem] = []
        if not isinstance(record, dict):
            raise RecordError(
                [FieldProblem("", f"a record is a JSON object of fields, not {_describe(record)}")], source
            )
        allowed = ", ".join(spec.name for spec in self.fields)
        _unknown_fields("", [name for name in record if self.field(str(name)) is None], allowed, problems)
        facts: list[Fact] = []
        numbers: dict[str, int] = {}
        for spec in self.fields:
            if spec.name not in record or record[spec.name] is None:
                if spec.required:
                    problems.append(FieldProblem(spec.name, f"is required: {spec.description or spec.type}"))
                continue
            facts += _read_field(spec, record[spec.name], numbers, problems)
        problems += self._cross_field_problems(numbers, {problem.field for problem in problems})
        if problems:
            raise RecordError(_capped(problems), source)
        identifier = record.get(self.identifier)
        return Record(str(identifier) if identifier is not None else "", tuple(facts))

    def _cross_field_problems(self, numbers: dict[str, int], invalid: set[str]) -> list[FieldProblem]:
        """``at_most`` limits between two fields, checked only when both fields are valid on their own.

        The values compared are the validated whole numbers, so ``11.0`` is held to the
        limit exactly as ``11`` is.
        """
        problems: list[FieldProblem] = []
        for spec in self.fields:
            if spec.at_most is None or spec.name in invalid or spec.at_most in invalid:
                continue
            value, bound = numbers.get(spec.name), numbers.get(spec.at_most)
            if value is not None and bound is not None and value > bound:
                problems.append(
                    FieldProblem(spec.name, f"{value} is more than {spec.at_most} ({bound}); it cannot exceed it")
                )
        return problems

    def check_against(self, program: Program, data_file: DataFile) -> list[Problem]:
        """Every fact a record can produce must be a declared ``.input`` of the right arity."""
        inputs = program.inputs()
        problems: list[Problem] = []
        for spec in self.fields:
            expected = {"integer": 1, "boolean": 0, "codes": 1}.get(spec.type)
            if spec.fact is not None and expected is not None and (spec.fact, expected) not in inputs:
                problems.append(
                    data_file.problem(
                        ("fields", spec.name, "fact"),
                        f"{spec.fact}/{expected} is not declared .input in the rules",
                        "record",
                    )
                )
            for attribute in spec.attributes:
                if (attribute.fact, 2) not in inputs:
                    problems.append(
                        data_file.problem(
                            ("fields", spec.name, "attributes", attribute.name, "fact"),
                            f"{attribute.fact}/2 is not declared .input in the rules",
                            "record",
                        )
                    )
        return problems

    def json_schema(self) -> dict[str, Any]:
        """The record as a JSON Schema (draft 2020-12), for other programs and for docs."""
        properties: dict[str, Any] = {}
        for spec in self.fields:
            properties[spec.name] = _field_schema(spec)
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.title,
            "type": "object",
            "additionalProperties": False,
            "required": [spec.name for spec in self.fields if spec.required],
            "properties": properties,
        }


@dataclass(frozen=True)
class Record:
    """A validated record: the subject's identifier and the input facts it becomes."""

    identifier: str
    facts: tuple[Fact, ...]


MAX_PROBLEMS = 20
"""Problems listed for one record; any beyond are counted in one last problem."""

MAX_SHOWN_DIGITS = 40
"""Longest number quoted in a message; a longer one is shown by its digit count."""


@dataclass(frozen=True)
class _Omitted(FieldProblem):
    """Stands for ``count`` problems of one kind that were counted but not listed."""

    count: int = 0


def _capped(problems: list[FieldProblem]) -> list[FieldProblem]:
    """The first :data:`MAX_PROBLEMS` problems, then one saying how many more were found."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = sum(problem.count if isinstance(problem, _Omitted) else 1 for problem in problems[MAX_PROBLEMS:])
    return [*problems[:MAX_PROBLEMS], FieldProblem("", f"and {more} more problems not listed")]


def _unknown_fields(prefix: str, names: list[Any], allowed: str, problems: list[FieldProblem]) -> None:
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


def _number(value: int | float) -> str:
    text = str(value)
    return text if len(text) <= MAX_SHOWN_DIGITS else f"of {len(text.lstrip('-'))} digits"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, int | float):
        return f"number {_number(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def _read_integer(
    path: str, value: Any, minimum: int | None, maximum: int | None, problems: list[FieldProblem]
) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            problems.append(FieldProblem(path, f"must be a whole number, not {_describe(value)}"))
            return None
    if minimum is not None and value < minimum:
        problems.append(
            FieldProblem(path, f"{_number(value)} is below the minimum {minimum}; allowed: {_range(minimum, maximum)}")
        )
        return None
    if maximum is not None and value > maximum:
        problems.append(
            FieldProblem(path, f"{_number(value)} is above the maximum {maximum}; allowed: {_range(minimum, maximum)}")
        )
        return None
    return int(value)


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{minimum} to {maximum}"
    return f"at least {minimum}" if minimum is not None else f"at most {maximum}"


def _read_field(spec: FieldSpec, value: Any, numbers: dict[str, int], problems: list[FieldProblem]) -> list[Fact]:
    """The facts of one field; a valid integer is also kept in ``numbers`` for the cross-field checks."""
    if spec.type == "text":
        if not isinstance(value, str) or not value.strip():
            problems.append(FieldProblem(spec.name, f"must be non-empty text, not {_describe(value)}"))
        elif (position := _lone_surrogate(value)) is not None:
            problems.append(
                FieldProblem(spec.name, f"is not valid Unicode text: a lone surrogate at character {position + 1}")
            )
        return []
    if spec.type == "boolean":
        if not isinstance(value, bool):
            problems.append(FieldProblem(spec.name, f"must be true or false, not {_describe(value)}"))
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
        problems.append(FieldProblem(spec.name, f"must be a list of codes, not {_describe(value)}"))
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
            _unknown_fields(f"{path}.", unknown, ", ".join(["code", *attribute_names]), problems)
            code = item.get("code")
            attributes = {key: item[key] for key in attribute_names if item.get(key) is not None}
            if code is None:
                problems.append(FieldProblem(path, "an object item needs a code"))
                continue
            path_of_code = f"{path}.code"
        else:
            code, path_of_code = item, path
        if not isinstance(code, str) or code not in spec.codes:
            shown = repr(code) if isinstance(code, str) else _describe(code)
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
                shown = repr(attribute_value) if isinstance(attribute_value, str) else _describe(attribute_value)
                problems.append(
                    FieldProblem(attribute_path, f"{shown} is not allowed; allowed: {', '.join(attribute.codes)}")
                )
            else:
                facts.append(Fact(attribute.fact, (code, attribute_value)))
    return facts


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
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


def read_spec(data_file: DataFile) -> RecordSpec:
    """Read and check ``record.yaml``; every problem names file:line:col."""
    data = data_file.data
    problems: list[Problem] = []
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise KnowledgeBaseError([data_file.problem((), "a record spec has a title, an identifier and fields")])
    fields: list[FieldSpec] = []
    for name, raw in data["fields"].items():
        path: tuple[str | int, ...] = ("fields", str(name))
        if not isinstance(raw, dict) or raw.get("type") not in FIELD_TYPES:
            problems.append(data_file.problem(path, f"type must be one of {', '.join(FIELD_TYPES)}", "record"))
            continue
        attributes: list[Attribute] = []
        for attribute_name, attribute_raw in (raw.get("attributes") or {}).items():
            if not isinstance(attribute_raw, dict) or attribute_raw.get("type") not in ATTRIBUTE_TYPES:
                problems.append(
                    data_file.problem(
                        (*path, "attributes", str(attribute_name)),
                        f"type must be one of {', '.join(ATTRIBUTE_TYPES)}",
                        "record",
                    )
                )
                continue
            attributes.append(
                Attribute(
                    name=str(attribute_name),
                    type=attribute_raw["type"],
                    fact=str(attribute_raw.get("fact", attribute_name)),
                    description=str(attribute_raw.get("description", "")),
                    minimum=attribute_raw.get("minimum"),
                    maximum=attribute_raw.get("maximum"),
                    codes=_codes(attribute_raw.get("codes")),
                    required_for=tuple(attribute_raw.get("required_for") or ()),
                )
            )
        fields.append(
            FieldSpec(
                name=str(name),
                type=raw["type"],
                description=str(raw.get("description", "")),
                required=bool(raw.get("required", False)),
                fact=raw.get("fact"),
                minimum=raw.get("minimum"),
                maximum=raw.get("maximum"),
                at_most=raw.get("at_most"),
                codes=_codes(raw.get("codes")),
                attributes=tuple(attributes),
            )
        )
    identifier = str(data.get("identifier", "id"))
    if not any(spec.name == identifier and spec.type == "text" for spec in fields):
        problems.append(data_file.problem(("identifier",), f"identifier {identifier!r} must be a text field", "record"))
    if problems:
        raise KnowledgeBaseError(problems)
    return RecordSpec(str(data.get("title", "Record")), identifier, tuple(fields))


def _codes(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(code): str(meaning) for code, meaning in raw.items()}
    if isinstance(raw, list):
        return {str(code): "" for code in raw}
    return {}
