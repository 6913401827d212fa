"""The days on which a growing value can flip a comparison of the rules: exactly those, and no others."""

from __future__ import annotations

from backspasm.reasoner import load_kb
from backspasm.reasoner.explain.flip_days import Growth, candidate_days
from backspasm.reasoner.language.engine import Fact
from backspasm.reasoner.language.thresholds import comparisons


def test_two_values_growing_at_different_rates_meet_on_the_day_computed() -> None:
    kb = load_kb(text=".input a(x: number). .input b(x: number). caught :- a(X), b(Y), X >= Y.")
    start = (Fact("a", (3,)), Fact("b", (10,)))
    growth = [Growth(start[0], 0, 2, 1), Growth(start[1], 0, 1, 1)]
    days = candidate_days(comparisons(kb.program), growth, start, 365)
    assert list(days) == [7]  # 3 + 2d >= 10 + d from day 7 on


def test_the_candidate_days_are_the_days_a_comparison_flips_and_no_others() -> None:
    kb = load_kb(
        text=".input days(d: number). .input week(w: number).\n"
        "acute :- days(D), D < 28.\nchronic :- days(D), D >= 28.\nlate :- week(W), W >= 20."
    )
    start = (Fact("days", (20,)), Fact("week", (18,)))
    growth = [Growth(start[0], 0, 1, 1), Growth(start[1], 0, 1, 7)]
    days = candidate_days(comparisons(kb.program), growth, start, 365)
    assert sorted(days) == [8, 14]  # days reach 28 (D < 28, D >= 28); week 20 in two weeks (W >= 20)
    assert {grown.fact.predicate for grown in days[8]} == {"days"}
    assert {grown.fact.predicate for grown in days[14]} == {"week"}
