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

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.verify import VerificationReport, verify_boundaries

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
def boundary_report(advisor: Advisor, request: pytest.FixtureRequest) -> VerificationReport:
    """Every boundary patient of the default level, evaluated once and shared by the tests that read it."""
    report = verify_boundaries(advisor, "default", keep=True)
    record_checked(request.config, f"{report.records} boundary patients (default level)")
    return report


CHECKED = pytest.StashKey[list[str]]()


def record_checked(config: pytest.Config, what: str) -> None:
    """Note what a safety test covered, for the summary at the end of the run."""
    config.stash.setdefault(CHECKED, []).append(what)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for what in config.stash.get(CHECKED, []):
        terminalreporter.write_line(f"safety: exhaustive check covered {what}")
