"""Shared fixtures and the ``--slow`` profile.

The default run keeps to a few minutes; ``pytest --slow`` runs the long profiles
(more generated patients, the 100 000-patient batch) described in docs/testing.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the slow profile (long property runs, big batches)")


def pytest_configure(config: pytest.Config) -> None:
    config.slow_profile = config.getoption("--slow")  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip_slow = pytest.mark.skip(reason="slow profile: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session")
def advisor():  # type: ignore[no-untyped-def]
    """The bundled back-spasm advisor, loaded once."""
    from reasoner.api import load_advisor

    return load_advisor(ROOT / "kb")


EXAMPLES = ROOT / "examples" / "patients"
