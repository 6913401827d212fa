"""A record from values given one by one: ``CODE:VALUE`` sets the attribute the record description declares."""

from __future__ import annotations

import pytest

from backspasm import bundled_kb
from backspasm.reasoner.advisor.quick_record import QuickValueError, quick_record
from backspasm.reasoner.api import load_advisor

SPEC = load_advisor(bundled_kb()).record_spec


def test_codes_with_values_set_the_attribute_the_code_requires_or_the_value_fits() -> None:
    record = quick_record(
        SPEC,
        {
            "id": "q",
            "age": 45,
            "flare_up": False,
            "relaxant_course_day": None,
            "medications": ("ssri", "maoi:10"),
            "conditions": ("hepatic_impairment:mild", "pregnancy:24"),
            "red_flags": (),
        },
    )
    assert record == {
        "id": "q",
        "age": 45,
        "medications": ["ssri", {"code": "maoi", "days_since_last_dose": 10}],
        "conditions": [
            {"code": "hepatic_impairment", "severity": "mild"},
            {"code": "pregnancy", "gestational_week": 24},
        ],
    }


def test_a_value_no_attribute_takes_names_what_to_write() -> None:
    with pytest.raises(QuickValueError, match="fever takes no value"):
        quick_record(SPEC, {"red_flags": ("fever:3",)})


def test_a_number_attribute_refuses_text() -> None:
    with pytest.raises(QuickValueError, match="is a whole number"):
        quick_record(SPEC, {"medications": ("maoi:ten",)})
