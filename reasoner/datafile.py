"""Read YAML and JSON data files safely, remembering where every value was written.

Knowledge-base data (manifest, evidence, record vocabularies) is YAML. It is read with
PyYAML's safe loader, which builds only plain values and never Python objects, and the
node tree is kept so a later check can say ``evidence.yaml:12:3: ref3.quality: …``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import KnowledgeBaseError, Problem, SourcePosition

PathKey = tuple[str | int, ...]


@dataclass
class DataFile:
    """A parsed data file: its value and the position of every key and item in it."""

    name: str
    data: Any
    positions: Mapping[PathKey, SourcePosition] = field(default_factory=dict)
    """Read only to point at a problem: a cached knowledge base decodes them at the first look."""

    def position(self, path: PathKey) -> SourcePosition:
        """Position of the value at ``path``, or of its closest enclosing value."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, SourcePosition(self.name, 1, 1))

    def problem(self, path: PathKey, message: str, check: str = "data") -> Problem:
        return Problem(self.position(path), check, f"{format_path(path)}: {message}" if path else message)


def format_path(path: PathKey) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(path: Path, display_name: str | None = None) -> DataFile:
    import yaml

    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeBaseError([Problem(SourcePosition(name, 0, 0), "read", f"cannot read file: {error}")]) from None
    loader = yaml.SafeLoader(text)
    positions: dict[PathKey, SourcePosition] = {}
    result = DataFile(name, None, positions)
    try:
        node = loader.get_single_node()
        result.data = loader.construct_document(node) if node is not None else None
        if node is not None:
            for key_path, mark in _walk(node, ()):
                positions[key_path] = SourcePosition(name, mark.line + 1, mark.column + 1)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        position = SourcePosition(name, mark.line + 1, mark.column + 1) if mark else SourcePosition(name, 1, 1)
        reason = getattr(error, "problem", None) or str(error)
        raise KnowledgeBaseError([Problem(position, "syntax", f"invalid YAML: {reason}")]) from None
    except (RecursionError, ValueError) as error:
        # Nesting deeper than the parser's stack, or an integer longer than Python converts.
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error).splitlines()[0]
        raise KnowledgeBaseError([Problem(SourcePosition(name, 1, 1), "syntax", f"invalid YAML: {reason}")]) from None
    finally:
        loader.dispose()
    return result


def _walk(node: Any, path: PathKey) -> Iterator[tuple[PathKey, Any]]:
    import yaml

    yield path, node.start_mark
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            yield from _walk(value_node, (*path, key))
            yield (*path, key), key_node.start_mark  # a key's own line wins over its value's
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index))


def validate(data_file: DataFile, model: Any, check: str = "data", at: PathKey = ()) -> Any:
    """Validate ``data_file.data`` (or its part at ``at``) with a pydantic model or ``TypeAdapter``.

    pydantic checks the shape (fields, types, allowed values) and builds the typed value;
    each of its errors is turned into a :class:`Problem` at the YAML position of the
    error's ``loc``, worded like the rest of the library: the path, what was found, what
    is allowed. pydantic is imported here, when a data file is read, never at start-up.
    """
    from pydantic import TypeAdapter, ValidationError

    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    data = data_file.data
    for part in at:
        data = data.get(part) if isinstance(data, dict) else None
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        schema = adapter.json_schema()
        found: dict[PathKey, list[dict[str, Any]]] = {}
        for details in error.errors(include_url=False):
            path = (*at, *_data_path(data, details["loc"], details["type"] == "missing"))
            found.setdefault(path, []).append(dict(details))
        problems = [
            _problem(data_file, path, errors, check, schema, len(at))
            for path, errors in found.items()
            for errors in _one_per_union(errors)
        ]
        raise KnowledgeBaseError(problems) from None


