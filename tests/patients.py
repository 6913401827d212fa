"""Hypothesis strategies for back-spasm patient records, named after the fields they fill.

Numbers lean on the thresholds the rules compare with (28 and 84 days, 15, 20, 50 and 65
years, 21 days of relaxant, 14 days since an MAO inhibitor), so generated patients land
on both sides of each.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def _code(item: Any) -> str:
    """The code of a list item, bare or with attributes: a code is listed at most once."""
    return item if isinstance(item, str) else str(item["code"])


def ages() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([14, 15, 19, 20, 50, 51, 64, 65]), st.integers(min_value=0, max_value=120))


def symptom_days() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 27, 28, 84, 85]), st.integers(min_value=0, max_value=400))


def conditions() -> st.SearchStrategy[list[Any]]:
    plain = st.sampled_from(["hyperthyroidism", "arrhythmia", "glaucoma", "urinary_retention", "pregnancy"])
    hepatic = st.builds(
        lambda severity: {"code": "hepatic_impairment", "severity": severity},
        st.sampled_from(["mild", "moderate", "severe"]),
    )
    return st.lists(st.one_of(plain, hepatic), max_size=2, unique_by=_code)


def medications() -> st.SearchStrategy[list[Any]]:
    codes = st.sampled_from(["maoi", "ssri", "tramadol", "alcohol", "nsaid"])
    stopped = st.builds(
        lambda code, days: {"code": code, "days_since_last_dose": days},
        codes,
        st.sampled_from([0, 13, 14, 30]),
    )
    return st.lists(st.one_of(codes, stopped), max_size=2, unique_by=_code)


def red_flags() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(["fever", "saddle_anaesthesia", "major_trauma"]), max_size=2, unique=True)


@st.composite
def patients(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(symptom_days())
    record: dict[str, Any] = {
        "id": "generated",
        "age": draw(ages()),
        "symptom_days": days,
        "relaxant_days_taken": draw(st.integers(min_value=0, max_value=min(days, 25))),
    }
    if draw(st.booleans()):
        record["flare_up"] = True
    for name, strategy in (("conditions", conditions()), ("medications", medications()), ("red_flags", red_flags())):
        value = draw(strategy)
        if value:
            record[name] = value
    return record
