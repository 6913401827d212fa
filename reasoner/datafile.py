"""Read YAML and JSON data files safely, remembering where every value was written.

Knowledge-base data (manifest, evidence, record vocabularies) is YAML. It is read with
PyYAML's safe loader, which builds only plain values and never Python objects, and the
node tree is kept so a later check can say ``evidence.yaml:12:3: ref3.quality: …``.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    positions: dict[PathKey, SourcePosition] = field(default_factory=dict)

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
    result = DataFile(name, None)
    try:
        node = loader.get_single_node()
        result.data = loader.construct_document(node) if node is not None else None
        if node is not None:
            for key_path, mark in _walk(node, ()):
                result.positions[key_path] = SourcePosition(name, mark.line + 1, mark.column + 1)
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
