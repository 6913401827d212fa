"""The mutation check in the slow profile: every surviving mutant is explained in docs/safety.md."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.mutation.mutants import run


@pytest.mark.slow
def test_every_surviving_mutant_is_explained_in_docs_safety() -> None:
    page = (ROOT / "docs" / "safety.md").read_text(encoding="utf-8")
    section = page.split("## Surviving mutants", 1)[1].split("\n## ", 1)[0]
    results = run("default", out=lambda line: None)
    survivors = [result.mutant.name for result in results if not result.killed and not result.stillborn]
    assert [name for name in survivors if f"`{name}`" not in section] == []
