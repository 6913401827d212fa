"""Renderers at the edge: one explanation value, several readers.

Each renderer reads the values of :mod:`reasoner.explanation` and nothing else; none
of them queries the session or re-derives a step, so every format says the same thing.
"""

from reasoner.render.graph import render_dot, render_mermaid
from reasoner.render.json import SCHEMA_ID, render_json
from reasoner.render.sentence import render_sentence
from reasoner.render.text import render_text

__all__ = ["SCHEMA_ID", "render_dot", "render_json", "render_mermaid", "render_sentence", "render_text"]
