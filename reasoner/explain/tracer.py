"""Why a fact holds (proof trees) and why one does not (the first failing literal of each rule).

pyDatalog answers queries but keeps no record of how. The tracer rebuilds that record
from the parsed rules: it unifies a rule's head with the fact, sends the rule's body
with those values to the session as one conjunctive query, and reads pyDatalog's rows
as the instances of the rule that derive the fact. It never evaluates a literal itself,
so an explanation cannot disagree with the answer it explains.

``why`` returns the smallest proof (fewest nodes; ties go to the earlier rule, then to
the earlier row in pyDatalog's sorted answer), or up to ``limit`` proofs smallest first.
A proof never uses its own conclusion. The smallest proof is found by a lightest-
derivation fixpoint (Knuth's generalisation of Dijkstra) over the rule instances that
can conclude the fact, in time polynomial in their number; in it every child is smaller
than its parent, so no fact can sit below itself. The search for further proofs walks
the instances depth first, each branch carrying the facts above it and refusing an
instance that needs one of them; it stops expanding after ``SEARCH_BUDGET`` facts.

``why_not`` reports, for each rule whose head unifies with the fact, the first body
literal (in the rule's evaluation order, with the head's values in place) that no
binding of the earlier literals satisfies, and why: an input fact missing from the
record, a comparison that is false with its values, a negated literal whose positive
form holds (with its proof) or a derived atom that does not hold (with its own why-not,
to a bounded depth).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import QueryError
from ..language.binding import plan_body
from ..language.engine import Fact, answer_variables
from ..language.program import Atom, BodyLiteral, Comparison, Constant, Negation, Rule, Value, variables_of
from ..language.session import Session
from .explanation import Absence, Attempt, Bindings, Check, CheckKind, Failure, Proof, Step, WhyNot
from .instantiate import (
    anonymous_again,
    ground_atom,
    is_ground,
    name_anonymous,
    substitute_atom,
    substitute_literal,
    unify_head,
    value_equalities,
)
from .proofcheck import check_proof

DEFAULT_LIMIT = 10
WHY_NOT_DEPTH = 3
"""How many derived atoms deep a why-not follows a failure before it stops."""
NEGATION_DEPTH = 2
"""The same depth for the why-not shown under a negated literal of a proof."""
EXAMPLES = 3
"""Bindings of the earlier literals shown for one failing literal; the rest are counted."""
SEARCH_BUDGET = 20_000
"""Facts the all-proofs search expands before it stops looking for more (the smallest proof is never cut)."""

_SortKey = tuple[int, ...]


def why(session: Session, atom: Atom, *, all_proofs: bool = False, limit: int = DEFAULT_LIMIT) -> list[Proof]:
    """Proofs of the ground fact ``atom``: the smallest, or up to ``limit`` smallest first; [] if it does not hold.

    >>> from backspasm.reasoner import load_kb
    >>> from backspasm.reasoner.language.syntax import parse_query
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
    tracer = _Tracer(session)
    smallest = tracer.smallest(atom)
    if smallest is None:
        return []
    if not all_proofs or limit == 1:
        return [smallest]
    others = [proof for proof in tracer.proofs(atom, frozenset(), limit) if proof != smallest]
    return [smallest, *others][:limit]


def why_not(session: Session, atom: Atom, *, depth: int = WHY_NOT_DEPTH) -> WhyNot:
    """Why ``atom`` does not hold; ``kind == "holds"`` when it does.

    ``atom`` may hold variables (``remaining(R)``): it then means "no fact of this shape".
    """
    return _Tracer(session).absence(atom, depth, frozenset())


@dataclass(frozen=True)
class _Instance:
    """One ground instance of a clause that concludes a fact: pyDatalog's row for the rule's body."""

    rule_index: int
    row_index: int
    rule: Rule
    body: tuple[BodyLiteral, ...]
    """The body with anonymous variables of positive atoms named, so the row gives their values."""
    row: dict[str, Value]
    derived: tuple[Atom, ...]
    """The positive body atoms that are not input facts: the only children that need proofs of their own."""

    @property
    def order(self) -> tuple[int, int]:
        return (self.rule_index, self.row_index)


