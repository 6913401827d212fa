"""Hypothesis profiles for the property tests, chosen by the suite's ``--slow`` option.

``ci`` (the default run): 100 generated patients per property, about 1000 in all. One
patient costs about 15 ms to draw and answer, so the properties stay within about 20
seconds on a shared two-core machine, while 100 draws per property (half of each numeric
field on a threshold or next to it) hit each of the about 30 boundary values several
times; the exhaustive boundary tests then cover every combination of them systematically.
``slow`` (``pytest --slow``): 2000 patients per property, about 20 000 in all.

Deadlines are off for the properties, whose cost is the engine's and varies with the
machine's load; the fuzz tests set their own deadline to show that no input hangs.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.verify import Outcome, VerificationReport
from tests.conftest import record_checked
from tests.properties.boundary_sample import boundary_sample

CI_EXAMPLES = 100
SLOW_EXAMPLES = 2000

settings.register_profile(
    "ci", max_examples=CI_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile(
    "slow", max_examples=SLOW_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile("slow" if config.getoption("--slow") else "ci")


@pytest.fixture(scope="session")
def differential_outcomes(
    advisor: Advisor, boundary_report: VerificationReport, request: pytest.FixtureRequest
) -> list[Outcome]:
    """The boundary patients the clingo and SQL differentials answer, with pyDatalog's outcome for each.

    The default profile takes the stratified sample of tests/properties/boundary_sample.py
    (every anchor, grid value, left-out field value, code option and distinct answer);
    ``--slow`` takes every patient of the default level.
    """
    outcomes = boundary_report.outcomes
    if request.config.getoption("--slow"):
        chosen, how = outcomes, "all"
    else:
        positions = boundary_sample(advisor.record_spec, outcomes)
        chosen, how = [outcomes[position] for position in positions], "stratified sample; all with --slow"
    record_checked(
        request.config,
        f"the clingo and SQL differentials covered {len(chosen)} of {len(outcomes)} boundary patients ({how})",
    )
    return chosen
