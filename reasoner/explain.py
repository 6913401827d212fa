"""Why a fact holds (proof trees) and why one does not (the first failing literal of each rule).

pyDatalog answers queries but keeps no record of how. The tracer rebuilds that record
from the parsed rules: it unifies a rule's head with the fact, sends the rule's body
with those values to the session as one conjunctive query, and reads pyDatalog's rows
as the instances of the rule that derive the fact. It never evaluates a literal itself,
so an explanation cannot disagree with the answer it explains.

``why`` returns the smallest proof (fewest nodes; ties go to the earlier rule, then to
the earlier row in pyDatalog's sorted answer), or up to ``limit`` proofs smallest first.
A proof never uses its own conclusion: each branch carries the atoms above it, and a
rule instance that needs one of them is not used, so recursive programs with cycles
give finite, well-founded proofs.

``why_not`` reports, for each rule whose head unifies with the fact, the first body
literal (in the rule's evaluation order, with the head's values in place) that no
binding of the earlier literals satisfies, and why: an input fact missing from the
record, a comparison that is false with its values, a negated literal whose positive
form holds (with its proof) or a derived atom that does not hold (with its own why-not,
to a bounded depth).
"""

from __future__ import annotations

from collections.abc import Mapping

from reasoner.binding import plan_body
from reasoner.engine import Fact, answer_variables
from reasoner.errors import QueryError
from reasoner.explanation import Absence, Attempt, Bindings, Check, CheckKind, Failure, Proof, Step, WhyNot
from reasoner.instantiate import (
    anonymous_again,
    ground_atom,
    is_ground,
    name_anonymous,
    substitute_atom,
    substitute_literal,
    unify_head,
    value_equalities,
)
from reasoner.program import Atom, BodyLiteral, Comparison, Constant, Negation, Rule, Value, variables_of
from reasoner.proofcheck import check_proof
from reasoner.session import Session

DEFAULT_LIMIT = 10
WHY_NOT_DEPTH = 3
"""How many derived atoms deep a why-not follows a failure before it stops."""
NEGATION_DEPTH = 2
"""The same depth for the why-not shown under a negated literal of a proof."""
EXAMPLES = 3
"""Bindings of the earlier literals shown for one failing literal; the rest are counted."""

_SortKey = tuple[int, ...]


def why(session: Session, atom: Atom, *, all_proofs: bool = False, limit: int = DEFAULT_LIMIT) -> list[Proof]:
    """Proofs of the ground fact ``atom``: the smallest, or up to ``limit`` smallest first; [] if it does not hold.

    >>> from reasoner import load_kb
    >>> from reasoner.syntax import parse_query
    >>> kb = load_kb(text='.input temp(c: number). hot :- temp(C), C > 30.')
    >>> with kb.session([("temp", (35,))]) as session:
    ...     [proof] = why(session, parse_query("hot")[0])
    >>> [str(step.fact) if isinstance(step, Proof) else str(step.instantiated) for step in proof.steps]
    ['temp(35)', '35 > 30']
    """
    if not is_ground(atom):
        raise QueryError(f"why needs a ground fact, not {atom}; ask for its rows first")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return _Tracer(session).proofs(atom, frozenset(), limit if all_proofs else 1)


def why_not(session: Session, atom: Atom, *, depth: int = WHY_NOT_DEPTH) -> WhyNot:
    """Why ``atom`` does not hold; ``kind == "holds"`` when it does.

    ``atom`` may hold variables (``remaining(R)``): it then means "no fact of this shape".
    """
    return _Tracer(session).absence(atom, depth, frozenset())


