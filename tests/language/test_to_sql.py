"""The SQL compilation of a program derives, for every subject at once, what pyDatalog derives for each.

Each test compiles a small generic program, runs it on DuckDB over several subjects in
one database, and compares every derived row, and the rule behind it, with pyDatalog's
answer for each subject alone.
"""

from __future__ import annotations

import duckdb
import pytest
import sqlglot

from backspasm.reasoner import load_kb
from backspasm.reasoner.language.engine import Fact
from backspasm.reasoner.language.program import PredicateKey
from backspasm.reasoner.language.sql_engine import SqlEngine, SqlEvaluationError
from backspasm.reasoner.language.to_sql import DIALECTS, RecursiveStep, RuleStep, compile_program
from tests.programs import GRAPHS, REACHABILITY, TRIAGE, graph_subject, pydatalog_models, triage_facts


def derived_keys(text: str) -> list[PredicateKey]:
    program = load_kb(text=text).program
    return sorted(program.defined_predicates())


def assert_engines_agree(text: str, subjects: list[list[Fact]]) -> None:
    """DuckDB with symbols as text and as an ENUM of the program's and the facts' symbols give pyDatalog's rows."""
    keys = derived_keys(text)
    program = load_kb(text=text).program
    expected = pydatalog_models(text, subjects, keys)
    assert SqlEngine(program).evaluate_by_rule(subjects, keys) == expected
    symbols = {value for subject in subjects for fact in subject for value in fact.arguments if isinstance(value, str)}
    assert SqlEngine(program, symbols=symbols).evaluate_by_rule(subjects, keys, enum=True) == expected


def facts(*pairs: tuple[str, tuple[object, ...]]) -> list[Fact]:
    return [Fact(name, tuple(arguments)) for name, arguments in pairs]  # type: ignore[arg-type]


def test_recursion_under_stratified_negation_matches_pydatalog_for_every_subject() -> None:
    assert_engines_agree(REACHABILITY, [graph_subject(edges) for edges in GRAPHS])


def test_recursive_rules_are_evaluated_semi_naively_as_one_group() -> None:
    compiled = compile_program(load_kb(text=REACHABILITY).program)
    groups = [step for step in compiled.steps if isinstance(step, RecursiveStep)]
    assert len(groups) == 1
    (recursive_rule,) = [index for index in groups[0].rules if groups[0].recursive_atoms[index]]
    assert str(compiled.program.rules[recursive_rule]) == "reach(X, Z) :- edge(X, Y), reach(Y, Z)."


def test_mutual_recursion_and_long_chains() -> None:
    text = """
    .input edge(a: number, b: number).
    odd(X, Y) :- edge(X, Y).
    odd(X, Z) :- edge(X, Y), even(Y, Z).
    even(X, Z) :- edge(X, Y), odd(Y, Z).
    both(X, Y) :- odd(X, Y), even(X, Y).
    """
    chain = [Fact("edge", (n, n + 1)) for n in range(30)]
    loop = [Fact("edge", (n, (n + 1) % 5)) for n in range(5)]
    assert_engines_agree(text, [chain, loop, []])


def test_patient_shaped_program_with_arithmetic_bindings_and_negation() -> None:
    assert_engines_agree(TRIAGE, [facts(*triage_facts(patient)) for patient in range(60)])


def test_predicate_cycle_that_is_acyclic_by_rules_runs_without_a_fixpoint() -> None:
    text = """
    .input want(w: symbol).
    item(relaxant, consider) :- want(relaxant).
    relaxant_offered :- item(relaxant, consider).
    item(analgesic, consider) :- relaxant_offered.
    item(note, warn) :- item(analgesic, K), K != avoid.
    """
    compiled = compile_program(load_kb(text=text).program)
    assert all(isinstance(step, RuleStep) for step in compiled.steps)
    assert_engines_agree(text, [facts(("want", ("relaxant",))), facts(("want", ("other",)))])


def test_numbers_and_symbols_in_one_slot_stay_different_values() -> None:
    text = """
    .input value(v: any).
    .input count(n: number).
    same(V) :- value(V), count(V).
    label(V) :- value(V), V != 12.
    twelve :- value(12).
    named :- value("12").
    kb_value(12). kb_value("12"). kb_value(x).
    shared(V) :- kb_value(V), value(V).
    """
    subjects = [
        facts(("value", (12,)), ("count", (12,))),
        facts(("value", ("12",)), ("count", (12,))),
        facts(("value", ("x",))),
        [],
    ]
    assert_engines_agree(text, subjects)


def test_subject_independent_rules_and_negated_inputs_with_no_positive_input() -> None:
    text = """
    .input flag(f: symbol).
    threshold(28).
    limit(L) :- threshold(T), L = T - 7.
    calm(L) :- limit(L), not flag(_).
    """
    assert_engines_agree(text, [facts(("flag", ("red",))), []])
    compiled = compile_program(load_kb(text=text).program)
    assert not compiled.relations[("limit", 1)].per_subject
    assert compiled.relations[("calm", 1)].per_subject


def test_subjects_never_see_each_others_facts() -> None:
    text = ".input p(x: symbol). q(X) :- p(X). none :- not p(_)."
    models = SqlEngine(load_kb(text=text).program).evaluate(
        [facts(("p", ("a",))), facts(("p", ("b",))), []], [("q", 1), ("none", 0)]
    )
    assert [model["q/1"] for model in models] == [(("a",),), (("b",),), ()]
    assert [model["none/0"] for model in models] == [(), (), ((),)]


def test_a_recursion_that_never_ends_stops_with_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from backspasm.reasoner.language import sql_engine

    monkeypatch.setattr(sql_engine, "MAX_RECURSIVE_ROUNDS", 50)
    text = ".input start(n: number). n(X) :- start(X). n(Y) :- n(X), Y = X + 1."
    with pytest.raises(SqlEvaluationError, match="keep deriving"):
        SqlEngine(load_kb(text=text).program).evaluate([facts(("start", (0,)))], [("n", 1)])


def test_subjects_share_a_representative_only_when_their_rows_are_the_same() -> None:
    # Alike: the same rows by the same rules. Not alike: a number and the symbol of its digits, the same
    # value in two predicates, the same row by another rule, one row more.
    text = """
    .input p(x: any).
    .input t(x: any).
    .input flag(f: symbol).
    q(X) :- p(X).
    u(X) :- t(X).
    r(X) :- p(X), flag(on).
    r(X) :- p(X), flag(also).
    """
    program = load_kb(text=text).program
    subjects = [
        facts(("p", (5,))),
        facts(("p", ("5",))),
        facts(("p", (5,)), ("flag", ("on",))),
        facts(("p", (5,)), ("flag", ("also",))),
        facts(("p", (5,)), ("flag", ("on",)), ("flag", ("also",))),
        facts(("p", (5,))),
        facts(("p", (5,)), ("flag", ("on",))),
        [],
        [],
        facts(("t", (5,))),
    ]
    engine = SqlEngine(program)
    with engine.connect() as connection:
        engine.load_facts(connection, subjects)
        engine.run(connection)
        assert engine.same_rows(connection, [("q", 1), ("r", 1), ("u", 1)]) == [0, 1, 2, 3, 4, 0, 2, 7, 7, 9]
        assert engine.same_rows(connection, [("q", 1)]) == [0, 1, 0, 0, 0, 0, 0, 7, 7, 7]
        with pytest.raises(ValueError, match="inputs given: p/1"):  # no rule column to compare, rows may repeat
            engine.same_rows(connection, [("q", 1), ("p", 1)])


