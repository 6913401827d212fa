"""kb diff: the same cohort answered by two versions of a knowledge base, every difference counted.

The edits below are the kind a guideline author makes: a limit changed in one fact. The
report must say which rules were edited, which answers changed and how, and nothing else.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backspasm import bundled_kb
from backspasm.reasoner.advisor.diff import diff_cohort
from backspasm.reasoner.advisor.inputs import read_jsonl
from backspasm.reasoner.api import Advisor, load_advisor

PATIENTS = [
    {"id": "new", "age": 45, "symptom_days": 5, "relaxant_days_taken": 0},
    {"id": "fifteen-days", "age": 45, "symptom_days": 20, "relaxant_days_taken": 15},
    {"id": "elderly", "age": 80, "symptom_days": 5, "relaxant_days_taken": 0},
]


def cohort(*extra: str) -> list[str]:
    return [json.dumps(patient) for patient in PATIENTS] + list(extra)


@pytest.fixture(scope="module")
def shorter_limit(tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    """The bundled knowledge base with the cumulative relaxant limit cut from 21 days to 14."""
    copy = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(bundled_kb(), copy)
    rules = copy / "relaxant.dl"
    text = rules.read_text()
    assert "relaxant_cumulative_limit(21)." in text
    rules.write_text(text.replace("relaxant_cumulative_limit(21).", "relaxant_cumulative_limit(14)."))
    return load_advisor(copy)


def test_the_same_knowledge_base_changes_no_answer(advisor: Advisor) -> None:
    report = diff_cohort(advisor, advisor, read_jsonl(cohort(), "cohort"))
    assert (report.patients, report.changed, report.changes, report.rules_edited) == (3, 0, {}, [])


def test_a_shorter_limit_names_the_edited_rule_and_every_answer_it_changes(
    advisor: Advisor, shorter_limit: Advisor
) -> None:
    report = diff_cohort(advisor, shorter_limit, read_jsonl(cohort(), "cohort"))
    assert report.rules_edited == ["relaxant_cumulative_limit"]
    found = {(change.change, change.code, change.detail): change for change in report.ordered()}
    withheld = found[("kind", "muscle_relaxant_short_course", "consider -> avoid")]
    assert (withheld.patients, withheld.examples) == (1, ["fifteen-days"]), "15 of 14 days: no longer offered"
    remaining = found[("parameter", "muscle_relaxant_short_course", "days_remaining")]
    assert remaining.examples == ["new (21 -> 14)"]
    assert found[("parameter", "prolonged_muscle_relaxant", "max_cumulative_days")].patients == 3
    assert report.changed == 3
    assert all(change.code != "heat_therapy" for change in report.ordered()), "only what the edit touches"


def test_a_bad_record_is_counted_once_and_changes_nothing(advisor: Advisor, shorter_limit: Advisor) -> None:
    report = diff_cohort(advisor, shorter_limit, read_jsonl(cohort('{"id": "broken"}'), "cohort"))
    assert report.patients == 4
    assert all(change.change != "record" for change in report.ordered())


def test_the_command_prints_the_report_and_its_json_follows_the_schema(shorter_limit: Advisor, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from backspasm.cli import main
    from tests.test_cli import validate

    path = tmp_path / "cohort.jsonl"
    path.write_text("\n".join(cohort()) + "\n")
    assert shorter_limit.kb.root is not None
    arguments = ["kb", "diff", str(bundled_kb()), str(shorter_limit.kb.root), str(path)]
    text = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert text.exit_code == 0
    assert text.output.splitlines()[:2] == [
        "back-spasm 1.0.0 -> back-spasm 1.0.0: 3 patients, 3 answers change",
        "  rules edited: relaxant_cumulative_limit",
    ]
    assert "  1 patients: kind muscle_relaxant_short_course: consider -> avoid" in text.output
    as_json = CliRunner().invoke(main, [*arguments, "--format", "json"], catch_exceptions=False)
    validate(json.loads(as_json.output), "kb-diff.schema.json")
