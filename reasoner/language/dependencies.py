"""The predicate dependency graph: who depends on whom, through which sign.

Validation uses it to reject recursion through negation; linting uses it to find
predicates nobody reads. Components are computed with an iterative Tarjan, so deep
programs do not hit Python's recursion limit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .program import Atom, Negation, PredicateKey, Program, Rule


@dataclass(frozen=True)
class Dependency:
    """``head`` depends on ``body`` in ``rule``; ``negative`` when through ``not``."""

    head: PredicateKey
    body: PredicateKey
    negative: bool
    rule: Rule
    literal: Atom | Negation


def dependencies(program: Program) -> list[Dependency]:
    edges: list[Dependency] = []
    for rule in program.rules:
        for literal in rule.body:
            if isinstance(literal, Atom):
                edges.append(Dependency(rule.head.key, literal.key, False, rule, literal))
            elif isinstance(literal, Negation):
                edges.append(Dependency(rule.head.key, literal.atom.key, True, rule, literal))
    return edges


def components(program: Program) -> dict[PredicateKey, int]:
    """Map each predicate to the index of its strongly connected component."""
    graph: dict[PredicateKey, list[PredicateKey]] = defaultdict(list)
    nodes: set[PredicateKey] = set()
    for edge in dependencies(program):
        graph[edge.head].append(edge.body)
        nodes.update((edge.head, edge.body))
    nodes.update(rule.head.key for rule in program.rules)

    index_of: dict[PredicateKey, int] = {}
    lowlink: dict[PredicateKey, int] = {}
    on_stack: set[PredicateKey] = set()
    stack: list[PredicateKey] = []
    component_of: dict[PredicateKey, int] = {}
    counter = 0
    component_count = 0
    for root in sorted(nodes):
        if root in index_of:
            continue
        work: list[tuple[PredicateKey, int]] = [(root, 0)]
        while work:
            node, child_index = work.pop()
            if child_index == 0:
                index_of[node] = lowlink[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = graph.get(node, [])
            if child_index < len(children):
                work.append((node, child_index + 1))
                child = children[child_index]
                if child not in index_of:
                    work.append((child, 0))
                elif child in on_stack:
                    lowlink[node] = min(lowlink[node], index_of[child])
                continue
            if lowlink[node] == index_of[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component_of[member] = component_count
                    if member == node:
                        break
                component_count += 1
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
    return component_of


def negative_cycles(program: Program) -> list[Dependency]:
    """The negative edges that lie on a cycle: each makes the program unstratifiable."""
    component_of = components(program)
    return [
        edge
        for edge in dependencies(program)
        if edge.negative and component_of.get(edge.head) == component_of.get(edge.body)
    ]


def readers(program: Program) -> dict[PredicateKey, list[Rule]]:
    """For each predicate, the rules that read it in their body."""
    result: dict[PredicateKey, list[Rule]] = defaultdict(list)
    for edge in dependencies(program):
        result[edge.body].append(edge.rule)
    return result


def recursive_components(program: Program) -> list[frozenset[PredicateKey]]:
    """The recursive components (a predicate set that reaches itself), dependencies first.

    Tarjan's algorithm numbers a component only after every component it depends on,
    so ascending component numbers are already a valid evaluation order.
    """
    component_of = components(program)
    recursive_ids = {
        component_of[edge.head]
        for edge in dependencies(program)
        if component_of.get(edge.head) == component_of.get(edge.body)
    }
    members: dict[int, set[PredicateKey]] = defaultdict(set)
    for key, component in component_of.items():
        if component in recursive_ids:
            members[component].add(key)
    return [frozenset(members[component]) for component in sorted(members)]


def reachable(program: Program) -> dict[PredicateKey, frozenset[PredicateKey]]:
    """For each predicate, every predicate its evaluation may read (itself included)."""
    graph: dict[PredicateKey, set[PredicateKey]] = defaultdict(set)
    for edge in dependencies(program):
        graph[edge.head].add(edge.body)
    keys = set(graph) | {rule.head.key for rule in program.rules} | {b for bodies in graph.values() for b in bodies}
    result: dict[PredicateKey, frozenset[PredicateKey]] = {}
    for key in keys:
        seen = {key}
        frontier = [key]
        while frontier:
            for child in graph.get(frontier.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    frontier.append(child)
        result[key] = frozenset(seen)
    return result
