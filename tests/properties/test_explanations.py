"""The tracer's promises on the bundled knowledge base, over generated patients.

Every "why not" on an item the answer lacks names failing literals that are in fact
false for that patient (the proofs of the items the answer holds are checked by
invariant 9 in test_invariants.py).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.explain.tracer import why_not
from backspasm.reasoner.language.program import Atom, Constant
from tests.explain.test_explain_properties import assert_failures_are_false
from tests.strategies import patients


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients())
def test_every_why_not_on_an_absent_item_names_literals_that_are_false(
    advisor: Advisor, patient: dict[str, Any]
) -> None:
    spec = advisor.answer_spec
    held = advisor.recommend(patient).codes()
    with advisor.session(patient) as session:
        for code in spec.codes:
            for kind in spec.offering_kinds:
                if held.get(code) == kind:
                    continue
                explanation = why_not(session, Atom(spec.items, (Constant(code), Constant(kind))))
                assert not explanation.holds
                assert_failures_are_false(session, explanation)
