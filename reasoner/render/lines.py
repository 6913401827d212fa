"""Text output as a tree of lines: each line knows its depth and a style for terminals.

Renderers of answers and knowledge-base listings produce :class:`Line` values; the
terminal writer (:mod:`.terminal`) decides whether they become plain indented text or a
coloured tree, so no renderer needs to know where its output goes.
"""

from __future__ import annotations

from typing import NamedTuple


class Line(NamedTuple):
    """One line of text output: its depth in the tree, its text and a rich style for terminals."""

    depth: int
    text: str
    style: str = ""


def plain(lines: list[Line] | tuple[Line, ...]) -> str:
    """The lines as plain text, two spaces of indentation per level, one per line."""
    return "".join("  " * line.depth + line.text + "\n" for line in lines)
