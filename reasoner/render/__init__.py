"""Renderers at the edge: one explanation or answer value, several readers.

Each explanation renderer reads the values of :mod:`..explain.explanation` and nothing
else; none of them queries the session or re-derives a step, so every format says the
same thing. Answers, cohort summaries and knowledge-base listings are rendered here too
(:mod:`.answer`, :mod:`.cohort`, :mod:`.listing`), as :class:`.lines.Line` trees that
:mod:`.terminal` writes plainly or in colour.
"""

from .graph import render_dot, render_mermaid
from .json import SCHEMA_ID, render_json
from .sentence import render_sentence
from .text import render_text

__all__ = ["SCHEMA_ID", "render_dot", "render_json", "render_mermaid", "render_sentence", "render_text"]
