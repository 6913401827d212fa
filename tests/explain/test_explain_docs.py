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


def test_the_example_on_the_docs_page_runs_and_prints_the_tree_and_the_sentence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    [example] = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    exec(compile(example, str(DOCS), "exec"), {})  # the page's own example, run as written
    printed = capsys.readouterr().out
    assert printed.startswith("offer(course, 16)\n")
    assert "Offer the course for the remaining days when symptoms are early and nothing blocks it because" in printed
