"""pyDatalog, clingo and SQL on DuckDB, given the same rules and patients, derive the same answers.

The knowledge base is translated into ASP (reasoner/language/to_asp.py) and solved by clingo; every
output predicate (item, item_parameter, item_conflict, violation) must have the same rows
in every engine, on boundary patients and on generated ones; the SQL engine
(reasoner/language/to_sql.py) must also cite the same rule for every row. A clause the
translation cannot spell fails here: there is no skip.

pyDatalog answers every boundary patient of the default level (tests/properties/test_boundaries.py);
clingo and SQL answer the stratified sample of tests/properties/boundary_sample.py in the
default profile (every anchor, grid value, left-out field value and code option) and every
boundary patient under ``--slow``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis.strategies import lists

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.verify import Outcome, VerificationReport, boundary_values, code_options, evaluate
from backspasm.reasoner.language.engine import row_order
from backspasm.reasoner.language.sql_engine import SqlEngine
from backspasm.reasoner.language.syntax import parse_program
from backspasm.reasoner.language.to_asp import to_asp
from tests.properties.asp import clingo_model, clingo_models, differences
from tests.properties.boundary_sample import boundary_sample
from tests.properties.conftest import examples
from tests.strategies import patients


def _disagreement(advisor: Advisor, record: dict[str, Any], model: Any) -> dict[str, object]:
    facts = advisor.read_record(record).facts
    return differences(model, clingo_model(advisor.kb.program, facts, advisor.kb.program.outputs()))


def test_the_whole_knowledge_base_translates_to_asp(advisor: Advisor) -> None:
    assert to_asp(advisor.kb.program).count("\n") == len(advisor.kb.program.rules)
    assert to_asp(advisor.kb.program, subjects=True).count("_subject(Subject)") == len(advisor.kb.program.rules)


def test_quoted_symbols_become_strings_and_names_constants() -> None:
    program = parse_program('dose(x, "5 mg a day") :- a(X), X >= -3, not b("plain"), Y = X * 2 + 1, c(Y).')
    assert to_asp(program) == 'dose(x, "5 mg a day") :- a(VX), VX >= -3, not b(plain), VY = ((VX * 2) + 1), c(VY).\n'


def test_both_engines_agree_on_the_boundary_patients(advisor: Advisor, differential_outcomes: list[Outcome]) -> None:
    outcomes = differential_outcomes
    clingo = clingo_models(advisor.kb.program, [advisor.read_record(dict(o.record)).facts for o in outcomes])
    disagreements = [
        (dict(outcome.record), found)
        for outcome, model in zip(outcomes, clingo, strict=True)
        if (found := differences(outcome.model, model))
    ]
    assert disagreements == [], f"{len(disagreements)} of {len(outcomes)} patients differ; first: {disagreements[:2]}"


def test_the_sample_of_the_differentials_meets_every_boundary_value_and_code_option(
    advisor: Advisor, boundary_report: VerificationReport
) -> None:
    outcomes = boundary_report.outcomes
    positions = boundary_sample(advisor.record_spec, outcomes)
    assert positions == boundary_sample(advisor.record_spec, outcomes), "the sample is not deterministic"
    records = [outcome.record for outcome in outcomes]
    sample = [records[position] for position in positions]
    assert len(sample) < len(records) / 5
    answers = {_items(outcome) for outcome in outcomes}
    assert {_items(outcomes[position]) for position in positions} == answers, "the sample misses an answer"
    values = boundary_values(advisor)
    for name in values:
        met, everywhere = _values_of(name, sample), _values_of(name, records)
        assert met == everywhere, f"the sample misses values of {name}: {sorted(everywhere - met, key=str)}"
    for name, options in code_options(advisor, values).items():
        missed = [codes for codes in options if not any(record.get(name) == codes for record in sample)]
        assert missed == [], f"the sample misses code options of {name}: {missed}"
    bounded = [(field.name, field.at_most) for field in advisor.record_spec.fields if field.at_most]
    for name, bound in bounded:
        pairs = {(record.get(name), record.get(bound)) for record in records if name in record}
        met_pairs = {(record.get(name), record.get(bound)) for record in sample if name in record}
        assert pairs == met_pairs, f"the sample misses pairs of {name} and {bound}: {sorted(pairs - met_pairs)}"


def _items(outcome: Outcome) -> tuple[tuple[str, str], ...]:
    return tuple((item.code, item.kind) for item in outcome.answer.items)


def _values_of(name: str, records: Sequence[Mapping[str, Any]]) -> set[object]:
    """The values a field (``age``) or a code attribute (``medications.days_since_last_dose``) takes in ``records``."""
    field, _, attribute = name.partition(".")
    if not attribute:
        return {record.get(name) for record in records}
    return {entry.get(attribute) for record in records for entry in record.get(field, []) if isinstance(entry, dict)}


@settings(max_examples=examples(100))
@given(patients())
def test_both_engines_agree_on_generated_patients(advisor: Advisor, patient: dict[str, Any]) -> None:
    assert _disagreement(advisor, patient, evaluate(advisor, patient).model) == {}


def _sql_models(advisor: Advisor, records: list[dict[str, Any]]) -> list[dict[str, tuple[Any, ...]]]:
    program = advisor.kb.program
    return SqlEngine(program).evaluate([advisor.read_record(record).facts for record in records], program.outputs())


def test_sql_on_duckdb_agrees_with_pydatalog_and_clingo_on_the_boundary_patients(
    advisor: Advisor, differential_outcomes: list[Outcome]
) -> None:
    outcomes = differential_outcomes
    records = [dict(outcome.record) for outcome in outcomes]
    sql = _sql_models(advisor, records)
    clingo = clingo_models(advisor.kb.program, [advisor.read_record(record).facts for record in records])
    disagreements = [
        (record, found)
        for record, outcome, by_sql, by_clingo in zip(records, outcomes, sql, clingo, strict=True)
        if (found := differences(outcome.model, by_sql) or differences(by_clingo, by_sql))
    ]
    assert disagreements == [], f"{len(disagreements)} of {len(outcomes)} patients differ; first: {disagreements[:2]}"


def test_sql_cites_the_same_rules_as_pydatalog_on_the_boundary_patients(
    advisor: Advisor, differential_outcomes: list[Outcome]
) -> None:
    program = advisor.kb.program
    records = [dict(outcome.record) for outcome in differential_outcomes]
    outputs = sorted(program.outputs())
    by_sql = SqlEngine(program).evaluate_by_rule([advisor.read_record(r).facts for r in records], outputs)
    index = {id(rule): number for number, rule in enumerate(program.rules)}
    for record, found in zip(records, by_sql, strict=True):
        with advisor.session(record) as session:
            expected = {
                f"{name}/{arity}": sorted(
                    {(row, index[id(rule)]) for rule, row in session.derivations(name, *([None] * arity))},
                    key=lambda entry: (row_order(entry[0]), entry[1]),
                )
                for name, arity in outputs
            }
        assert found == expected, record


@settings(max_examples=10)
@given(lists(patients(), min_size=1, max_size=18))
def test_sql_agrees_with_pydatalog_on_generated_cohorts(advisor: Advisor, cohort: list[dict[str, Any]]) -> None:
    """One SQL run costs about a second whatever the cohort size: few cohorts of up to 18 (at most 180 patients)."""
    sql = _sql_models(advisor, cohort)
    assert [
        differences(evaluate(advisor, patient).model, model) for patient, model in zip(cohort, sql, strict=True)
    ] == [{}] * len(cohort)
