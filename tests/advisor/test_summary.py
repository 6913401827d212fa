"""The plan summary: what a clinician reads first, drug and stop rule first, red flags in a banner.

Each test states one promise of the answer's first screen for the bundled knowledge base;
the golden text answers of every example patient are in tests/render/test_answer_text.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from backspasm.reasoner.advisor.answer_spec import read_spec
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.errors import KnowledgeBaseError
from tests.conftest import EXAMPLES

EXAMPLE_NAMES = sorted(path.stem for path in EXAMPLES.glob("*.json"))


def summary_of(advisor: Advisor, name: str):  # type: ignore[no-untyped-def]
    answer = advisor.recommend(json.loads((EXAMPLES / f"{name}.json").read_text()))
    return answer, advisor.summary(answer)


def test_the_drug_line_gives_drug_dose_duration_and_stop_rule_in_that_order(advisor: Advisor) -> None:
    _, summary = summary_of(advisor, "acute")
    drug_line = summary.lines[0].text
    positions = [drug_line.index(part) for part in ("Cyclobenzaprine", "5 mg", "3 to 7 days", "stop and reassess")]
    assert positions == sorted(positions)


def test_a_course_under_way_is_offered_as_the_days_that_complete_it_not_as_a_new_course(advisor: Advisor) -> None:
    answer, summary = summary_of(advisor, "course-day-5")
    assert "2 days more, continuing the course from day 5" in summary.lines[0].text
    relaxant = answer.item("muscle_relaxant_short_course")
    assert relaxant is not None and "3 to 7" not in relaxant.statements[0] and "2 days more" in relaxant.statements[0]


def test_a_warning_about_the_offered_drug_sits_under_its_line(advisor: Advisor) -> None:
    _, summary = summary_of(advisor, "ssri")
    drug_line = summary.lines[0]
    assert drug_line.codes == ("muscle_relaxant_short_course",)
    assert any("serotonin syndrome risk with an SSRI" in caution for caution in drug_line.cautions)


def test_a_warning_about_a_withheld_drug_sits_beside_the_reason_it_is_withheld(advisor: Advisor) -> None:
    _, summary = summary_of(advisor, "elderly")
    withheld = next(line for line in summary.lines if "muscle_relaxant_short_course" in line.codes)
    assert withheld.text.startswith("Not offered (age 65 or over, Beers criteria)")
    assert withheld.cautions == ("caution: Beers criteria, avoid at 65 and over",)


def test_items_withheld_for_the_same_reason_share_one_line(advisor: Advisor) -> None:
    _, summary = summary_of(advisor, "red-flag")
    unexplained = [line for line in summary.lines if line.text.startswith("Not offered (a red flag is unexplained)")]
    assert len(unexplained) == 1
    assert set(unexplained[0].codes) == {"massage", "spinal_manipulation", "muscle_relaxant_short_course"}


def test_a_red_flag_opens_a_banner_with_tier_condition_flags_timeframe_and_action(advisor: Advisor) -> None:
    _, summary = summary_of(advisor, "red-flag")
    banner = "\n".join(summary.banner)
    for words in ("Emergency", "suspected cauda equina syndrome", "saddle anaesthesia", "emergency department", "now"):
        assert words in banner
    _, routine = summary_of(advisor, "acute")
    assert routine.banner == ()


def test_items_every_patient_gets_are_one_footer_not_repeated_in_the_plan(advisor: Advisor) -> None:
    for name in EXAMPLE_NAMES:
        _, summary = summary_of(advisor, name)
        assert set(summary.footer_codes) == {"lumbar_support", "tens", "prolonged_muscle_relaxant"}, name
        assert summary.footer.startswith("Not for anyone: ")
        assert not any(set(line.codes) & set(summary.footer_codes) for line in summary.lines), name


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_plan_is_at_most_eight_lines_and_says_no_code_or_placeholder(advisor: Advisor, name: str) -> None:
    answer, summary = summary_of(advisor, name)
    lines = summary.text_lines()
    assert len(lines) <= 8, lines
    said = [*lines, *summary.banner, summary.footer, *(s for item in answer.items for s in item.statements)]
    for text in said:
        assert not re.search(r"[{}\[\]]|\b[a-z]+_[a-z_]+\b", text), text


def test_every_item_of_the_answer_is_in_the_summary_or_under_a_line_of_it(advisor: Advisor) -> None:
    for name in EXAMPLE_NAMES:
        answer, summary = summary_of(advisor, name)
        placed = {*summary.banner_codes, *summary.footer_codes, *(c for line in summary.lines for c in line.codes)}
        warnings_beside = {
            item.code for item in answer.items if advisor.answer_spec.codes[item.code].about in answer.codes()
        }
        assert {item.code for item in answer.items} <= placed | warnings_beside, name


def test_a_note_naming_an_unknown_parameter_is_refused_at_load_with_its_place(advisor: Advisor) -> None:
    data_file = advisor.kb.data["answer"]
    codes = {**data_file.data["codes"], "tens": {"label": "TENS", "note": "{dose_mg}"}}
    broken = replace(data_file, data={**data_file.data, "codes": codes})
    spec = read_spec(broken)
    problems = spec.check_against(advisor.kb.program, broken)
    assert any("{dose_mg} is not a parameter of the answer vocabulary" in problem.message for problem in problems)


def test_a_summary_line_of_an_unknown_kind_is_refused_naming_the_allowed_kinds(advisor: Advisor) -> None:
    data_file = advisor.kb.data["answer"]
    broken = replace(data_file, data={**data_file.data, "summary": {"lines": [{"kinds": ["offer"]}]}})
    with pytest.raises(KnowledgeBaseError, match="offer is not one of refer, warn, recommend, consider, avoid"):
        read_spec(broken)


def test_parameters_come_in_the_vocabulary_order_not_alphabetically(advisor: Advisor) -> None:
    answer, _ = summary_of(advisor, "acute")
    relaxant = answer.item("muscle_relaxant_short_course")
    assert relaxant is not None
    assert list(relaxant.parameters)[:4] == ["drug", "dose", "course_days_min", "course_days_max"]
