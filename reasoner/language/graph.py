"""The predicate graph as key pairs: components, recursive components and reachability.

What an engine needs from the graph whenever it loads a program, computed from
(head, body) predicate keys alone; the dependency records with their rules and signs,
which validation, linting and explanations read, are :mod:`.dependencies`'.
Components are computed with an iterative Tarjan, so deep programs do not hit Python's
recursion limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

from .program import Atom, Negation, PredicateKey, Program

Node = TypeVar("Node", bound=Hashable)


def edges(program: Program) -> list[tuple[PredicateKey, PredicateKey]]:
    """(head, body) of every dependency, in the order of :func:`.dependencies.dependencies`, without its records:
    what components and reachability need, for every knowledge base an engine loads."""
    pairs: list[tuple[PredicateKey, PredicateKey]] = []
    for rule in program.rules:
        head = rule.head.key
        for literal in rule.body:
            if isinstance(literal, Atom):
                pairs.append((head, literal.key))
            elif isinstance(literal, Negation):
                pairs.append((head, literal.atom.key))
    return pairs


def components(program: Program) -> dict[PredicateKey, int]:
    """Map each predicate to the index of its strongly connected component."""
    graph: dict[PredicateKey, list[PredicateKey]] = defaultdict(list)
    nodes: set[PredicateKey] = set()
    for head, body in edges(program):
        graph[head].append(body)
        nodes.update((head, body))
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


def recursive_components(program: Program) -> list[frozenset[PredicateKey]]:
    """The recursive components (a predicate set that reaches itself), dependencies first.

    Tarjan's algorithm numbers a component only after every component it depends on,
    so ascending component numbers are already a valid evaluation order.
    """
    component_of = components(program)
    recursive_ids = {
        component_of[head] for head, body in edges(program) if component_of.get(head) == component_of.get(body)
    }
    members: dict[int, set[PredicateKey]] = defaultdict(set)
    for key, component in component_of.items():
        if component in recursive_ids:
            members[component].add(key)
    return [frozenset(members[component]) for component in sorted(members)]


def reachable(program: Program) -> dict[PredicateKey, frozenset[PredicateKey]]:
    """For each predicate, every predicate its evaluation may read (itself included)."""
    graph: dict[PredicateKey, set[PredicateKey]] = defaultdict(set)
    for head, body in edges(program):
        graph[head].add(body)
    keys = set(graph) | {rule.head.key for rule in program.rules} | {b for bodies in graph.values() for b in bodies}
    return {key: frozenset(descendants(graph, key) | {key}) for key in keys}


def descendants(graph: Mapping[Node, Iterable[Node]], node: Node) -> set[Node]:
    """Every node reachable from ``node`` by one edge or more (``node`` itself only on a cycle)."""
    seen: set[Node] = set()
    frontier = [node]
    while frontier:
        for child in graph.get(frontier.pop(), ()):
            if child not in seen:
                seen.add(child)
                frontier.append(child)
    return seen
