"""Parse a subject's JSON or YAML text strictly, so hostile text is an error, never a crash.

The standard parsers accept things a record must not be: a key given twice is silently
taken last-wins (``"age": 45, "age": 70`` would make a 45-year-old 70), nesting deep
enough to exhaust the stack, integers too long to convert, YAML aliases that expand
a few lines into billions of nodes, and bytes that are not UTF-8. Each of these becomes
a :class:`TextProblem` with the line and column where it is known; the callers
(:mod:`reasoner.inputs`) turn it into a :class:`~reasoner.errors.RecordError` naming
the file or the cohort line.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import Any

from ..datafile import nesting_depth

MAX_NESTING = 64
"""Deepest nesting of lists and objects a subject may have. A record needs three levels,
a FHIR Bundle about ten; the limit keeps every later step (validation, sending a record
to a worker process) far from Python's recursion limit."""


class TextProblem(ValueError):
    """Text that cannot be a subject: what is wrong, and where when the parser knows it."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def decode_utf8(data: bytes) -> str:
    """``data`` as UTF-8 text; a byte that is not UTF-8 is a TextProblem naming its line and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise TextProblem(
            f"invalid UTF-8: byte 0x{data[error.start]:02x} is not UTF-8 text; save the file as UTF-8", line, column
        ) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise TextProblem(f"key {key!r} is given twice; each key may appear once in an object")
        result[key] = value
    return result


def load_json(text: str) -> Any:
    """The value of JSON ``text``, refusing duplicate keys, deep nesting and oversized integers."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise TextProblem(f"invalid JSON: {error.msg}", error.lineno, error.colno) from None
    except RecursionError:
        raise TextProblem(f"invalid JSON: nested more than {MAX_NESTING} levels deep") from None
    except TextProblem:
        raise
    except ValueError as error:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        raise TextProblem(f"invalid JSON: {_value_error(error)}") from None
    check_nesting(value)
    return value


def load_yaml(text: str) -> Any:
    """The value of YAML ``text`` (safe loader: plain values only), with the same refusals as JSON,
    and no aliases (``*name``): a record never needs them, and they can multiply a few lines
    into billions of nodes."""
    import yaml

    loader = _strict_loader()(text)
    try:
        value = loader.get_single_data()
    except TextProblem:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        reason = error.problem or str(error)
        raise TextProblem(
            f"invalid YAML: {reason}", mark.line + 1 if mark else None, mark.column + 1 if mark else None
        ) from None
    except yaml.YAMLError as error:
        raise TextProblem(f"invalid YAML: {_first_line(error)}") from None
    except RecursionError:
        raise TextProblem(f"invalid YAML: nested more than {MAX_NESTING} levels deep") from None
    except ValueError as error:
        raise TextProblem(f"invalid YAML: {_value_error(error)}") from None
    finally:
        loader.dispose()
    check_nesting(value)
    return value


def check_nesting(value: Any) -> None:
    """Refuse a value nested deeper than :data:`MAX_NESTING` (walked without recursion)."""
    if nesting_depth(value, MAX_NESTING) > MAX_NESTING:
        raise TextProblem(f"nested more than {MAX_NESTING} levels deep")


def _value_error(error: ValueError) -> str:
    """What a parser's ValueError means; Python refuses to convert integers of too many digits."""
    if "integer string conversion" in str(error):
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    return _first_line(error)


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


@cache
def _strict_loader() -> Any:
    """The loader class, made on first use so that PyYAML is imported only when YAML is read."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """PyYAML's safe loader without aliases and without duplicate keys."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise TextProblem(
                    "invalid YAML: aliases (*name) are not allowed in a record", mark.line + 1, mark.column + 1
                )
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _value_node in node.value:
                key = key_node.value
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                if key in seen:
                    mark = key_node.start_mark
                    raise TextProblem(
                        f"key {key!r} is given twice; each key may appear once in a mapping",
                        mark.line + 1,
                        mark.column + 1,
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader
