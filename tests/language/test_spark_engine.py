"""The compiled program on Spark derives, for every subject at once, what pyDatalog derives for each.

One local Spark session serves the whole test run (the ``spark`` fixture); these tests
run small generic programs on it, recursion included, and compare every derived row, and
the rule behind it, with pyDatalog's answer for each subject alone.
"""

from __future__ import annotations

from typing import Any

from backspasm.reasoner import load_kb
from backspasm.reasoner.language.engine import Fact
from backspasm.reasoner.language.spark_engine import SparkEngine
from backspasm.reasoner.language.to_sql import RecursiveStep, compile_program
from tests.programs import GRAPHS, REACHABILITY, TRIAGE, graph_subject, pydatalog_models, triage_facts


def assert_spark_agrees(spark: Any, text: str, subjects: list[list[Fact]]) -> None:
    program = load_kb(text=text).program
    keys = sorted(program.defined_predicates())
    assert SparkEngine(program, spark).evaluate_by_rule(subjects, keys) == pydatalog_models(text, subjects, keys)


def test_recursive_rules_on_spark_give_pydatalog_s_rows_for_every_subject(spark: Any) -> None:
    assert any(isinstance(step, RecursiveStep) for step in compile_program(load_kb(text=REACHABILITY).program).steps)
    assert_spark_agrees(spark, REACHABILITY, [graph_subject(edges) for edges in GRAPHS])


def test_numbers_negation_and_bindings_on_spark_give_pydatalog_s_rows(spark: Any) -> None:
    subjects = [[Fact(name, arguments) for name, arguments in triage_facts(patient)] for patient in range(30)]  # type: ignore[arg-type]
    assert_spark_agrees(spark, TRIAGE, subjects)


def test_a_run_leaves_no_view_behind(spark: Any) -> None:
    program = load_kb(text=TRIAGE).program
    before = {table.name for table in spark.catalog.listTables()}
    SparkEngine(program, spark).evaluate_by_rule([[Fact("days", (3,))]], [("offer", 2)])
    assert {table.name for table in spark.catalog.listTables()} == before
