"""Counterfactuals: the smallest changes of a subject's input facts, over time, that would change one fact.

"What would change this answer, and when?" A :class:`World` says what may change in a
subject's facts (a list of changes, each given by its index) and how time changes them
(:class:`Growth`: an argument that grows by some amount every so many days); it turns a
choice of changes and a number of days into the facts of that world, or None when those
facts are not a valid record. :func:`search` finds, for a ground fact, the smallest
worlds in which it holds (or, for a fact that holds, in which it no longer does):
fewest changes first, then soonest. Every world it returns was evaluated by the same
engine, in a session of its own, before it is returned.

Time is searched exactly but cheaply. The rules change truth value only where a
comparison does (:mod:`..language.thresholds`); with the growing arguments written as
functions of the day, each comparison of the rules that can decide the fact gives the
days on which it can flip (:mod:`.flip_days`), and only those days are evaluated, in
order, the first that gives the fact being the soonest. A comparison the analysis cannot write linearly makes
every day of the horizon a candidate instead, so the search is never wrong, only slower.
Changes whose facts the fact cannot read (:func:`..language.dependencies.relevance`)
are never tried: they cannot change it.

When the fact cannot be made to hold, :func:`search` names what blocks it when it can
prove it: a rule's ``not p`` fails while ``p`` holds, and a ``p`` that no change and no
day within the horizon removes (a search of its own) blocks that rule in every world.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..knowledge.kb import KnowledgeBase
from ..language.dependencies import Relevance, relevance
from ..language.engine import Fact
from ..language.program import Atom, Comparison, Constant, Program, Rule, Value, variables_of
from ..language.session import Session
from ..language.thresholds import LinearComparison, comparisons
from .explanation import Proof, WhyNot
from .flip_days import Crossing, Growth, candidate_days, crossings_on
from .instantiate import substitute_atom, unify_head

BLOCKER_DEPTH = 4
"""How many derived atoms deep the search for what blocks a fact for good follows a rule's conditions."""


class World(Protocol):
    """A subject's facts as a counterfactual search may change them."""

    horizon_days: int
    """The last day the search looks at."""
    max_changes: int
    """The most changes combined in one counterfactual."""
    change_count: int
    """How many changes there are to choose from; each is named by its index."""

    def facts(self, changes: tuple[int, ...], days: int) -> tuple[Fact, ...] | None:
        """The facts after ``changes`` and ``days`` days, or None when they make no valid record."""
        ...

    def growth(self, changes: tuple[int, ...]) -> Sequence[Growth]:
        """What grows with time once ``changes`` are made."""
        ...


@dataclass(frozen=True)
class Counterfactual:
    """A world that gives the wanted outcome: the changes made, the day, its facts (evaluated) and why that day."""

    changes: tuple[int, ...]
    days: int
    facts: tuple[Fact, ...]
    crossings: tuple[Crossing, ...] = ()


@dataclass(frozen=True)
class Blocker:
    """A fact that holds in every world searched and makes ``rule``'s ``not`` fail: the rule can never conclude."""

    fact: Atom
    proof: Proof
    rule: Rule


@dataclass(frozen=True)
class Search:
    """What :func:`search` found for ``target``.

    ``holds`` is the fact's truth now; the search looks for worlds where it is the other
    way. ``found`` holds the smallest such worlds, fewest changes first, each at its
    soonest day, sorted by day: empty when no world within the horizon and the changes
    allowed gives it. Then ``blockers`` name what provably blocks it, when known, and
    ``why_not`` (for a fact that does not hold) says where its rules fail now.
    """

    target: Atom
    holds: bool
    found: tuple[Counterfactual, ...]
    blockers: tuple[Blocker, ...] = ()
    why_not: WhyNot | None = None
    evaluations: int = 0