class _Tracer:
    """One explanation's search state: the session and what it has already worked out."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rules = session.program.rules
        self.inputs = session.program.inputs()
        self._proofs: dict[tuple[Atom, frozenset[Atom], int], list[Proof]] = {}
        self._absences: dict[tuple[Atom, int, frozenset[Atom]], WhyNot] = {}
        self._assignments: dict[int, frozenset[int]] = {}

    def rows(self, goal: tuple[BodyLiteral, ...]) -> list[dict[str, Value]]:
        if not goal:
            return [{}]
        names = answer_variables(goal)
        return [dict(zip(names, row, strict=True)) for row in self.session.solve(goal)]

    def holds(self, atom: Atom) -> bool:
        return bool(self.session.solve(atom))

    # -- why --------------------------------------------------------------------
    def proofs(self, atom: Atom, ancestors: frozenset[Atom], limit: int) -> list[Proof]:
        if atom.key in self.inputs:
            return [Proof(atom, "record")] if self.holds(atom) else []
        if atom in ancestors:
            return []
        key = (atom, ancestors, limit)
        if key not in self._proofs:
            self._proofs[key] = self._search(atom, ancestors, limit) if self.holds(atom) else []
        return self._proofs[key]

    def _search(self, atom: Atom, ancestors: frozenset[Atom], limit: int) -> list[Proof]:
        candidates: list[tuple[_SortKey, Proof]] = []
        below = ancestors | {atom}
        for rule_index, rule in enumerate(self.rules):
            unified = unify_head(rule.head, atom) if rule.head.key == atom.key else None
            if unified is None:
                continue
            values, _ = unified
            if rule.is_fact:
                candidates.append(((1, rule_index), Proof(atom, "kb-fact", rule)))
                continue
            body = name_anonymous(rule.body)
            assignments = self._assignment_positions(rule_index, rule)
            for row_index, row in enumerate(self.rows(value_equalities(values) + body)):
                bindings = _ordered(rule.head, body, row)
                for combination, steps in self._steps(body, assignments, row, below, limit):
                    proof = Proof(atom, "rule", rule, bindings, steps)
                    candidates.append(((proof.size, rule_index, row_index, *combination), proof))
        candidates.sort(key=lambda candidate: candidate[0])
        return [proof for _, proof in candidates[:limit]]

    def _steps(
        self,
        body: tuple[BodyLiteral, ...],
        assignments: frozenset[int],
        row: Mapping[str, Value],
        ancestors: frozenset[Atom],
        limit: int,
    ) -> list[tuple[_SortKey, tuple[Step, ...]]]:
        """The ``limit`` smallest ways to prove every literal of one rule instance (cheapest first)."""
        combinations: list[tuple[int, _SortKey, tuple[Step, ...]]] = [(0, (), ())]
        for position, literal in enumerate(body):
            options: list[Step]
            if isinstance(literal, Atom):
                options = list(self.proofs(substitute_atom(literal, row), ancestors, limit))
                if not options:
                    return []
            elif isinstance(literal, Negation):
                positive = substitute_atom(literal.atom, row)
                options = [Absence(literal, positive, self.absence(positive, NEGATION_DEPTH, frozenset()))]
            else:
                kind: CheckKind = "assignment" if position in assignments else "comparison"
                instantiated = substitute_literal(literal, row)
                assert isinstance(instantiated, Comparison)
                options = [Check(literal, kind, _restricted(literal, row), instantiated)]
            combinations = sorted(
                (
                    (size + option.size, (*key, index), (*steps, option))
                    for size, key, steps in combinations
                    for index, option in enumerate(options)
                ),
                key=lambda combination: (combination[0], combination[1]),
            )[:limit]
        return [(key, steps) for _, key, steps in combinations]

    def _assignment_positions(self, rule_index: int, rule: Rule) -> frozenset[int]:
        """Body positions (as written) of the equalities that bind a variable in the rule's own plan."""
        if rule_index not in self._assignments:
            plan = plan_body(rule.body)
            assigned = {id(plan.order[index]) for index in plan.assignments}
            self._assignments[rule_index] = frozenset(
                position for position, literal in enumerate(rule.body) if id(literal) in assigned
            )
        return self._assignments[rule_index]

    # -- why not ------------------------------------------------------------------
    def absence(self, atom: Atom, depth: int, ancestors: frozenset[Atom]) -> WhyNot:
        key = (atom, depth, ancestors)
        if key not in self._absences:
            self._absences[key] = self._absence(atom, depth, ancestors)
        return self._absences[key]

    def _absence(self, atom: Atom, depth: int, ancestors: frozenset[Atom]) -> WhyNot:
        if self.holds(atom):
            return WhyNot(atom, "holds")
        if atom.key in self.inputs:
            return WhyNot(atom, "not-in-record", record=facts_of(self.session, atom.predicate))
        if atom in ancestors:
            return WhyNot(atom, "cycle")
        if depth <= 0:
            return WhyNot(atom, "depth-limit")
        attempts: list[Attempt] = []
        for rule in self.rules:
            unified = unify_head(rule.head, atom) if rule.head.key == atom.key else None
            if unified is not None and not rule.is_fact:
                values, equalities = unified
                attempts.append(self._attempt(rule, values, equalities, depth, ancestors | {atom}))
        if attempts:
            return WhyNot(atom, "rules-fail", tuple(attempts))
        return WhyNot(atom, "no-rule", related=self._related(atom))

    def _related(self, atom: Atom) -> tuple[Rule, ...]:
        """Clauses of the same predicate about the same first argument: what the KB says instead."""
        if not atom.arguments or not isinstance(atom.arguments[0], Constant):
            return ()
        first = atom.arguments[0]
        return tuple(rule for rule in self.rules if rule.head.key == atom.key and rule.head.arguments[0] == first)

    def _attempt(
        self,
        rule: Rule,
        values: dict[str, Value],
        equalities: tuple[Comparison, ...],
        depth: int,
        ancestors: frozenset[Atom],
    ) -> Attempt:
        body = name_anonymous(rule.body)
        given = value_equalities(values)
        order = plan_body(given + equalities + body).order
        given_ids = {id(literal) for literal in given}
        written = {id(literal): original for literal, original in zip(body, rule.body, strict=True)}
        position = 0
        for index, literal in enumerate(order):
            if id(literal) in given_ids:
                continue
            if not self.session.solve(order[: index + 1]):
                earlier = self.rows(order[:index])
                failures = tuple(self._failure(literal, row, depth, ancestors) for row in earlier[:EXAMPLES])
                original = written.get(id(literal), literal)
                return Attempt(rule, _pairs(values), original, position, failures, max(0, len(earlier) - EXAMPLES))
            position += 1
        return Attempt(rule, _pairs(values), None, position, ())

    def _failure(self, literal: BodyLiteral, row: dict[str, Value], depth: int, ancestors: frozenset[Atom]) -> Failure:
        bindings = _pairs(row)
        instantiated = anonymous_again(substitute_literal(literal, row))
        if isinstance(instantiated, Atom):
            if instantiated.key in self.inputs:
                return Failure("missing-input", bindings, instantiated)
            why_not = self.absence(instantiated, depth - 1, ancestors)
            return Failure("not-derived", bindings, instantiated, why_not=why_not)
        if isinstance(instantiated, Negation):
            return Failure("negation-holds", bindings, instantiated, proof=self._witness(instantiated.atom))
        return Failure("false-comparison", bindings, instantiated)

    def _witness(self, atom: Atom) -> Proof | None:
        """The smallest proof of the first fact matching ``atom`` (which may hold ``_``)."""
        if not is_ground(atom):
            rows = self.session.solve(atom)
            if not rows:
                return None
            atom = ground_atom(atom.predicate, rows[0])
        found = self.proofs(atom, frozenset(), 1)
        return found[0] if found else None


def _ordered(head: Atom, body: tuple[BodyLiteral, ...], row: Mapping[str, Value]) -> Bindings:
    """The row's values in the order the rule's variables first appear (head, then body)."""
    names: dict[str, None] = {}
    for literal in (head, *body):
        for variable in variables_of(literal):
            if not variable.is_anonymous:
                names[variable.name] = None
    return tuple((name, row[name]) for name in names if name in row)


def _restricted(literal: BodyLiteral, row: Mapping[str, Value]) -> Bindings:
    return _ordered(Atom("", ()), (literal,), row)


def _pairs(values: Mapping[str, Value]) -> Bindings:
    return tuple(values.items())


def facts_of(session: Session, predicate: str) -> tuple[Fact, ...]:
    """The subject's input facts of ``predicate``."""
    return tuple(fact for fact in session.facts if fact.predicate == predicate)


__all__ = ["DEFAULT_LIMIT", "check_proof", "why", "why_not"]