def test_duckdb_runs_one_thread_per_core_the_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pinned to one core (taskset, a container's CPU set), DuckDB would still start a thread per core of
    # the machine, and they would take turns on the one core.
    from backspasm.reasoner.language import duckdb_connections

    program = load_kb(text=".input p(x: symbol). q(X) :- p(X).").program
    monkeypatch.setattr(duckdb_connections.os, "sched_getaffinity", lambda _: {3}, raising=False)
    with SqlEngine(program).connect() as connection:
        assert connection.execute("SELECT current_setting('threads')").fetchone() == (1,)
    monkeypatch.setattr(duckdb_connections.os, "sched_getaffinity", lambda _: {0, 1, 2}, raising=False)
    with SqlEngine(program).connect() as connection:
        assert connection.execute("SELECT current_setting('threads')").fetchone() == (3,)
    with SqlEngine(program, threads=2).connect() as connection:
        assert connection.execute("SELECT current_setting('threads')").fetchone() == (2,)


def test_symbols_compare_and_sort_alike_as_an_enum_and_as_text() -> None:
    """An ENUM's members are kept in the order of their text, so DuckDB sorts them (as the compact
    lines' items and parameters are sorted) exactly as it sorts the text."""
    text = """
    .input d(s: symbol).
    named(X) :- d(X), X = "kiwi".
    pair(X, Y) :- d(X), d(Y), X != Y.
    """
    words = ["zebra", "apple", "m", "Mango", "kiwi", "émile", "a b", "a"]
    assert_engines_agree(text, [facts(*(("d", (word,)) for word in words)), facts(("d", ("m",)))])
    engine = SqlEngine(load_kb(text=text).program, symbols=words)
    with engine.connect(enum=True) as connection:
        connection.execute("INSERT INTO d_1 SELECT 0, unnest(?::VARCHAR[])", [words])
        assert str(connection.execute("SELECT typeof(a0) FROM d_1 LIMIT 1").fetchone()[0]).startswith("ENUM(")
        in_order = connection.execute("SELECT list_sort(list(a0))::VARCHAR[], min(a0)::VARCHAR FROM d_1").fetchone()
    assert in_order == (sorted(words), min(words))


def test_an_enum_refuses_a_symbol_it_does_not_list() -> None:
    """A symbol outside the vocabulary is never stored as another: DuckDB refuses the insert (the batch then
    evaluates the chunk again with symbols as text)."""
    program = load_kb(text='.input d(s: symbol).\np(X) :- d(X), X != "a".').program
    engine = SqlEngine(program)
    assert engine.evaluate_by_rule([facts(("d", ("a",)))], [("p", 1)], enum=True) == [{"p/1": []}]
    with pytest.raises(duckdb.ConversionException):
        engine.evaluate_by_rule([facts(("d", ("b",)))], [("p", 1)], enum=True)
    assert engine.evaluate_by_rule([facts(("d", ("b",)))], [("p", 1)]) == [{"p/1": [(("b",), 0)]}]


def test_input_facts_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(SqlEvaluationError, match="is not a number"):
        SqlEngine(load_kb(text=".input d(n: number). p :- d(_).").program).evaluate([facts(("d", ("ten",)))], [])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_script_parses_back_in_every_dialect(dialect: str) -> None:
    script = compile_program(
        load_kb(text=REACHABILITY + TRIAGE.replace(".input", ".input").split("%")[0]).program
    ).script(dialect)
    statements = [s for s in sqlglot.parse(script, read=dialect) if s is not None]
    assert len(statements) >= 10


def test_the_duckdb_script_runs_as_printed() -> None:
    import duckdb

    program = load_kb(text=TRIAGE).program
    script = compile_program(program).script("duckdb")
    connection = duckdb.connect()
    connection.execute(
        script.replace(
            "CREATE TABLE IF NOT EXISTS _subjects (subject BIGINT);",
            "CREATE TABLE IF NOT EXISTS _subjects (subject BIGINT); INSERT INTO _subjects VALUES (7);",
        )
    )
    assert connection.execute("SELECT subject, a0, a1 FROM offer_2").fetchall() == []
