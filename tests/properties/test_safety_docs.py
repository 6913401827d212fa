"""docs/safety.md names real tests and real constraints, so the promises and the checks stay in step."""

from __future__ import annotations

import re

from backspasm.reasoner.api import Advisor
from tests.conftest import ROOT
from tests.properties.test_constraints import INVARIANT_CONSTRAINTS

SAFETY = ROOT / "docs" / "safety.md"


def test_every_test_named_in_docs_safety_exists() -> None:
    page = SAFETY.read_text(encoding="utf-8")
    sources = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("test_*.py"))
    named = set(re.findall(r"`(test_\w+)`", page))
    assert named, "docs/safety.md names no test"
    assert {name for name in named if f"def {name}(" not in sources} == set()


def test_every_constraint_is_listed_in_docs_safety(advisor: Advisor) -> None:
    page = SAFETY.read_text(encoding="utf-8")
    for names in INVARIANT_CONSTRAINTS.values():
        for name in names:
            assert f"`{name}`" in page