def _one_per_union(errors: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Type errors at one path come from the members of a union: they make one problem together."""
    typed = [details for details in errors if details["type"] in _EXPECTED]
    return ([typed] if typed else []) + [[details] for details in errors if details["type"] not in _EXPECTED]


def _problem(
    data_file: DataFile, path: PathKey, errors: list[dict[str, Any]], check: str, schema: dict[str, Any], depth: int
) -> Problem:
    details = errors[0]
    kind, value, context = details["type"], details.get("input"), details.get("ctx") or {}
    if kind == "missing" and path:
        return data_file.problem(path[:-1], f"{path[-1]} is required", check)
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(schema, path[depth:-1]))
        return data_file.problem(path, f"unknown field; allowed: {allowed}", check)
    if kind in ("literal_error", "enum"):
        allowed = ", ".join(re.findall(r"'([^']*)'", str(context.get("expected", ""))))
        return data_file.problem(path, f"{value!r} is not allowed; allowed: {allowed}", check)
    if kind == "string_too_short":
        return data_file.problem(path, "must be non-empty text", check)
    if kind in _EXPECTED:
        expected = " or ".join(dict.fromkeys(_EXPECTED[each["type"]] for each in errors))
        return data_file.problem(path, f"must be {expected}, not {describe(value)}", check)
    message = str(details["msg"]).removeprefix("Value error, ")
    if kind != "value_error":
        message = f"{message[0].lower()}{message[1:]}, not {describe(value)}"
    return data_file.problem(path, message, check)


_EXPECTED = {
    "model_type": "a mapping of fields",
    "dict_type": "a mapping",
    "list_type": "a list",
    "string_type": "text",
    "int_type": "a whole number",
    "bool_type": "true or false",
}


def _data_path(data: Any, loc: tuple[str | int, ...], missing: bool) -> PathKey:
    """The part of pydantic's ``loc`` that is a path in the data.

    pydantic also names the member of a union it tried (``str``, ``function-after[...]``)
    and a dict's keys (``[key]``); those index nothing in the data and are left out. The
    last part of a ``missing`` error stays: it names the missing field.
    """
    path: list[str | int] = []
    for index, part in enumerate(loc):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        elif not (missing and index == len(loc) - 1):
            continue
        path.append(part)
    return tuple(path)


def _fields_at(schema: dict[str, Any], path: PathKey) -> list[str]:
    """The field names the schema allows in the object at ``path`` (any member of a union)."""
    definitions = schema.get("$defs", {})

    def options(node: dict[str, Any]) -> list[dict[str, Any]]:
        if "$ref" in node:
            return options(definitions[node["$ref"].rsplit("/", 1)[-1]])
        members = node.get("anyOf") or node.get("oneOf")
        return [option for member in members for option in options(member)] if members else [node]

    nodes = options(schema)
    for part in path:
        found: list[dict[str, Any]] = []
        for node in nodes:
            if isinstance(part, int) and "items" in node:
                found += options(node["items"])
            elif isinstance(part, str) and part in node.get("properties", {}):
                found += options(node["properties"][part])
            elif isinstance(part, str) and isinstance(node.get("additionalProperties"), dict):
                found += options(node["additionalProperties"])
        nodes = found
    return list(dict.fromkeys(name for node in nodes for name in node.get("properties", {})))


def describe(value: Any, number: Callable[[int | float], str] = str) -> str:
    """A found value as an error message names it: ``text 'x'``, ``number 3``, ``a list`` ...

    ``number`` writes a number (a record's messages shorten a very long one to its digit count).
    """
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, int | float):
        return f"number {number(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def nesting_depth(value: Any, limit: int | None = None) -> int:
    """How deep ``value`` nests lists and objects (0 for a scalar, 1 for a flat list), walked without recursion.

    Parsed JSON or YAML from outside is checked with it before anything recurses into it.
    With ``limit``, the walk stops at the first container deeper than ``limit`` and returns
    its depth, so a hostile value costs no more than its first ``limit + 1`` levels.
    """
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        deepest = max(deepest, depth)
        if limit is not None and deepest > limit:
            break
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest
