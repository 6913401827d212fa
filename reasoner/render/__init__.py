"""Renderers at the edge: one explanation or answer value, several readers.

Each explanation renderer reads the values of :mod:`..explain.explanation` and nothing
else; none of them queries the session or re-derives a step, so every format says the
same thing. Answers, cohort summaries and knowledge-base listings are rendered here too
(:mod:`.answer`, :mod:`.cohort`, :mod:`.listing`), as :class:`.lines.Line` trees that
:mod:`.terminal` writes plainly or in colour.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .decisive import render_decisive
    from .graph import render_dot, render_mermaid
    from .json import SCHEMA_ID, render_json
    from .sentence import render_sentence
    from .text import render_text

# Loaded on first use: rendering an answer needs none of the explanation renderers.
_HOMES = {
    "render_decisive": ".decisive",
    "render_dot": ".graph",
    "render_mermaid": ".graph",
    "SCHEMA_ID": ".json",
    "render_json": ".json",
    "render_sentence": ".sentence",
    "render_text": ".text",
}

__all__ = [
    "SCHEMA_ID",
    "render_decisive",
    "render_dot",
    "render_json",
    "render_mermaid",
    "render_sentence",
    "render_text",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value
