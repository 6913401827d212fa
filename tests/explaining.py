"""Helpers the explanation tests share: the test knowledge bases and a way to name facts."""

from __future__ import annotations

from pathlib import Path

from backspasm.reasoner.explain.explanation import Check, Proof, Step
from backspasm.reasoner.language.program import Atom
from backspasm.reasoner.language.syntax import parse_query

TRIAGE_KB = Path(__file__).parent / "kbs" / "triage"

EDGES = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "f")]
NODES = ["a", "b", "c", "d", "e", "f", "g"]


def fact(text: str) -> Atom:
    """``fact("offer(course, 16)")``: an atom written as Datalog."""
    [literal] = parse_query(text)
    assert isinstance(literal, Atom)
    return literal


def graph(edges: list[tuple[str, str]], nodes: list[str] = NODES) -> list[tuple[str, tuple[str, ...]]]:
    return [("edge", edge) for edge in edges] + [("node", (node,)) for node in nodes]


def nodes_of(step: Step) -> list[Step]:
    """Every node of a proof, pre-order."""
    found: list[Step] = [step]
    if isinstance(step, Proof):
        for child in step.steps:
            found += nodes_of(child)
    return found


def leaf_texts(proof: Proof) -> list[str]:
    """The leaves of a proof as Datalog text: facts, and comparisons with their values."""
    texts: list[str] = []
    for node in nodes_of(proof):
        if isinstance(node, Proof) and not node.steps:
            texts.append(str(node.fact))
        elif isinstance(node, Check):
            texts.append(str(node.instantiated))
    return texts


def branches(proof: Proof, above: tuple[Atom, ...] = ()) -> list[tuple[Atom, ...]]:
    """Every root-to-leaf path of derived facts."""
    path = above + (proof.fact,)
    children = [step for step in proof.steps if isinstance(step, Proof)]
    if not children:
        return [path]
    return [branch for child in children for branch in branches(child, path)]
