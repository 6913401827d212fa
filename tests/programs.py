"""Small generic programs the reasoner tests share: recursion, negation, arithmetic."""

from __future__ import annotations

import pytest

from backspasm.reasoner import KnowledgeBaseError, load_kb
from backspasm.reasoner.language.engine import Fact, Row, row_order
from backspasm.reasoner.language.program import PredicateKey, Rule
from backspasm.reasoner.language.syntax import parse_program

REACHABILITY = """
% Which nodes can reach which, and which pairs cannot: recursion under stratified negation.
.input edge(from: symbol, to: symbol).
.input node(name: symbol).
reach(X, Y) :- edge(X, Y).
reach(X, Z) :- edge(X, Y), reach(Y, Z).
unreachable(X, Y) :- node(X), node(Y), X != Y, not reach(X, Y).
isolated(X) :- node(X), not edge(X, _), not edge(_, X).
on_cycle(X) :- reach(X, X).
.output reach(from: symbol, to: symbol).
.output unreachable(from: symbol, to: symbol).
.output isolated(name: symbol).
.output on_cycle(name: symbol).
"""

TRIAGE = """
% A patient-shaped program: numbers, thresholds, negation and a derived parameter.
.input days(n: number).
.input taken(n: number).
.input flag(name: symbol).
.input note(text: symbol).
phase(early) :- days(D), D < 28.
phase(late) :- days(D), D >= 28.
blocked :- flag(_).
remaining(R) :- taken(T), R = 21 - T, R > 0.
offer(course, R) :- phase(early), remaining(R), not blocked.
offer(refer, 0) :- flag(_).
echo(T) :- note(T).
.output offer(what: symbol, days: number).
.output echo(text: symbol).
"""


def triage_facts(patient: int) -> list[tuple[str, tuple[object, ...]]]:
    """A deterministic, varied patient number ``patient``."""
    facts: list[tuple[str, tuple[object, ...]]] = [("days", (patient % 60,)), ("taken", (patient % 25,))]
    if patient % 7 == 0:
        facts.append(("flag", (f"flag{patient % 3}",)))
    facts.append(("note", (f"patient-{patient}",)))
    return facts


GRAPHS = [
    [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("e", "f")],
    [("a", "b"), ("b", "c")],
    [],
    [("x", "x")],
]


def graph_subject(edges: list[tuple[str, str]]) -> list[Fact]:
    nodes = sorted({node for edge in edges for node in edge} | {"g"})
    return [Fact("edge", edge) for edge in edges] + [Fact("node", (node,)) for node in nodes]


Model = dict[str, list[tuple[Row, int]]]


def pydatalog_models(text: str, subjects: list[list[Fact]], keys: list[PredicateKey]) -> list[Model]:
    kb = load_kb(text=text)
    models: list[Model] = []
    for facts in subjects:
        with kb.session(facts) as session:
            index = {id(rule): number for number, rule in enumerate(kb.program.rules)}
            models.append(
                {
                    f"{name}/{arity}": sorted(
                        {(row, index[id(rule)]) for rule, row in session.derivations(name, *([None] * arity))},
                        key=lambda entry: (row_order(entry[0]), entry[1]),
                    )
                    for name, arity in sorted(keys)
                }
            )
    return models


def only_rule(text: str) -> Rule:
    (rule,) = parse_program(text).rules
    return rule


def syntax_error(text: str) -> str:
    with pytest.raises(KnowledgeBaseError) as caught:
        parse_program(text, "kb.dl")
    return str(caught.value)
