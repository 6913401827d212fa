"""pyDatalog and clingo, given the same rules and patients, derive the same answers.

The knowledge base is translated into ASP (reasoner/language/to_asp.py) and solved by clingo; every
output predicate (item, item_parameter, item_conflict, violation) must have the same rows
in both engines, on every boundary patient and on generated ones. A clause the
translation cannot spell fails here: there is no skip.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.verify import VerificationReport, evaluate
from backspasm.reasoner.language.syntax import parse_program
from backspasm.reasoner.language.to_asp import to_asp
from tests.properties.asp import clingo_model, clingo_models, differences
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


def test_both_engines_agree_on_every_boundary_patient(advisor: Advisor, boundary_report: VerificationReport) -> None:
    outcomes = boundary_report.outcomes
    clingo = clingo_models(advisor.kb.program, [advisor.read_record(dict(o.record)).facts for o in outcomes])
    disagreements = [
        (dict(outcome.record), found)
        for outcome, model in zip(outcomes, clingo, strict=True)
        if (found := differences(outcome.model, model))
    ]
    assert disagreements == [], f"{len(disagreements)} of {len(outcomes)} patients differ; first: {disagreements[:2]}"


@given(patients())
def test_both_engines_agree_on_generated_patients(advisor: Advisor, patient: dict[str, Any]) -> None:
    assert _disagreement(advisor, patient, evaluate(advisor, patient).model) == {}
