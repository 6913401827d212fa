"""Evaluate queries of a validated program on pyDatalog (with .to_pydatalog and .checkpoints, all that touches it).

pyDatalog keeps its whole database in a thread-local ``Logic`` object, and a copy of a
``Logic`` shares the fact tables of the original. Isolation between patients is a safety
property here, so the design leaves no room for sharing:

* each :class:`Engine` builds its own ``Logic`` per thread, from the parsed program,
  through pyDatalog's term and literal API (``pyEngine.Literal``/``Clause``/``assert_``);
  no text ever reaches pyDatalog's parser, ``exec`` or ``eval``;
* input facts are asserted only for the duration of one query and retracted in a
  ``finally`` block, so a query is atomic within its thread and nothing of a patient
  survives it, even when evaluation fails; after every query the engine checks that the
  input tables are empty again and refuses to continue (and rebuilds) if they are not;
* the previously active ``Logic`` of the thread is restored after each query, so the
  engine never disturbs other pyDatalog users in the same process.

Two engines (two knowledge bases) in one process therefore never see each other's rules,
and threads never see each other's facts.

Recursion. pyDatalog 0.22.4's tabled resolution does not terminate on some recursive
programs (right recursion over a cyclic relation, ``path(X, Z) :- edge(X, Y), path(Y, Z)``
with a cycle in ``edge``). The engine therefore never gives pyDatalog a recursive rule.
Each recursive component is computed to its fixpoint by :mod:`.seminaive`
(semi-naive rounds, hash-indexed joins), reading the predicates below it from pyDatalog.
A query of a recursive predicate itself is answered from the fixpoint; otherwise the
fixpoint is asserted for the rest of the query like an input. Non-recursive rules, the
whole of a typical guideline, are evaluated by pyDatalog's own top-down resolution.

Compiled on demand. A thread's ``Logic`` starts with the program's predicates and no
clause; before each query the clauses it can read are added, those of every predicate
reachable from the goal (and, for a query by rule, the by-rule twins of the goal's own
rules), once per thread. pyDatalog resolves a goal top-down through those clauses only,
so an answer never depends on which clauses earlier queries added; a one-patient
command compiles the part of the knowledge base its answer reads, not all of it.

Budget. Every query runs under a :class:`.budget.Budget` (time, derived facts,
integer size), checked during evaluation: by the semi-naive evaluator at every join step,
and in pyDatalog through the checkpoint and arithmetic literals of
:mod:`.checkpoints` that the compiled rules carry.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from pyDatalog import pyEngine
from pyDatalog.Logic import Logic

from ..errors import EvaluationError, IsolationError, QueryError, ReasonerError
from .binding import answer_variables, plan_body
from .budget import Budget, current, metered
from .graph import reachable, recursive_components
from .program import (
    Atom,
    BodyLiteral,
    Constant,
    Negation,
    PredicateKey,
    Program,
    Value,
    Variable,
)
from .to_pydatalog import BY_RULE, Compiler, assert_fact

Row = tuple[Value, ...]
Materialized = dict[int, dict[PredicateKey, frozenset[Row]]]
"""Fixpoints of recursive components already computed for one set of input facts."""


class Fact(NamedTuple):
    """An input fact, ``symptom_days(10)`` as ``Fact("symptom_days", (10,))``."""

    predicate: str
    arguments: tuple[Value, ...] = ()

    def __str__(self) -> str:
        return str(Atom(self.predicate, tuple(Constant(value) for value in self.arguments)))


def value_order(value: Value) -> tuple[int, int, str]:
    """Sort key that orders numbers before symbols, each in natural order."""
    if isinstance(value, int):
        return (0, value, "")
    return (1, 0, value)


def row_order(row: Row) -> tuple[tuple[int, int, str], ...]:
    return tuple(value_order(value) for value in row)


class _ThreadLogic(NamedTuple):
    """One thread's compiled copy of the program."""

    logic: Any
    scoped_predicates: dict[PredicateKey, Any]
    """Predicates whose facts exist only during one query: inputs and recursive components."""
    compiled: set[PredicateKey]
    """Predicates whose rules are asserted in ``logic``."""
    compiled_by_rule: set[PredicateKey]
    """Predicates whose by-rule twins are asserted in ``logic``."""


