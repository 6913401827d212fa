"""Every query has a budget (time, derived facts, integer digits), checked while it is evaluated.

Each runaway program below would run for minutes or exhaust memory without one. The
limits here are small so every case stops at once; the error names the limit and the
option that raises it. No test measures time: each asserts on the error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner import load_kb
from backspasm.reasoner.errors import EvaluationError, KnowledgeBaseError
from backspasm.reasoner.language.budget import Budget, BudgetExceeded, Meter, default_budget

DOUBLING = ".input start(n: number).\nn(X) :- start(X).\nn(Z) :- n(X), n(Y), Z = X + Y.\n.output n(x: number)."
CROSS_PRODUCT = (
    ".input f(n: number).\np(A, B, C, D) :- f(A), f(B), f(C), f(D).\n"
    ".output p(a: number, b: number, c: number, d: number)."
)
FILTERED_CROSS_PRODUCT = (
    ".input f(n: number).\np(A) :- f(A), f(B), f(C), f(D), A + B + C + D < 0.\n.output p(a: number)."
)
SQUARING = ".input start(n: number).\nn(X) :- start(X).\nn(Y) :- n(X), Y = X * X.\n.output n(x: number)."
SQUARING_WITHOUT_RECURSION = (
    ".input start(n: number).\ns0(X) :- start(X).\n"
    + "".join(f"s{i + 1}(Y) :- s{i}(X), Y = X * X.\n" for i in range(40))
    + ".output s40(x: number)."
)
SIXTY = [("f", (number,)) for number in range(60)]


def stopped_by(text: str, facts: list[tuple[str, tuple[int, ...]]], predicate: str, budget: Budget) -> str:
    """The limit that stopped the query of ``predicate``."""
    kb = load_kb(text=text)
    arity = next(arity for name, arity in kb.program.outputs() if name == predicate)
    with kb.session(facts, budget) as session, pytest.raises(BudgetExceeded) as caught:
        session.query(predicate, *([None] * arity))
    option = {"seconds": "--max-seconds", "facts": "--max-facts", "digits": "--max-digits"}[caught.value.limit]
    assert option in str(caught.value) and f"Budget({caught.value.limit}=...)" in str(caught.value)
    return caught.value.limit


def test_a_recursive_sum_that_never_ends_stops_at_the_fact_limit() -> None:
    assert stopped_by(DOUBLING, [("start", (1,))], "n", Budget(facts=200)) == "facts"


def test_a_recursive_sum_that_never_ends_stops_at_the_time_limit() -> None:
    assert stopped_by(DOUBLING, [("start", (1,))], "n", Budget(seconds=0.2, facts=10**9)) == "seconds"


def test_a_non_recursive_cross_product_stops_at_the_fact_limit() -> None:
    assert stopped_by(CROSS_PRODUCT, SIXTY, "p", Budget(facts=1000)) == "facts"


def test_a_non_recursive_cross_product_stops_at_the_time_limit() -> None:
    assert stopped_by(CROSS_PRODUCT, SIXTY, "p", Budget(seconds=0.2, facts=10**9)) == "seconds"


def test_a_cross_product_that_derives_nothing_still_stops_at_the_time_limit() -> None:
    assert stopped_by(FILTERED_CROSS_PRODUCT, SIXTY, "p", Budget(seconds=0.2)) == "seconds"


def test_squaring_recursively_stops_at_the_digit_limit() -> None:
    assert stopped_by(SQUARING, [("start", (2,))], "n", Budget(digits=50)) == "digits"


def test_squaring_in_a_chain_of_rules_stops_at_the_digit_limit() -> None:
    assert stopped_by(SQUARING_WITHOUT_RECURSION, [("start", (3,))], "s40", Budget(digits=50)) == "digits"


def test_integers_within_the_digit_limit_are_exact() -> None:
    kb = load_kb(text=SQUARING_WITHOUT_RECURSION)
    with kb.session([("start", (1,))], Budget(digits=5)) as session:
        assert session.query("s40", None) == [(1,)]
    assert Meter(Budget(digits=3)).compute("*", 31, 32) == 992
    with pytest.raises(BudgetExceeded):
        Meter(Budget(digits=3)).compute("*", 32, 32)


def test_a_body_of_300_literals_answers_or_stops_at_its_limit() -> None:
    body = ", ".join(f"f(X{index})" for index in range(300))
    kb = load_kb(text=f".input f(n: number).\np(X0) :- {body}.\n.output p(x: number).")
    with kb.session([("f", (1,))]) as session:
        assert session.query("p", None) == [(1,)]
    with kb.session([("f", (1,)), ("f", (2,))], Budget(seconds=0.3)) as session, pytest.raises(BudgetExceeded):
        session.query("p", None)  # 2**300 combinations


def test_a_recursive_body_of_300_literals_answers() -> None:
    body = ", ".join(f"e(X{index}, X{index + 1})" for index in range(300))
    kb = load_kb(text=f".input e(a: number, b: number).\nfar(X0, X300) :- {body}.\nfar(X, Z) :- far(X, Y), far(Y, Z).")
    with kb.session([("e", (0, 0))]) as session:
        assert session.query("far", None, None) == [(0, 0)]


def test_a_sum_of_20000_terms_is_a_clear_error_at_its_position() -> None:
    with pytest.raises(KnowledgeBaseError, match=r"<text>:1:13: error: an expression nests more than 200 operations"):
        load_kb(text="p(X) :- X = " + " + ".join(["1"] * 20_000) + ".")
    with pytest.raises(KnowledgeBaseError, match="nests more than 200"):
        load_kb(text="p(" + " + ".join(["1"] * 20_000) + ").")


@pytest.mark.parametrize("recursive", [False, True], ids=["pyDatalog", "semi-naive"])
def test_a_memory_error_inside_arithmetic_is_an_error_never_a_value(
    recursive: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = ".input start(n: number).\nn(X) :- start(X).\nm(Y) :- n(X), Y = X * X.\n"
    if recursive:
        text += "m(Y) :- m(X), X < 0, Y = X + 1.\n"

    def exhausted(self: Meter, operator: str, left: int, right: int) -> int:
        raise MemoryError

    monkeypatch.setattr(Meter, "compute", exhausted)
    kb = load_kb(text=text + ".output m(x: number).")
    with kb.session([("start", (3,))]) as session, pytest.raises(EvaluationError, match="MemoryError"):
        session.query("m", None)


def test_a_budget_refuses_limits_that_are_not_positive() -> None:
    for bad in ({"seconds": 0}, {"facts": 0}, {"digits": -1}, {"facts": 1.5}, {"facts": True}):
        with pytest.raises(ValueError, match="budget"):
            Budget(**bad)  # type: ignore[arg-type]


def test_the_command_line_raises_and_lowers_each_limit(tmp_path: Path, runner: CliRunner) -> None:
    program = tmp_path / "doubling.dl"
    program.write_text(DOUBLING.replace(".input start(n: number).", "start(1)."))
    result = runner.invoke(main, ["query", "--kb", str(program), "n(X)", "--max-facts", "50"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: the query stopped: it derived more than 50 facts, its limit; raise the limit with --max-facts on "
        "the command line or Budget(facts=...) in the API"
    ]
    squares = tmp_path / "squares.dl"
    squares.write_text("big(Y) :- n(X), Y = X * X.\nn(123456789).")
    assert runner.invoke(main, ["query", "--kb", str(squares), "big(Y)", "--max-digits", "10"]).exit_code == 1
    raised = runner.invoke(main, ["query", "--kb", str(squares), "big(Y)", "--max-digits", "20", "--format", "json"])
    assert raised.exit_code == 0, raised.output
    assert raised.stdout.strip() == '[\n  {\n    "Y": 15241578750190521\n  }\n]'
    assert default_budget() == Budget(), "an invocation's options must not outlive it"
