"""A session: one subject's input facts and the questions asked about them.

A session holds its facts as an immutable value and hands them to the engine for each
query; the engine asserts them for that query only. Sessions can therefore be opened
side by side, interleaved, or used from several threads, and one session's facts can
never answer another's question. Results are memoised per session, since the facts
cannot change while it is open.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

from ..errors import QueryError
from .budget import Budget
from .engine import Engine, Fact, Materialized, Row, answer_variables
from .program import Atom, BodyLiteral, Constant, Program, Rule, Term, Value, Variable


class Session:
    """Evaluate queries for one set of input facts (one patient)."""

    def __init__(
        self, engine: Engine, facts: Iterable[Fact | tuple[str, Iterable[Value]]], budget: Budget | None = None
    ) -> None:
        self._engine = engine
        self.budget = budget
        """The budget of each query of this session (the process default when None)."""
        self.facts: tuple[Fact, ...] = tuple(sorted({engine.check_fact(fact) for fact in facts}, key=str))
        self._memo: dict[object, list[Row]] = {}
        self._materialized: Materialized = {}
        """Fixpoints of recursive components, computed once per session: the facts cannot change."""
        self._closed = False

    @property
    def program(self) -> Program:
        """The program this session evaluates, for tools that reason about its rules (the tracer)."""
        return self._engine.program

    def query(self, predicate: str, *arguments: Value | None) -> list[Row]:
        """Rows of ``predicate`` whose arguments equal the given ones; ``None`` matches anything.

        >>> from backspasm.reasoner import load_kb
        >>> kb = load_kb(text='.input temp(c: number). hot :- temp(C), C > 30. level(high) :- hot.')
        >>> with kb.session([("temp", (35,))]) as session:
        ...     session.query("level", None)
        [('high',)]
        """
        return self.solve(_pattern(predicate, arguments))

    def holds(self, predicate: str, *arguments: Value) -> bool:
        """True when the ground fact ``predicate(arguments)`` follows."""
        return bool(self.query(predicate, *arguments))

    def ask(self, text: str) -> list[dict[str, Value]]:
        """Answer a Datalog query such as ``item(C, K), K != avoid``: one dict per solution."""
        from .syntax import parse_query
        from .validate import check_query

        goal = parse_query(text)
        problems = check_query(self._engine.program, goal)
        if problems:
            raise QueryError("; ".join(problem.message for problem in problems))
        names = answer_variables(goal)
        return [dict(zip(names, row, strict=True)) for row in self.solve(goal)]

    def derivations(self, predicate: str, *arguments: Value | None) -> list[tuple[Rule, Row]]:
        """Rows of ``predicate`` matching ``arguments``, each with a rule or fact that gives it."""
        pattern = _pattern(predicate, arguments)
        key = ("by rule", pattern)
        if key not in self._memo:
            self._check_open()
            self._memo[key] = [
                (index, *row)
                for index, row in self._engine.solve_by_rule(self.facts, pattern, self._materialized, self.budget)
            ]
        rules = self._engine.program.rules
        return [(rules[int(entry[0])], tuple(entry[1:])) for entry in self._memo[key]]

    def solve(self, goal: Atom | tuple[BodyLiteral, ...]) -> list[Row]:
        if goal not in self._memo:
            self._check_open()
            self._memo[goal] = self._engine.solve(self.facts, goal, self._materialized, self.budget)
        return list(self._memo[goal])

    def _check_open(self) -> None:
        if self._closed:
            raise QueryError("this session is closed; open a new one")

    def close(self) -> None:
        self._closed = True
        self._memo.clear()
        self._materialized.clear()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def _pattern(predicate: str, arguments: tuple[Value | None, ...]) -> Atom:
    terms: tuple[Term, ...] = tuple(Variable("_") if value is None else Constant(value) for value in arguments)
    return Atom(predicate, terms)
