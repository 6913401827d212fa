"""What would change it, as a reader meets it: one sentence per option, the never cases, and the JSON."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from backspasm.reasoner.advisor.changes import Changes, Option, Reached
from backspasm.reasoner.advisor.record_world import RecordChange
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.render.changes import change_lines, changes_json, changes_text, option_text
from tests.conftest import EXAMPLES, ROOT

STOP = RecordChange("medications", "stop", "if", "monoamine oxidase inhibitor is stopped", code="maoi")
EVALUATED = RecordChange("red_flags", "clear", "not before", "the red flags are evaluated (Fever)", codes=("fever",))
WASHED_OUT = Reached(
    "medications", "days_since_last_dose", "maoi", 14, ("rule",), "the MAOI was last taken 14 days before"
)
COURSE_DONE = Reached("relaxant_course_day", None, None, 7, ("rule",), "the current course reaches day 7")


def option(changes: tuple[RecordChange, ...], days: int, reached: tuple[Reached, ...] = ()) -> Option:
    return Option(changes, days, reached, {})


def test_time_alone() -> None:
    assert option_text(option((), 4, (WASHED_OUT,)), holds=False) == (
        "Possible in 4 days, when the MAOI was last taken 14 days before."
    )
    assert (
        option_text(option((), 1, (COURSE_DONE,)), holds=True)
        == "Ends in 1 day, when the current course reaches day 7."
    )


def test_a_change_then_time() -> None:
    assert option_text(option((STOP,), 14, (WASHED_OUT,)), holds=False) == (
        "If monoamine oxidase inhibitor is stopped: possible in 14 days, when the MAOI was last taken 14 days before."
    )


def test_not_before_a_change() -> None:
    assert option_text(option((EVALUATED,), 0), holds=False) == (
        "Not before the red flags are evaluated (Fever): possible at once."
    )
    assert option_text(option((STOP, EVALUATED), 0), holds=False) == (
        "If monoamine oxidase inhibitor is stopped and not before the red flags are evaluated (Fever): "
        "possible at once."
    )


def test_more_options_than_shown_are_counted() -> None:
    many = tuple(option((STOP,), 0) for _ in range(5))
    found = Changes("analgesic", "consider", "item(analgesic, consider)", False, 365, 2, many)
    lines = [line.text for line in change_lines(found)]
    assert len(lines) == 5 and lines[-1] == "- and 2 more with as few changes (see --format json)"


def test_nothing_ends_it() -> None:
    found = Changes("heat_therapy", "recommend", "item(heat_therapy, recommend)", True, 30, 1, ())
    assert changes_text([found]) == (
        "\n"
        "What would end item(heat_therapy, recommend), and when (up to 1 change within 30 days, each checked):\n"
        "  - Nothing this guideline lets change ends it within 30 days.\n"
    )


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "docs" / "schemas" / "why-not.schema.json").read_text())
    changes_schema: dict[str, Any] = {**schema, **schema["$defs"]["ItemChanges"]}
    changes_schema.pop("$id")
    return jsonschema.Draft202012Validator(changes_schema)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.stem)
def test_the_json_of_every_example_follows_the_schema_and_its_text(advisor: Advisor, example: Any) -> None:
    record = json.loads(example.read_text())
    found = advisor.changes(record, "muscle_relaxant_short_course", "consider")
    value = changes_json(found)
    validator().validate(value)
    assert value["text"] == [line.text.removeprefix("- ") for line in change_lines(found)[1:]]
    assert value["never"] == (value["options"] == [])
    for shown in value["options"]:
        assert advisor.read_record(shown["record"]).identifier == record["id"]