@dataclass
class Analysis:
    """What a program's rules say about time and relevance, worked out once per program and reused."""

    program: Program
    _relevance: dict[Atom, Relevance] = field(default_factory=dict)
    _by_rule: dict[int, list[LinearComparison]] | None = None
    _comparisons: dict[Atom, list[LinearComparison]] = field(default_factory=dict)

    def relevance(self, atom: Atom) -> Relevance:
        if atom not in self._relevance:
            self._relevance[atom] = relevance(self.program, atom)
        return self._relevance[atom]

    def comparisons(self, atom: Atom) -> list[LinearComparison]:
        """The comparisons of the rules that can decide ``atom``."""
        if atom not in self._comparisons:
            if self._by_rule is None:
                index_of = {id(rule): index for index, rule in enumerate(self.program.rules)}
                self._by_rule = defaultdict(list)
                for comparison in comparisons(self.program):
                    self._by_rule[index_of[id(comparison.rule)]].append(comparison)
            rules = self.relevance(atom).rules
            self._comparisons[atom] = [found for index in sorted(rules) for found in self._by_rule.get(index, [])]
        return self._comparisons[atom]


def search(
    kb: KnowledgeBase, world: World, target: Atom, analysis: Analysis | None = None, why_not: WhyNot | None = None
) -> Search:
    """The smallest worlds in which ``target`` (a ground fact) changes truth value; see :class:`Search`.

    ``why_not``, the tracer's explanation of ``target`` for the world's own facts when the
    caller has it already, saves working it out again.
    """
    return _Searcher(kb, world, analysis or Analysis(kb.program), why_not).run(target)


