"""Properties of the command line over generated patients: its two ways in give one answer."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from backspasm.cli import main
from backspasm.reasoner.api import Advisor
from tests.strategies import patients


def as_options(record: dict[str, Any]) -> list[str]:
    """The quick form of a record: one option per field, CODE:VALUE for an attribute."""
    options = ["--id", record["id"], "--age", str(record["age"]), "--symptom-days", str(record["symptom_days"])]
    options += ["--relaxant-days-taken", str(record["relaxant_days_taken"])]
    if record.get("flare_up"):
        options.append("--flare-up")
    if record.get("relaxant_course_day") is not None:
        options += ["--relaxant-course-day", str(record["relaxant_course_day"])]
    for field, option in (
        ("conditions", "--condition"),
        ("medications", "--medication"),
        ("red_flags", "--red-flag"),
        ("preferences", "--preference"),
        ("allergies", "--allergy"),
    ):
        for item in record.get(field, []):
            if isinstance(item, dict):
                value = next(value for key, value in item.items() if key != "code")
                item = f"{item['code']}:{value}"
            options += [option, item]
    return options


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=patients())
def test_the_quick_form_answers_like_the_record_file(advisor: Advisor, record: dict[str, Any]) -> None:
    runner = CliRunner()
    by_options = runner.invoke(main, ["recommend", *as_options(record), "--format", "json"], catch_exceptions=False)
    by_stdin = runner.invoke(main, ["recommend", "-", "--format", "json"], input=json.dumps(record))
    assert by_options.exit_code == by_stdin.exit_code == 0
    assert by_options.output == by_stdin.output
    answer = advisor.recommend(record)
    assert json.loads(by_stdin.output) == {**answer.to_json(), "summary": advisor.summary(answer).to_json()}