class Engine:
    """Evaluates one validated program. Safe to share between threads."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.inputs = program.inputs()
        self._defined = frozenset(program.defined_predicates())
        self.known: dict[PredicateKey, None] = dict.fromkeys(
            sorted(set(self.inputs) | program.defined_predicates() | _body_predicates(program))
        )
        self._components = recursive_components(program)
        self._component_of = {key: index for index, keys in enumerate(self._components) for key in keys}
        self._reachable = reachable(program)
        self._rules_of: dict[PredicateKey, list[int]] = {}
        for index, rule in enumerate(program.rules):
            self._rules_of.setdefault(rule.head.key, []).append(index)
        self._local = threading.local()
        self._compiler = Compiler(self.known)

    # -- public ---------------------------------------------------------------
    def solve(
        self,
        facts: Sequence[Fact],
        goal: Atom | tuple[BodyLiteral, ...],
        materialized: Materialized | None = None,
        budget: Budget | None = None,
    ) -> list[Row]:
        """Rows of ``goal`` given the input ``facts``, sorted.

        An atom gives its full argument rows; a conjunction gives one value per distinct
        named variable, in order of first appearance. ``materialized`` lets a caller that
        asks many questions about the same facts keep recursive fixpoints between calls.
        ``budget`` bounds the query (the process default when None); going past it raises
        :class:`.budget.BudgetExceeded`.
        """
        with metered(budget):
            return self._solve(facts, goal, materialized, components_of=goal)

    def _solve(
        self,
        facts: Sequence[Fact],
        goal: Atom | tuple[BodyLiteral, ...],
        materialized: Materialized | None,
        components_of: Atom | tuple[BodyLiteral, ...],
    ) -> list[Row]:
        input_facts = [self._input_fact(fact) for fact in facts]
        memo: Materialized = {} if materialized is None else materialized
        with self._activated() as state:
            asserted: list[Any] = []
            temporary: Any = None
            try:
                self._compile(state, components_of, by_rule=goal is not components_of)
                for fact in input_facts:
                    asserted.append(assert_fact(fact.predicate, fact.arguments))
                if isinstance(goal, Atom) and goal is components_of and goal.key in self._component_of:
                    # A recursive predicate itself: its rows are the fixpoint's, no pyDatalog query needed.
                    own = self._component_of[goal.key]
                    for index in self._components_needed(goal):
                        if index != own:  # the components below, which its rules may read through pyDatalog
                            asserted += self._materialize(index, state, memo)
                    if own not in memo:
                        memo[own] = self._fixpoint(own, memo)
                    rows = memo[own][goal.key]
                    return sorted(_matching(goal, rows), key=row_order)
                if isinstance(goal, Atom):
                    query = self._compiler.atom(goal, {}, check=goal is components_of)
                else:
                    temporary = self._compiler.query_clause(goal)
                    pyEngine.assert_(temporary)
                    query = temporary.head
                for index in self._components_needed(components_of):
                    asserted += self._materialize(index, state, memo)
                answer = query.ask()
            except ReasonerError:
                self._discard_after_failure()
                raise
            except Exception as error:  # pyDatalog raises bare Python errors; never let one escape unexplained
                self._discard_after_failure()
                raise EvaluationError(f"evaluation of {_goal_text(goal)} failed: {error!r}") from error
            finally:
                for clause in asserted:
                    pyEngine.retract(clause)
                if temporary is not None:
                    pyEngine.retract(temporary)
                    pyEngine.remove(temporary.head.pred)
                self._check_clean(state)
        return sorted(set(_rows(answer, query)), key=row_order)

    def solve_by_rule(
        self, facts: Sequence[Fact], goal: Atom, materialized: Materialized | None = None, budget: Budget | None = None
    ) -> list[tuple[int, Row]]:
        """Rows of ``goal`` with the index (in ``program.rules``) of each rule or fact that gives them.

        One query answers both what holds and which clauses derive it, which is what an
        answer needs to cite its rules and evidence without a proof search.
        """
        if goal.key not in self._defined:
            return []
        by_rule = Atom(BY_RULE.format(predicate=goal.predicate, arity=goal.arity), (Variable("Rule"), *goal.arguments))
        with metered(budget):
            rows = self._solve(facts, by_rule, materialized, components_of=goal)
        return [(int(row[0]), row[1:]) for row in rows]

    def check_fact(self, fact: Fact | tuple[str, Iterable[Value]]) -> Fact:
        """Validate one input fact against the ``.input`` declarations; return it normalised."""
        return self._input_fact(fact)

    # -- recursion --------------------------------------------------------------
    def _read_by(self, goal: Atom | tuple[BodyLiteral, ...]) -> set[PredicateKey]:
        """Every predicate an evaluation of ``goal`` may read, its own included."""
        literals = (goal,) if isinstance(goal, Atom) else goal
        read: set[PredicateKey] = set()
        for literal in literals:
            atom = literal.atom if isinstance(literal, Negation) else literal
            if isinstance(atom, Atom):
                read |= self._reachable.get(atom.key, frozenset({atom.key}))
        return read

    def _components_needed(self, goal: Atom | tuple[BodyLiteral, ...]) -> list[int]:
        return sorted({self._component_of[key] for key in self._read_by(goal) if key in self._component_of})

    def _materialize(self, index: int, state: _ThreadLogic, memo: Materialized) -> list[Any]:
        """Assert the fixpoint of recursive component ``index``, computing it first if needed.

        Components are materialised in dependency order, so every component this one
        reads is already asserted.
        """
        if index not in memo:
            memo[index] = self._fixpoint(index, memo)
        return [
            assert_fact(name, row)
            for (name, _), rows in sorted(memo[index].items())
            for row in sorted(rows, key=row_order)
        ]

    def _fixpoint(self, index: int, memo: Materialized) -> dict[PredicateKey, frozenset[Row]]:
        """Compute recursive component ``index``; every component it reads is already asserted."""
        component = self._components[index]

        def lower(key: PredicateKey) -> list[Row]:
            below = self._component_of.get(key)
            if below is not None and below in memo:
                return list(memo[below][key])
            if key not in self.inputs and key not in self._defined:
                return []  # read but never defined: an empty relation
            literal = pyEngine.Literal(key[0], [pyEngine.Var(f"v{i}") for i in range(key[1])])
            return _rows(literal.ask(), literal)

        rules = [rule for rule in self.program.rules if rule.head.key in component]
        from .seminaive import fixpoint  # only programs with recursion need it

        return fixpoint(rules, frozenset(component), lower, current())

    # -- the thread's compiled program -------------------------------------------
    def _build(self) -> _ThreadLogic:
        """A ``Logic`` holding every predicate of the program and none of its clauses yet."""
        logic = object.__new__(Logic)
        previous = getattr(Logic.tl, "logic", None)
        Logic.tl.logic = logic
        try:
            pyEngine.clear()
            state = _ThreadLogic(logic, {}, set(), set())
            for name, arity in self.known:
                predicate = pyEngine.insert(pyEngine.Pred(name, arity))
                if (name, arity) in self.inputs or (name, arity) in self._component_of:
                    state.scoped_predicates[(name, arity)] = predicate
        finally:
            _restore(previous)
        return state

    def _compile(self, state: _ThreadLogic, goal: Atom | tuple[BodyLiteral, ...], by_rule: bool) -> None:
        """Assert, in the active ``Logic``, the clauses a query of ``goal`` can read that are not there yet.

        These are the rules of every predicate reachable from the goal's atoms, except those
        of recursive components (their fixpoints are asserted as facts for each query); with
        ``by_rule``, the by-rule twins of the goal atom's own rules too.
        """
        read = self._read_by(goal)
        if by_rule and isinstance(goal, Atom) and goal.key not in self._component_of:
            read.discard(goal.key)  # its twins read only its bodies' predicates
        for key in sorted(read - state.compiled):
            state.compiled.add(key)
            if key not in self._component_of:
                for rule_index in self._rules_of.get(key, ()):
                    rule = self.program.rules[rule_index]
                    pyEngine.assert_(self._compiler.clause(rule.head, plan_body(rule.body).order, rule_index))
        if by_rule and isinstance(goal, Atom) and goal.key not in state.compiled_by_rule:
            state.compiled_by_rule.add(goal.key)
            twin = BY_RULE.format(predicate=goal.predicate, arity=goal.arity)
            for rule_index in self._rules_of.get(goal.key, ()):
                rule = self.program.rules[rule_index]
                head = Atom(twin, (Constant(rule_index), *rule.head.arguments))
                pyEngine.assert_(self._compiler.clause(head, plan_body(rule.body).order, rule_index))

    # -- input facts and isolation -------------------------------------------
    def _input_fact(self, fact: Fact | tuple[str, Iterable[Value]]) -> Fact:
        try:
            predicate, raw_arguments = fact
            arguments = tuple(raw_arguments)
        except (TypeError, ValueError):
            raise QueryError(f"an input fact is a (predicate, arguments) pair, not {fact!r}") from None
        key = (predicate, len(arguments))
        declaration = self.inputs.get(key)
        if declaration is None:
            declared = ", ".join(f"{name}/{arity}" for name, arity in sorted(self.inputs)) or "none"
            raise QueryError(
                f"{predicate}/{len(arguments)} is not an input predicate of this program; declared inputs: {declared}"
            )
        for parameter, value in zip(declaration.parameters, arguments, strict=True):
            is_number = isinstance(value, int) and not isinstance(value, bool)
            if (
                (parameter.type == "number" and not is_number)
                or (parameter.type == "symbol" and not isinstance(value, str))
                or (parameter.type == "any" and not (is_number or isinstance(value, str)))
            ):
                raise QueryError(
                    f"{predicate}: {parameter.name} must be a {parameter.type}, not {type(value).__name__} {value!r}"
                )
        return Fact(predicate, arguments)

    @contextmanager
    def _activated(self) -> Iterator[_ThreadLogic]:
        state: _ThreadLogic | None = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = self._build()
        previous = getattr(Logic.tl, "logic", None)
        Logic.tl.logic = state.logic
        try:
            yield state
        finally:
            _restore(previous)

    def _discard_after_failure(self) -> None:
        """Rebuild this thread's program at its next query.

        A query that pyDatalog abandons (a budget exceeded, an error) leaves its half-done
        resolution (every subgoal and task, possibly millions) in the thread's ``Logic``;
        dropping the whole state frees it now, and the next query starts clean.
        """
        self._local.state = None

    def _check_clean(self, state: _ThreadLogic) -> None:
        leftovers = [f"{name}/{arity}" for (name, arity), pred in state.scoped_predicates.items() if len(pred.db)]
        if leftovers:
            self._local.state = None
            raise IsolationError(f"facts of {', '.join(leftovers)} survived their query; engine rebuilt")


def _rows(answer: Any, literal: Any) -> list[Row]:
    if answer is True:
        return [tuple(term.id for term in literal.terms)]
    return [tuple(row) for row in answer or []]


def _matching(goal: Atom, rows: Iterable[Row]) -> set[Row]:
    """The rows that match ``goal``'s constants and repeated variables."""
    fixed = [(i, argument.value) for i, argument in enumerate(goal.arguments) if isinstance(argument, Constant)]
    first: dict[str, int] = {}
    same: list[tuple[int, int]] = []
    for i, argument in enumerate(goal.arguments):
        if isinstance(argument, Variable) and not argument.is_anonymous:
            if argument.name in first:
                same.append((first[argument.name], i))
            else:
                first[argument.name] = i
    return {
        row for row in rows if all(row[i] == value for i, value in fixed) and all(row[i] == row[j] for i, j in same)
    }


def _restore(previous: Any) -> None:
    if previous is None:
        if hasattr(Logic.tl, "logic"):
            del Logic.tl.logic
    else:
        Logic.tl.logic = previous


def _body_predicates(program: Program) -> set[PredicateKey]:
    keys: set[PredicateKey] = set()
    for rule in program.rules:
        for literal in rule.body:
            if isinstance(literal, Atom):
                keys.add(literal.key)
            elif isinstance(literal, Negation):
                keys.add(literal.atom.key)
    return keys


def _goal_text(goal: Atom | tuple[BodyLiteral, ...]) -> str:
    return str(goal) if isinstance(goal, Atom) else ", ".join(str(literal) for literal in goal)


__all__ = ["Engine", "Fact", "Row", "answer_variables", "row_order", "value_order"]