class _Searcher:
    def __init__(self, kb: KnowledgeBase, world: World, analysis: Analysis, why_not: WhyNot | None) -> None:
        self.kb = kb
        self._why_not = why_not
        self.world = world
        self.analysis = analysis
        self.evaluations = 0
        self._truth: dict[tuple[Atom, tuple[Fact, ...]], bool] = {}
        self._facts: dict[tuple[tuple[int, ...], int], tuple[Fact, ...] | None] = {}

    def run(self, target: Atom) -> Search:
        base = self.facts((), 0)
        if base is None:
            raise ValueError("the world's own facts (no change, day 0) must be a valid record")
        holds = self.holds(target, base)
        if not holds:
            blockers = self.permanent_blockers(target, base)
            if blockers is not None:
                why_not = None if blockers else self.why_not(target, base)
                return Search(target, holds, (), blockers, why_not, self.evaluations)
        found = self.smallest(target, not holds)
        why_not = None if holds or found else self.why_not(target, base)
        return Search(target, holds, found, (), why_not, self.evaluations)

    # -- evaluation ------------------------------------------------------------------
    def facts(self, changes: tuple[int, ...], days: int) -> tuple[Fact, ...] | None:
        key = (changes, days)
        if key not in self._facts:
            self._facts[key] = self.world.facts(changes, days)
        return self._facts[key]

    def holds(self, atom: Atom, facts: tuple[Fact, ...]) -> bool:
        key = (atom, facts)
        if key not in self._truth:
            self.evaluations += 1
            with self.kb.session(facts) as session:
                self._truth[key] = bool(session.solve(atom))
        return self._truth[key]

    def why_not(self, target: Atom, facts: tuple[Fact, ...]) -> WhyNot:
        from .tracer import why_not

        if self._why_not is not None and self._why_not.fact == target:
            return self._why_not
        with self.kb.session(facts) as session:
            return why_not(session, target)

    # -- the search ------------------------------------------------------------------
    def smallest(self, target: Atom, wanted: bool) -> tuple[Counterfactual, ...]:
        """The worlds where ``target``'s truth is ``wanted`` with the fewest changes, then the soonest (ties all kept).

        Every choice of that many changes is first tried on day 0, so that once one works
        the days after it need not be looked at for the others.
        """
        relevant = self.relevant_changes(target)
        for size in range(self.world.max_changes + 1):
            choices = list(itertools.combinations(relevant, size))
            found = [found for changes in choices if (found := self.soonest(target, wanted, changes, 0))]
            if not found:
                latest = self.world.horizon_days
                for changes in choices:
                    counterfactual = self.soonest(target, wanted, changes, latest)
                    if counterfactual is not None:
                        found.append(counterfactual)
                        latest = counterfactual.days
            if found:
                soonest = min(counterfactual.days for counterfactual in found)
                return tuple(counterfactual for counterfactual in found if counterfactual.days == soonest)
        return ()

    def relevant_changes(self, target: Atom) -> list[int]:
        """The changes that alter a fact ``target`` can read; the others cannot change it."""
        reads = self.analysis.relevance(target)
        base = set(self.facts((), 0) or ())
        base_growth = set(self.world.growth(()))
        relevant = []
        for change in range(self.world.change_count):
            changed = self.facts((change,), 0)
            if changed is None:
                continue
            touched = [*base.symmetric_difference(changed)]
            touched += [grown.fact for grown in base_growth.symmetric_difference(self.world.growth((change,)))]
            if any(reads.reads(*fact) for fact in touched):
                relevant.append(change)
        return relevant

    def soonest(self, target: Atom, wanted: bool, changes: tuple[int, ...], latest: int) -> Counterfactual | None:
        """The first day up to ``latest`` on which ``changes`` give ``target`` the ``wanted`` truth, or None."""
        start = self.facts(changes, 0)
        if start is None:
            return None
        if self.holds(target, start) == wanted:
            return Counterfactual(changes, 0, start)
        reads = self.analysis.relevance(target)
        growth = [grown for grown in self.world.growth(changes) if reads.reads(*grown.fact)]
        days = candidate_days(self.analysis.comparisons(target), growth, start, latest)
        for day in sorted(days):
            facts = self.facts(changes, day)
            if facts is not None and self.holds(target, facts) == wanted:
                return Counterfactual(changes, day, facts, crossings_on(days[day], day))
        return None

    # -- what blocks a fact for good -----------------------------------------------------
    def permanent_blockers(self, target: Atom, facts: tuple[Fact, ...]) -> tuple[Blocker, ...] | None:
        """What keeps every rule for ``target`` from concluding in every world, or None when that is not proven."""
        with self.kb.session(facts) as session:
            found = self.blocked(session, target, BLOCKER_DEPTH, frozenset())
        return None if found is None else tuple(found)

    def blocked(self, session: Session, pattern: Atom, depth: int, visiting: frozenset[Atom]) -> list[Blocker] | None:
        """Blockers that keep every rule for ``pattern`` from concluding in every world searched, or None.

        A rule is blocked for good when one of its literals fixed by its head alone fails
        in every world: a ``not p`` facing a fact ``p`` that no world removes (a search of
        its own), or a derived atom whose own rules are all blocked so (to ``depth``).
        """
        if pattern.key in self.kb.program.inputs() or depth <= 0 or pattern in visiting:
            return None
        blockers: list[Blocker] = []
        for rule in self.kb.program.rules:
            unified = unify_head(rule.head, pattern) if rule.head.key == pattern.key else None
            if unified is None:
                continue
            found = None if rule.is_fact else self.rule_blocked(session, rule, unified[0], depth, visiting | {pattern})
            if found is None:
                return None
            blockers += found
        return blockers

    def rule_blocked(
        self, session: Session, rule: Rule, values: Mapping[str, Value], depth: int, visiting: frozenset[Atom]
    ) -> list[Blocker] | None:
        from .tracer import why

        for literal in rule.body:
            if isinstance(literal, Comparison) or any(
                not variable.is_anonymous and variable.name not in values for variable in variables_of(literal)
            ):
                continue
            if isinstance(literal, Atom):
                found = self.blocked(session, substitute_atom(literal, values), depth - 1, visiting)
                if found is not None:
                    return found
                continue
            pattern = substitute_atom(literal.atom, values)
            arguments = [term.value if isinstance(term, Constant) else None for term in pattern.arguments]
            rows = [
                Atom(pattern.predicate, tuple(Constant(value) for value in row))
                for row in session.query(pattern.predicate, *arguments)
            ]
            permanent = [fact for fact in rows if not self.smallest(fact, False)]
            if permanent:
                return [Blocker(fact, why(session, fact)[0], rule) for fact in permanent]
        return None


__all__ = ["Analysis", "Blocker", "Counterfactual", "Crossing", "Growth", "Search", "World", "candidate_days", "search"]
