"""Conformance of the Datalog engine: small programs with their expected answers.

Three kinds, each a way the engine once differed from Souffle and clingo: (a) arithmetic
in a head or atom argument, left-associative like every Datalog; (b) a predicate with no
rule and no fact, an empty relation in a plain program (but an error in a guideline);
(c) recursion: left, right and non-linear, mutual, through stratified negation, and an
Andersen-style points-to analysis. Every case runs through the API and through clingo on
the translation of ``reasoner/to_asp.py``; one case of each kind also runs through the
real command line, ``backspasm query --kb FILE 'pred(X0, ...)' --format json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner import KnowledgeBaseError, load_kb
from backspasm.reasoner.language.program import Value
from tests.conftest import ROOT
from tests.properties.asp import clingo_model


class Case(NamedTuple):
    name: str
    program: str
    predicate: str
    arity: int
    expected: list[tuple[Value, ...]]


NUMBERS = "n(1). n(2). n(3).\n"
GRAPH = "edge(a, b). edge(b, c). edge(c, a). edge(c, d). edge(e, e).\n"
CLOSURE_OF_GRAPH = [(x, y) for x in "abc" for y in "abcd"] + [("e", "e")]

ARITHMETIC = [
    Case("head sum", "b(1). b(2).\na(X + 1) :- b(X).", "a", 1, [(2,), (3,)]),
    Case("left-associative minus", "c(10, 3, 2).\nr(X - Y - Z) :- c(X, Y, Z).", "r", 1, [(5,)]),
    Case("times binds tighter", "c(10, 3).\ns(X + Y * 2) :- c(X, Y).", "s", 1, [(16,)]),
    Case("parentheses", "c(10, 3).\ns((X + Y) * 2) :- c(X, Y).", "s", 1, [(26,)]),
    Case("negative results", NUMBERS + "d(X - 5) :- n(X).", "d", 1, [(-4,), (-3,), (-2,)]),
    Case("two arithmetic arguments", NUMBERS + "p(X + 1, X * X) :- n(X).", "p", 2, [(2, 1), (3, 4), (4, 9)]),
    Case("a fact", "k(2 * 3 + 1).", "k", 1, [(7,)]),
    Case("in a body atom", NUMBERS + "has_next(X) :- n(X), n(X + 1).", "has_next", 1, [(1,), (2,)]),
    Case("in a negated atom", NUMBERS + "last(X) :- n(X), not n(X + 1).", "last", 1, [(3,)]),
    Case("in a recursive head", "count(0).\ncount(X + 1) :- count(X), X < 5.", "count", 1, [(i,) for i in range(6)]),
    Case("variable named like the fresh one", "b(1).\na(Arg1 + 1, Arg1) :- b(Arg1).", "a", 2, [(2, 1)]),
]

UNDEFINED = [
    Case("read positively", "q(1).\np(X) :- q(X), r(X).", "p", 1, []),
    Case("read negated", "q(1).\np(X) :- q(X), not r(X).", "p", 1, [(1,)]),
    Case("queried itself", "q(1).\np(X) :- q(X), not r(X).", "r", 1, []),
    Case(
        "inside recursion",
        "e(1, 2). e(2, 3).\nt(X, Y) :- e(X, Y).\nt(X, Y) :- extra(X, Y).\nt(X, Z) :- t(X, Y), e(Y, Z).",
        "t",
        2,
        [(1, 2), (1, 3), (2, 3)],
    ),
]

ANDERSEN = """
new(a, o1). new(b, o2). new(x, o3).
assign(c, a). assign(e, d). assign(a, x).
store(c, f, b).
load(d, a, f).
points_to(V, O) :- new(V, O).
points_to(V, O) :- assign(V, W), points_to(W, O).
points_to(V, O) :- load(V, W, F), points_to(W, B), heap_points_to(B, F, O).
heap_points_to(B, F, O) :- store(V, F, W), points_to(V, B), points_to(W, O).
"""

RECURSION = [
    Case(
        "left recursion over a cycle",
        GRAPH + "p(X, Y) :- edge(X, Y).\np(X, Z) :- p(X, Y), edge(Y, Z).",
        "p",
        2,
        CLOSURE_OF_GRAPH,
    ),
    Case(
        "right recursion over a cycle",
        GRAPH + "p(X, Y) :- edge(X, Y).\np(X, Z) :- edge(X, Y), p(Y, Z).",
        "p",
        2,
        CLOSURE_OF_GRAPH,
    ),
    Case(
        "non-linear recursion", GRAPH + "p(X, Y) :- edge(X, Y).\np(X, Z) :- p(X, Y), p(Y, Z).", "p", 2, CLOSURE_OF_GRAPH
    ),
    Case(
        "a repeated variable",
        GRAPH + "p(X, Y) :- edge(X, Y).\np(X, Z) :- p(X, Y), edge(Y, Z).\ncyclic(X) :- p(X, X).",
        "cyclic",
        1,
        [("a",), ("b",), ("c",), ("e",)],
    ),
    Case(
        "a constant",
        GRAPH + "from_d(Y) :- edge(d, Y).\nfrom_d(Z) :- from_d(Y), edge(Y, Z).\n"
        "from_b(Y) :- edge(b, Y).\nfrom_b(Z) :- from_b(Y), edge(Y, Z).",
        "from_b",
        1,
        [("a",), ("b",), ("c",), ("d",)],
    ),
    Case(
        "mutual recursion",
        "edge(1, 2). edge(2, 3). edge(3, 4).\nodd(X, Y) :- edge(X, Y).\n"
        "odd(X, Z) :- edge(X, Y), even(Y, Z).\neven(X, Z) :- edge(X, Y), odd(Y, Z).",
        "even",
        2,
        [(1, 3), (2, 4)],
    ),
    Case(
        "stratified negation over recursion",
        GRAPH + "node(a). node(b). node(c). node(d). node(e).\n"
        "reach(b).\nreach(Y) :- reach(X), edge(X, Y).\nunreached(X) :- node(X), not reach(X).",
        "unreached",
        1,
        [("e",)],
    ),
    Case(
        "same generation",
        "person(ann). person(bob). person(cy). person(dee).\n"
        "parent(bob, ann). parent(cy, ann). parent(dee, bob).\n"
        "sg(X, X) :- person(X).\nsg(X, Y) :- parent(X, XP), sg(XP, YP), parent(Y, YP).",
        "sg",
        2,
        [("ann", "ann"), ("bob", "bob"), ("bob", "cy"), ("cy", "bob"), ("cy", "cy"), ("dee", "dee")],
    ),
    Case(
        "Andersen points-to",
        ANDERSEN,
        "points_to",
        2,
        [("a", "o1"), ("a", "o3"), ("b", "o2"), ("c", "o1"), ("c", "o3"), ("d", "o2"), ("e", "o2"), ("x", "o3")],
    ),
]

CASES = [
    pytest.param(case, id=f"{kind}: {case.name}")
    for kind, cases in (("arithmetic", ARITHMETIC), ("undefined", UNDEFINED), ("recursion", RECURSION))
    for case in cases
]


@pytest.mark.parametrize("case", CASES)
def test_the_engine_gives_the_expected_answer(case: Case) -> None:
    kb = load_kb(text=case.program)
    with kb.session() as session:
        assert session.query(case.predicate, *([None] * case.arity)) == case.expected


@pytest.mark.parametrize("case", CASES)
def test_clingo_agrees_on_the_translation(case: Case) -> None:
    program = load_kb(text=case.program).program
    model = clingo_model(program, [], [(case.predicate, case.arity)])
    assert list(model[f"{case.predicate}/{case.arity}"]) == case.expected


def query_text(case: Case) -> str:
    return f"{case.predicate}({', '.join(f'X{index}' for index in range(case.arity))})"


@pytest.mark.parametrize("case", [ARITHMETIC[1], UNDEFINED[0], RECURSION[1], RECURSION[-1]], ids=lambda c: c.name)
def test_the_command_line_gives_the_expected_answer(case: Case, tmp_path: Path) -> None:
    program = tmp_path / "program.dl"
    program.write_text(case.program, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "backspasm", "query", "--kb", str(program), query_text(case), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = [{f"X{index}": value for index, value in enumerate(row)} for row in case.expected]
    assert json.loads(result.stdout) == expected


def test_an_undefined_predicate_is_a_lint_warning_in_a_program(tmp_path: Path, runner: CliRunner) -> None:
    program = tmp_path / "program.dl"
    program.write_text("q(1).\np(X) :- q(X), not r(X).\n", encoding="utf-8")
    result = runner.invoke(main, ["kb", "lint", str(program)])
    assert result.exit_code == 0
    assert (
        "warning: r/1 is used but never defined by a rule or fact nor declared with .input; it is read as an "
        "empty relation [undefined]" in result.stdout
    )


def test_an_undefined_predicate_is_an_error_in_a_guideline(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text(
        "name: typo\nversion: 1.0.0\nmode: guideline\nrules: [rules.dl]\nevidence: evidence.yaml\n", encoding="utf-8"
    )
    (tmp_path / "evidence.yaml").write_text(
        "e1:\n  origin: test\n  source: A source\n  backs: acute\n  quality: high\n  words: fair\n", encoding="utf-8"
    )
    (tmp_path / "rules.dl").write_text(
        ".input symptom_days(d: number).\n@id acute\n@evidence e1\n@statement Acute.\n"
        "acute :- symptom_days(D), symptom_day(D), D < 28.\n.output acute().\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeBaseError, match=r"symptom_day/1 is used but never defined.*\[undefined\]"):
        load_kb(tmp_path)


def test_the_tracer_explains_and_checks_a_rule_with_arithmetic_arguments() -> None:
    from backspasm.reasoner.explain.proofcheck import check_proof
    from backspasm.reasoner.explain.tracer import why, why_not
    from backspasm.reasoner.language.program import Atom, Constant

    kb = load_kb(
        text="b(3). b(5).\nc(X - Y - 1) :- b(X), b(Y), X > Y.\nfar(X + 0) :- c(X).\nfar(X + 1) :- far(X), X < 3."
    )
    with kb.session() as session:
        for value, rule in ((1, "c(Arg1) :- b(X), b(Y), X > Y, Arg1 = (X - Y) - 1."), (3, None)):
            atom = Atom("c" if rule else "far", (Constant(value),))
            proofs = why(session, atom)
            assert proofs and check_proof(session, proofs[0]) == []
            if rule:
                assert str(proofs[0].rule) == rule
        assert why_not(session, Atom("c", (Constant(7),))).kind == "rules-fail"
