"""Statement templates: filled with one answer's values, optional parts left out, never a brace shown."""

import pytest

from backspasm.reasoner.knowledge.template import Template, TemplateError, fill


def test_a_placeholder_is_replaced_by_its_value_in_words() -> None:
    template = Template.parse("Cyclobenzaprine with {drugs} can cause serotonin syndrome.")
    assert template.fill({"drugs": ("ssri", "tramadol")}, words=lambda v: " and ".join(v)) == (
        "Cyclobenzaprine with ssri and tramadol can cause serotonin syndrome."
    )


def test_an_optional_part_is_left_out_unless_every_placeholder_in_it_has_a_value() -> None:
    template = Template.parse("{course_days_max} days[ (day {current_course_day} of the course)].")
    assert template.fill({"course_days_max": 2}) == "2 days."
    assert template.fill({"course_days_max": 2, "current_course_day": 5}) == "2 days (day 5 of the course)."


def test_a_missing_placeholder_outside_brackets_keeps_its_words_not_its_braces() -> None:
    assert Template.parse("Stop: {reasons}.").fill({}) == "Stop: reasons."
    assert Template.parse("Stop: {reasons}.").fill({}, missing=lambda name: "the reasons given") == (
        "Stop: the reasons given."
    )


def test_variables_and_parameters_are_told_apart_by_their_first_letter() -> None:
    template = Template.parse("{Left} of {max_cumulative_days} days are left")
    assert {part.name: part.is_variable for part in template.parts if not isinstance(part, (str, tuple))} == {
        "Left": True,
        "max_cumulative_days": False,
    }
    assert template.names == {"Left", "max_cumulative_days"}


def test_doubled_characters_stand_for_themselves() -> None:
    assert Template.parse("a {{set}} and a [[list]]").fill({}) == "a {set} and a [list]"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[a [b] c]", "do not nest"),
        ("a ] b", "closes no '['"),
        ("a [b", "not closed"),
        ("a {1x} b", "placeholder is {name}"),
        ("a { b", "placeholder is {name}"),
    ],
)
def test_a_template_that_cannot_be_read_is_an_error_that_says_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("[", r"\[").replace("{", r"\{")):
        Template.parse(text)


def test_fill_returns_unreadable_text_unchanged() -> None:
    assert fill("a { b", {"b": 1}) == "a { b"
