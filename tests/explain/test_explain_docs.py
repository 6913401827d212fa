"""docs/explanations.md stays honest: every kind of node, failure and why-not is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from backspasm.reasoner.explain.explanation import CheckKind, FailureReason, ProofSource, WhyNotKind

DOCS = Path(__file__).resolve().parents[2] / "docs" / "explanations.md"


@pytest.mark.parametrize(
    "name", [*get_args(ProofSource), *get_args(CheckKind), *get_args(FailureReason), *get_args(WhyNotKind)]
)
def test_every_kind_is_documented(name: str) -> None:
    assert f"`{name}`" in DOCS.read_text(encoding="utf-8")


def test_the_example_on_the_docs_page_runs_and_prints_what_the_page_shows(capsys: pytest.CaptureFixture[str]) -> None:
    page = DOCS.read_text(encoding="utf-8")
    [example] = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    exec(compile(example, str(DOCS), "exec"), {})  # the page's own example, run as written
    printed = capsys.readouterr().out
    shown = page.split("```python\n", 1)[1].split("prints\n\n```\n", 1)[1].split("```", 1)[0]
    assert printed == shown
    assert printed.startswith("offer(course, 16): Offer the course for the remaining days")
