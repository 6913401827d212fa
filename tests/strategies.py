"""Hypothesis strategies for subjects of the TRIAGE-shaped test knowledge base.

Each strategy leans on the boundaries the rules test (day 28, a course of 21 days), so
generated subjects land on both sides of every comparison.
"""

from __future__ import annotations

from hypothesis import strategies as st

Facts = list[tuple[str, tuple[int | str, ...]]]


def days() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, 27, 28, 29]), st.integers(min_value=0, max_value=90))


def taken() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, 20, 21, 22]), st.integers(min_value=0, max_value=30))


def flags() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(["fever", "weakness", "trauma"]), max_size=2, unique=True)


@st.composite
def subjects(draw: st.DrawFn) -> Facts:
    """A record: usually days and days taken (each missing now and then), and a few warning flags."""
    facts: Facts = []
    if draw(st.integers(min_value=0, max_value=4)):
        facts.append(("days", (draw(days()),)))
    if draw(st.integers(min_value=0, max_value=4)):
        facts.append(("taken", (draw(taken()),)))
    facts += [("flag", (flag,)) for flag in draw(flags())]
    return facts
