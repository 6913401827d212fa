"""A picture of a derivation: Graphviz DOT and Mermaid flowchart text.

Node ids are ``n0``, ``n1`` … in pre-order, so the same proof always gives the same
text. Shapes tell the kinds apart: derived facts are boxes, facts of the record and of
the knowledge base are rounded, comparisons and assignments are ellipses, negated
literals are dashed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from reasoner.explanation import Absence, Check, Proof, Step
from reasoner.render.words import SOURCE_WORDS, rule_label


@dataclass(frozen=True)
class _Node:
    node_id: str
    lines: tuple[str, ...]
    shape: str
    parent: str | None


def _nodes(proof: Proof) -> Iterator[_Node]:
    counter = 0

    def walk(step: Step, parent: str | None) -> Iterator[_Node]:
        nonlocal counter
        node_id = f"n{counter}"
        counter += 1
        if isinstance(step, Proof):
            if step.source == "rule" and step.rule is not None:
                yield _Node(node_id, (str(step.fact), rule_label(step.rule)), "derived", parent)
            else:
                label = SOURCE_WORDS[step.source]
                if step.rule is not None and step.rule.rule_id:
                    label += f" {step.rule.rule_id}"
                yield _Node(node_id, (str(step.fact), label), "leaf", parent)
            for child in step.steps:
                yield from walk(child, node_id)
        elif isinstance(step, Check):
            yield _Node(node_id, (str(step.instantiated), f"{step.kind} {step.literal}"), "check", parent)
        else:
            yield _Node(node_id, _absence_lines(step), "negation", parent)

    yield from walk(proof, None)


def _absence_lines(step: Absence) -> tuple[str, ...]:
    return (str(step.literal), f"{step.fact} does not hold")


_DOT_SHAPES = {
    "derived": "shape=box",
    "leaf": 'shape=box, style="rounded"',
    "check": "shape=ellipse",
    "negation": 'shape=box, style="dashed"',
}


def render_dot(proof: Proof) -> str:
    """Graphviz DOT text: ``dot -Tsvg`` draws the derivation top-down."""
    lines = ["digraph proof {", "  rankdir=TB;", '  node [fontname="Helvetica"];']
    edges: list[str] = []
    for node in _nodes(proof):
        label = "\\n".join(_dot_escape(line) for line in node.lines)
        lines.append(f'  {node.node_id} [label="{label}", {_DOT_SHAPES[node.shape]}];')
        if node.parent is not None:
            edges.append(f"  {node.parent} -> {node.node_id};")
    return "\n".join(lines + edges + ["}"]) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


_MERMAID_SHAPES = {"derived": ('["', '"]'), "leaf": ('("', '")'), "check": ('(["', '"])'), "negation": ('[/"', '"/]')}


def render_mermaid(proof: Proof) -> str:
    """Mermaid flowchart text, for Markdown pages that render diagrams."""
    lines = ["flowchart TD"]
    edges: list[str] = []
    for node in _nodes(proof):
        opening, closing = _MERMAID_SHAPES[node.shape]
        label = "<br/>".join(_mermaid_escape(line) for line in node.lines)
        lines.append(f"  {node.node_id}{opening}{label}{closing}")
        if node.parent is not None:
            edges.append(f"  {node.parent} --> {node.node_id}")
    return "\n".join(lines + edges) + "\n"


def _mermaid_escape(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
