"""A picture of a derivation: Graphviz DOT and Mermaid flowchart text.

Node ids are ``n0``, ``n1`` … in pre-order, so the same proof always gives the same
text. Shapes tell the kinds apart: derived facts are boxes, facts of the record and of
the knowledge base are rounded, comparisons and assignments are ellipses, negated
literals are dashed.

A why-not draws the same way: the absent fact (dashed), one box per rule that could
conclude it with its failing literal, and under it the failures, each with the proof
that blocks it or the nested why-not.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..explain.explanation import Absence, Check, Explanation, Proof, Step, WhyNot
from ..language.program import Rule
from .words import SOURCE_WORDS, WHY_NOT_WORDS, failure_words


@dataclass(frozen=True)
class _Node:
    node_id: str
    lines: tuple[str, ...]
    shape: str
    parent: str | None


class _Graph:
    """The nodes of one explanation in pre-order, each knowing its parent."""

    def __init__(self) -> None:
        self.nodes: list[_Node] = []

    def add(self, lines: tuple[str, ...], shape: str, parent: str | None) -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes.append(_Node(node_id, lines, shape, parent))
        return node_id

    def step(self, step: Step, parent: str | None) -> None:
        if isinstance(step, Proof):
            if step.source == "rule" and step.rule is not None:
                node_id = self.add((str(step.fact), _rule_name(step.rule)), "derived", parent)
            else:
                label = SOURCE_WORDS[step.source]
                if step.rule is not None and step.rule.rule_id:
                    label += f" {step.rule.rule_id}"
                node_id = self.add((str(step.fact), label), "leaf", parent)
            for child in step.steps:
                self.step(child, node_id)
        elif isinstance(step, Check):
            self.add((str(step.instantiated), f"{step.kind} {step.literal}"), "check", parent)
        else:
            self.add(_absence_lines(step), "negation", parent)

    def why_not(self, explanation: WhyNot, parent: str | None) -> None:
        node_id = self.add((str(explanation.fact), WHY_NOT_WORDS[explanation.kind]), "negation", parent)
        for rule in explanation.related:
            self.add((str(rule.head), _rule_name(rule)), "leaf", node_id)
        for attempt in explanation.attempts:
            where = f"fails at {attempt.literal}" if attempt.literal is not None else "body holds"
            attempt_id = self.add((_rule_name(attempt.rule), where), "derived", node_id)
            for failure in attempt.failures:
                failure_id = self.add((failure_words(failure, attempt.bindings),), "check", attempt_id)
                if failure.proof is not None:
                    self.step(failure.proof, failure_id)
                if failure.why_not is not None and failure.why_not.attempts:
                    self.why_not(failure.why_not, failure_id)


def _nodes(explanation: Explanation) -> list[_Node]:
    graph = _Graph()
    if isinstance(explanation, Proof):
        graph.step(explanation, None)
    else:
        graph.why_not(explanation, None)
    return graph.nodes


def _rule_name(rule: Rule) -> str:
    """A rule's id, or its Datalog when it has none: a picture has no room for both."""
    return f"rule {rule.rule_id}" if rule.rule_id else str(rule)


def _absence_lines(step: Absence) -> tuple[str, ...]:
    return (str(step.literal), f"{step.fact} does not hold")


_DOT_SHAPES = {
    "derived": "shape=box",
    "leaf": 'shape=box, style="rounded"',
    "check": "shape=ellipse",
    "negation": 'shape=box, style="dashed"',
}


def render_dot(explanation: Explanation) -> str:
    """Graphviz DOT text: ``dot -Tsvg`` draws the derivation (or the failed attempts) top-down."""
    lines = ["digraph proof {", "  rankdir=TB;", '  node [fontname="Helvetica"];']
    edges: list[str] = []
    for node in _nodes(explanation):
        label = "\\n".join(_dot_escape(line) for line in node.lines)
        lines.append(f'  {node.node_id} [label="{label}", {_DOT_SHAPES[node.shape]}];')
        if node.parent is not None:
            edges.append(f"  {node.parent} -> {node.node_id};")
    return "\n".join(lines + edges + ["}"]) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


_MERMAID_SHAPES = {"derived": ('["', '"]'), "leaf": ('("', '")'), "check": ('(["', '"])'), "negation": ('[/"', '"/]')}


def render_mermaid(explanation: Explanation) -> str:
    """Mermaid flowchart text, for Markdown pages that render diagrams."""
    lines = ["flowchart TD"]
    edges: list[str] = []
    for node in _nodes(explanation):
        opening, closing = _MERMAID_SHAPES[node.shape]
        label = "<br/>".join(_mermaid_escape(line) for line in node.lines)
        lines.append(f"  {node.node_id}{opening}{label}{closing}")
        if node.parent is not None:
            edges.append(f"  {node.parent} --> {node.node_id}")
    return "\n".join(lines + edges) + "\n"


def _mermaid_escape(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
