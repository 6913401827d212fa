"""The text answer a clinician reads: golden for every example patient, short enough for ten seconds.

The golden files under tests/golden/text/ are the reviewed answers; the tests below
state what every one of them promises.
"""

from __future__ import annotations

import json

import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.render.answer import answer_lines
from backspasm.reasoner.render.lines import plain
from tests.conftest import EXAMPLES
from tests.golden import assert_golden

EXAMPLE_NAMES = sorted(path.stem for path in EXAMPLES.glob("*.json"))


def text_answer(advisor: Advisor, name: str, detail: bool = False) -> str:
    answer = advisor.recommend(json.loads((EXAMPLES / f"{name}.json").read_text()))
    return plain(list(answer_lines(answer, advisor.answer_spec, advisor.kb.evidence, detail=detail)))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_answer_matches_its_golden_text(advisor: Advisor, name: str) -> None:
    assert_golden(f"text/{name}.txt", text_answer(advisor, name))


def test_the_acute_answer_fits_in_25_lines(advisor: Advisor) -> None:
    assert len(text_answer(advisor, "acute").splitlines()) <= 25


def test_a_red_flag_answer_starts_with_its_banner_and_a_routine_one_does_not(advisor: Advisor) -> None:
    for name in ("red-flag", "red-flag-urgent"):
        assert text_answer(advisor, name).startswith("!! ")
    assert text_answer(advisor, "red-flag").splitlines()[0] == "!! Emergency: suspected cauda equina syndrome"
    assert text_answer(advisor, "red-flag-urgent").splitlines()[0] == "!! Urgent: suspected malignancy"
    assert not text_answer(advisor, "acute").startswith("!!")


def test_by_default_no_evidence_line_and_no_parameter_line_is_shown(advisor: Advisor) -> None:
    text = text_answer(advisor, "acute")
    assert "evidence:" not in text and "ref1" not in text
    assert "course_days_max" not in text


def test_with_detail_every_item_shows_its_labelled_parameters_in_clinical_order_and_its_evidence(
    advisor: Advisor,
) -> None:
    text = text_answer(advisor, "acute", detail=True)
    assert text.count("evidence: ") >= len(json.loads((EXAMPLES / "acute.json").read_text())) - 1
    relaxant = text[text.index("[muscle_relaxant_short_course]") :]
    order = [relaxant.index(label) for label in ("drug: ", "dose: ", "shortest course (days): ", "longest course")]
    assert order == sorted(order)
    assert "Lumbar support [lumbar_support]" in text
