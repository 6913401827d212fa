"""Hypothesis profiles for the property tests, chosen by the suite's ``--slow`` option.

``ci`` (the default run): 50 generated patients per invariant property, about 1000 in all.
One patient costs about 35 ms to draw and answer, so the invariants stay within about 35
seconds on a two-core machine, while 50 draws per property (half of each numeric field on
a threshold or next to it) still hit each of the about 30 boundary values a few times per
property and many times over the 19 properties; the exhaustive boundary tests then check
every invariant on every combination of them systematically. The fuzzers and the
differential test on generated patients keep 100 draws (:func:`examples`): they are cheap.
``slow`` (``pytest --slow``): 2000 patients per property, about 40 000 in all.

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

CI_EXAMPLES = 50
SLOW_EXAMPLES = 2000

settings.register_profile(
    "ci", max_examples=CI_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile(
    "slow", max_examples=SLOW_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile("slow" if config.getoption("--slow") else "ci")


def examples(in_the_default_run: int) -> int:
    """Draws for a property that takes more than the ``ci`` profile's by default (the slow profile's with --slow).

    Read when a test module is imported, after :func:`pytest_configure` has loaded the profile.
    """
    return SLOW_EXAMPLES if settings.get_current_profile_name() == "slow" else in_the_default_run


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