class _Tracer:
    """One explanation's search state: the session and what it has already worked out."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rules = session.program.rules
        self.inputs = session.program.inputs()
        self._instances: dict[Atom, list[_Instance]] = {}
        self._proofs: dict[tuple[Atom, frozenset[Atom], int], list[Proof]] = {}
        self._absences: dict[tuple[Atom, int, frozenset[Atom]], WhyNot] = {}
        self._assignments: dict[int, frozenset[int]] = {}
        self._expansions = 0

    def rows(self, goal: tuple[BodyLiteral, ...]) -> list[dict[str, Value]]:
        if not goal:
            return [{}]
        names = answer_variables(goal)
        return [dict(zip(names, row, strict=True)) for row in self.session.solve(goal)]

    def holds(self, atom: Atom) -> bool:
        return bool(self.session.solve(atom))

    def instances(self, atom: Atom) -> list[_Instance]:
        """Every clause instance that concludes the ground fact ``atom``, in rule order then row order."""
        if atom not in self._instances:
            found: list[_Instance] = []
            for rule_index, rule in enumerate(self.rules):
                unified = unify_head(rule.head, atom) if rule.head.key == atom.key else None
                if unified is None:
                    continue
                values, _ = unified
                if rule.is_fact:
                    found.append(_Instance(rule_index, 0, rule, (), {}, ()))
                    continue
                body = name_anonymous(rule.body)
                for row_index, row in enumerate(self.rows(value_equalities(values) + body)):
                    derived = tuple(
                        substitute_atom(literal, row)
                        for literal in body
                        if isinstance(literal, Atom) and literal.key not in self.inputs
                    )
                    found.append(_Instance(rule_index, row_index, rule, body, row, derived))
            self._instances[atom] = found
        return self._instances[atom]

    # -- why: the smallest proof --------------------------------------------------
    def smallest(self, goal: Atom) -> Proof | None:
        """The proof with fewest nodes, by Knuth's lightest-derivation fixpoint over the facts it can use.

        A proof's size is one more than the sizes of its children, so in a smallest proof
        every child is strictly smaller than its parent: no fact can appear below itself,
        and cycles of the program need no special care here.
        """
        if goal.key in self.inputs:
            return Proof(goal, "record") if self.holds(goal) else None
        if not self.holds(goal):
            return None
        relevant: dict[Atom, list[_Instance]] = {}
        pending = [goal]
        while pending:
            atom = pending.pop()
            if atom not in relevant:
                relevant[atom] = self.instances(atom)
                pending += [child for instance in relevant[atom] for child in instance.derived]
        cost: dict[Atom, tuple[int, int, int]] = {}
        best: dict[Atom, _Instance] = {}
        changed = True
        while changed:
            changed = False
            for atom, instances in relevant.items():
                for instance in instances:
                    if all(child in cost for child in instance.derived):
                        size = 1 + len(instance.body) - len(instance.derived)
                        size += sum(cost[child][0] for child in instance.derived)
                        key = (size, *instance.order)
                        if atom not in cost or key < cost[atom]:
                            cost[atom], best[atom] = key, instance
                            changed = True
        return self._lightest(goal, best) if goal in best else None

    def _lightest(self, atom: Atom, best: dict[Atom, _Instance]) -> Proof:
        if atom.key in self.inputs:
            return Proof(atom, "record")
        instance = best[atom]
        return self._proof(atom, instance, [[self._lightest(child, best)] for child in instance.derived], 1)[0][1]

    # -- why: all proofs ----------------------------------------------------------
    def proofs(self, atom: Atom, ancestors: frozenset[Atom], limit: int) -> list[Proof]:
        """Up to ``limit`` smallest proofs that use none of ``ancestors`` (the facts above this one)."""
        if atom.key in self.inputs:
            return [Proof(atom, "record")] if self.holds(atom) else []
        if atom in ancestors or self._expansions > SEARCH_BUDGET:
            return []
        key = (atom, ancestors, limit)
        if key not in self._proofs:
            self._expansions += 1
            below = ancestors | {atom}
            candidates: list[tuple[_SortKey, Proof]] = []
            for instance in self.instances(atom):
                options = [self.proofs(child, below, limit) for child in instance.derived]
                candidates += self._proof(atom, instance, options, limit)
            candidates.sort(key=lambda candidate: candidate[0])
            self._proofs[key] = [proof for _, proof in candidates[:limit]]
        return self._proofs[key]

    def _proof(
        self, atom: Atom, instance: _Instance, options: list[list[Proof]], limit: int
    ) -> list[tuple[_SortKey, Proof]]:
        """The ``limit`` smallest proofs of ``atom`` by ``instance``, given proofs of its derived children."""
        rule = instance.rule
        if rule.is_fact:
            return [((1, *instance.order), Proof(atom, "kb-fact", rule))]
        if any(not found for found in options):
            return []
        child_options = iter(options)
        assignments = self._assignment_positions(instance.rule_index, rule)
        combinations: list[tuple[int, _SortKey, tuple[Step, ...]]] = [(0, (), ())]
        for position, literal in enumerate(instance.body):
            steps: list[Step]
            if isinstance(literal, Atom):
                fact = substitute_atom(literal, instance.row)
                steps = [Proof(fact, "record")] if literal.key in self.inputs else list(next(child_options))
            else:
                steps = [self._leaf(literal, position in assignments, instance.row)]
            combinations = sorted(
                (
                    (size + step.size, (*key, index), (*chosen, step))
                    for size, key, chosen in combinations
                    for index, step in enumerate(steps)
                ),
                key=lambda combination: (combination[0], combination[1]),
            )[:limit]
        bindings = _ordered(rule.head, instance.body, instance.row)
        return [
            ((1 + size, *instance.order, *key), Proof(atom, "rule", rule, bindings, chosen))
            for size, key, chosen in combinations
        ]

    def _leaf(self, literal: Comparison | Negation, assignment: bool, row: Mapping[str, Value]) -> Check | Absence:
        if isinstance(literal, Negation):
            positive = substitute_atom(literal.atom, row)
            return Absence(literal, positive, self.absence(positive, NEGATION_DEPTH, frozenset()))
        kind: CheckKind = "assignment" if assignment else "comparison"
        instantiated = substitute_literal(literal, row)
        assert isinstance(instantiated, Comparison)
        return Check(literal, kind, _restricted(literal, row), instantiated)

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
        return self.smallest(atom)


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
