"""Shared fixtures and the ``--slow`` profile.

The default run keeps to a few minutes; ``pytest --slow`` runs the long profiles
(more generated patients, the 100 000-patient batch) described in docs/testing.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the slow profile (long property runs, big batches)")


def pytest_configure(config: pytest.Config) -> None:
    config.slow_profile = config.getoption("--slow")  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when the library was imported under a second name.

    The repository root is the package ``backspasm`` and is on ``sys.path`` for ``tests.*``,
    so ``import reasoner`` would load a second copy of every module, with its own
    thread-local state and its own pyDatalog callbacks: tests must import ``backspasm.…``.
    """
    import sys

    strays = sorted(name for name in sys.modules if name.split(".")[0] in ("reasoner", "cli", "kb"))
    if strays:
        print(f"\nthe library was imported outside the backspasm package: {', '.join(strays[:5])}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
    from backspasm.reasoner.api import load_advisor

    return load_advisor(ROOT / "kb")


@pytest.fixture(scope="session")
def boundary_report(advisor, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Every boundary patient of the default level, evaluated once in pyDatalog and shared by the tests that read it."""
    from tests.boundary_report import verify_default_boundaries

    report = verify_default_boundaries(advisor, ROOT / "kb")
    record_checked(request.config, f"exhaustive check covered {report.records} boundary patients (default level)")
    return report


CHECKED = pytest.StashKey[list[str]]()


def record_checked(config: pytest.Config, what: str) -> None:
    """Note what a safety test covered, for the summary at the end of the run."""
    config.stash.setdefault(CHECKED, []).append(what)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for what in config.stash.get(CHECKED, []):
        terminalreporter.write_line(f"safety: {what}")


EXAMPLES = ROOT / "examples" / "patients"


@pytest.fixture(autouse=True, scope="session")
def _private_kb_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never write to the user's cache directory: the KB cache lives in a temporary one."""
    previous = os.environ.get("BACKSPASM_CACHE_DIR")
    os.environ["BACKSPASM_CACHE_DIR"] = str(tmp_path_factory.mktemp("kb-cache"))
    yield
    if previous is None:
        del os.environ["BACKSPASM_CACHE_DIR"]
    else:
        os.environ["BACKSPASM_CACHE_DIR"] = previous


class _Runner(CliRunner):
    """A click test runner that lets exceptions through, so a traceback fails the test."""

    def invoke(self, *arguments: Any, **options: Any) -> Result:  # type: ignore[override]
        options.setdefault("catch_exceptions", False)
        return super().invoke(*arguments, **options)


@pytest.fixture
def runner() -> CliRunner:
    """The CLI test runner (catch_exceptions=False)."""
    return _Runner()


WITHOUT_SPARK = "BACKSPASM_TEST_WITHOUT_SPARK"
"""Set to 1 to skip the Spark tests on purpose (the spark extra not installed); otherwise a
missing pyspark fails them, so that CI, which installs the test extra, never skips them."""


def require_pyspark() -> None:
    """Skip when the Spark tests are deliberately off; fail when pyspark is missing by accident."""
    import importlib.util

    if os.environ.get(WITHOUT_SPARK) == "1":
        pytest.skip(f"{WITHOUT_SPARK}=1: the spark extra is deliberately not installed")
    if importlib.util.find_spec("pyspark") is None:
        pytest.fail(
            f"pyspark is missing: the test extra installs it (pip install -e '.[test]'); "
            f"set {WITHOUT_SPARK}=1 to skip the Spark tests on purpose"
        )


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    """One local Spark session for the whole test run (two cores), stopped at its end."""
    require_pyspark()
    from backspasm.reasoner.language.spark_session import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()
