"""Writing lines to a stream: plain indented text when piped, a coloured tree on a terminal.

rich is imported only when the stream is a terminal, so scripts and pipes never pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import IO

from .lines import Line


def on_terminal(stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (standard output by default) is an interactive terminal."""
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def write_lines(lines: Iterable[Line], stream: IO[str] | None = None) -> None:
    """Plain indented text when ``stream`` is not a terminal; a rich tree, one per top-level line, when it is."""
    stream = stream or sys.stdout
    if not on_terminal(stream):
        for line in lines:
            stream.write("  " * line.depth + line.text + "\n")
        stream.flush()
        return
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    console = Console(file=stream, force_terminal=None, highlight=False)
    stack: list[Tree] = []
    for line in lines:
        text = Text(line.text, style=line.style)
        if line.depth == 0 or not stack:
            if stack:
                console.print(stack[0])
            stack = [Tree(text, guide_style="dim")]
            continue
        del stack[line.depth :]
        stack.append(stack[-1].add(text))
    if stack:
        console.print(stack[0])
