"""A program's comparisons as linear forms of its input slots, and what can decide one atom.

The counterfactual search reads both: the comparisons give the days on which a growing
slot can change an answer, and relevance says which input facts an atom can read at all.
"""

from __future__ import annotations

from backspasm.reasoner.language.dependencies import relevance
from backspasm.reasoner.language.program import Atom, Constant
from backspasm.reasoner.language.syntax import parse_program
from backspasm.reasoner.language.thresholds import Linear, comparisons, thresholds


def forms(text: str) -> set[tuple[str, str, str]]:
    """(rule head, operator, form) of every comparison, the form written ``2*a[0] - 1*b[0] + 3``."""
    found = set()
    for comparison in comparisons(parse_program(text)):
        if comparison.form is not None:
            shown = _shown(comparison.form)
        else:
            shown = "opaque, slots unknown" if comparison.slots is None else f"opaque {sorted(comparison.slots)}"
        found.add((str(comparison.rule.head), comparison.operator, shown))
    return found


def _shown(form: Linear) -> str:
    terms = " + ".join(f"{coefficient}*{slot[0]}[{slot[1]}]" for slot, coefficient in form.terms)
    return f"{terms} + {form.offset}"


def test_a_comparison_of_two_slots_is_one_form_in_both() -> None:
    text = (
        ".input taken(days: number). .input day(days: number). course(7). limit(21). "
        "full :- taken(T), day(D), limit(L), course(C), L - T >= C - D."
    )
    assert forms(text) == {("full", ">=", "1*day[0] + -1*taken[0] + 14")}
    assert thresholds(parse_program(text)) == []


def test_a_product_of_two_slots_is_opaque_and_names_them() -> None:
    text = ".input a(x: number). .input b(x: number). big :- a(X), b(Y), X * Y > 10."
    assert forms(text) == {("big", ">", "opaque [('a', 0), ('b', 0)]")}


def test_a_shared_variable_and_a_number_in_an_atom_are_comparisons_too() -> None:
    text = (
        ".input age(years: number). .input due(years: number). "
        "jubilee :- age(65). "
        "birthday :- age(A), due(A). "
        "special(40). marked :- age(A), special(A)."
    )
    assert forms(text) == {
        ("jubilee", "=", "-1*age[0] + 65"),
        ("birthday", "=", "1*age[0] + -1*due[0] + 0"),
        ("marked", "=", "1*age[0] + -40"),
    }


def test_a_value_from_a_recursive_rule_is_not_known() -> None:
    text = (
        ".input edge(a: number, b: number). "
        "reach(X, Y) :- edge(X, Y). reach(X, Z) :- edge(X, Y), reach(Y, Z). "
        "far :- reach(0, Z), Z > 5."
    )
    found = forms(text)
    assert ("far", ">", "1*edge[1] + -5") in found  # Z from the first rule
    assert ("far", ">", "opaque, slots unknown") in found  # Z from the recursive rule


def test_relevance_follows_rules_through_negation_and_keeps_the_heads_constants() -> None:
    program = parse_program(
        ".input med(code: symbol). .input stopped(code: symbol, days: number). .input flag(code: symbol). "
        ".input pref(code: symbol). "
        "excluded(maoi_recent) :- stopped(maoi, D), D < 14. "
        "excluded(flag) :- flag(_). "
        "offer :- not excluded(_). "
        "named(P) :- pref(P)."
    )
    found = relevance(program, Atom("offer", ()))
    assert sorted(str(pattern) for pattern in found.inputs) == ["flag(_)", "stopped(maoi, _)"]
    assert found.reads("stopped", ("maoi", 3)) and not found.reads("stopped", ("ssri", 3))
    assert not found.reads("pref", ("walking",))


def test_relevance_takes_a_join_with_a_fact_table_value_by_value() -> None:
    program = parse_program(
        ".input taken(days: number). .input cond(code: symbol). "
        "excluded(limit) :- taken(T), T >= 21. "
        "excluded(Condition) :- cond(Condition). "
        "ending(limit). "
        "warn :- excluded(Reason), ending(Reason)."
    )
    found = relevance(program, Atom("warn", ()))
    assert sorted(str(pattern) for pattern in found.inputs) == ["cond(limit)", "taken(_)"]
    assert not found.reads("cond", ("glaucoma",))


def test_relevance_of_an_atom_with_constants_skips_rules_for_other_constants() -> None:
    program = parse_program(
        ".input a(x: number). .input b(x: number). item(one) :- a(X), X > 1. item(two) :- b(X), X > 1."
    )
    found = relevance(program, Atom("item", (Constant("one"),)))
    assert [str(pattern) for pattern in found.inputs] == ["a(_)"]
    assert len(found.rules) == 1
