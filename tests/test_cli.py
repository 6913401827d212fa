"""The command line as a user meets it: each test is a command, its exact output and exit code.

Commands run through click's CliRunner in the repository root, with exceptions let
through (a traceback fails the test). Long outputs are golden files (tests/golden/cli/),
regenerated with ``UPDATE_GOLDEN=1`` like the others.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result
from referencing import Registry, Resource

import backspasm
from backspasm.cli import main
from tests.conftest import EXAMPLES, ROOT
from tests.golden import assert_golden

SCHEMAS = ROOT / "docs" / "schemas"
ACUTE = "examples/patients/acute.json"
EXAMPLE_COUNT = len(list(EXAMPLES.glob("*.json")))


@pytest.fixture(autouse=True)
def _in_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(runner: CliRunner, *arguments: str, stdin: str | None = None) -> Result:
    return runner.invoke(main, list(arguments), input=stdin, catch_exceptions=False)


def validate(value: Any, schema_name: str) -> None:
    explanation = json.loads((SCHEMAS / "explanation.schema.json").read_text())
    registry: Registry[Any] = Registry().with_resource(explanation["$id"], Resource.from_contents(explanation))
    schema = json.loads((SCHEMAS / schema_name).read_text())
    jsonschema.Draft202012Validator(schema, registry=registry).validate(value)


# -- recommend ------------------------------------------------------------------


def test_recommend_prints_the_answer_grouped_by_kind(runner: CliRunner) -> None:
    result = run(runner, "recommend", ACUTE)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert_golden("cli/recommend-acute.txt", result.output)


def test_recommend_opens_a_red_flag_answer_with_its_banner_and_puts_the_referral_first(runner: CliRunner) -> None:
    result = run(runner, "recommend", "examples/patients/red-flag.json")
    assert result.exit_code == 0, "a red flag is an answer, not an error"
    lines = result.output.splitlines()
    assert lines[0] == "!! Emergency: suspected cauda equina syndrome"
    assert "bladder retention, frequency or overflow incontinence; saddle anaesthesia" in lines[1]
    kinds = [line.strip() for line in lines if line.strip().isupper()]
    assert kinds[:2] == ["PLAN", "REFER"]


def test_recommend_evidence_adds_labelled_parameters_and_graded_evidence(runner: CliRunner) -> None:
    result = run(runner, "recommend", "examples/patients/red-flag.json", "--evidence")
    assert result.exit_code == 0
    assert "      red flags: bladder retention, frequency or overflow incontinence; saddle anaesthesia" in (
        result.output.splitlines()
    )
    assert "evidence: red_flags (" in result.output


def test_recommend_json_is_the_published_answer(runner: CliRunner) -> None:
    result = run(runner, "recommend", ACUTE, "--format", "json")
    assert result.exit_code == 0
    answer = json.loads(result.output)
    validate(answer, "answer.schema.json")
    golden = json.loads((ROOT / "tests" / "golden" / "answers" / "acute.json").read_text())
    summary = answer.pop("summary")
    assert answer == golden
    assert summary["lines"][0]["codes"] == ["muscle_relaxant_short_course"]


def test_recommend_reads_the_record_from_stdin(runner: CliRunner) -> None:
    result = run(runner, "recommend", "-", "--format", "json", stdin=(EXAMPLES / "acute.json").read_text())
    assert result.exit_code == 0
    assert json.loads(result.output)["subject"] == "acute"


def test_recommend_reads_yaml_from_stdin(runner: CliRunner) -> None:
    record = "id: yaml\nage: 70\nsymptom_days: 3\nrelaxant_days_taken: 0\n"
    result = run(runner, "recommend", "-", "--format", "json", stdin=record)
    assert result.exit_code == 0
    codes = {item["code"]: item["kind"] for item in json.loads(result.output)["items"]}
    assert codes["beers_muscle_relaxant"] == "warn"
    assert codes["muscle_relaxant_short_course"] == "avoid"


def test_recommend_from_options_answers_a_quick_question(runner: CliRunner) -> None:
    result = run(runner, "recommend", "--symptom-days", "10", "--age", "45", "--medication", "ssri", "--format", "json")
    assert result.exit_code == 0
    answer = json.loads(result.output)
    assert answer["subject"] == "command-line"
    warning = next(item for item in answer["items"] if item["code"] == "serotonin_syndrome_risk")
    assert warning["kind"] == "warn" and warning["parameters"] == {"drugs": ["ssri"]}


def test_recommend_options_carry_attributes(runner: CliRunner) -> None:
    result = run(
        runner,
        "recommend",
        "--id=p1",
        "--age=40",
        "--symptom-days=100",
        "--flare-up",
        "--relaxant-days-taken=16",
        "--condition=hepatic_impairment:mild",
        "--medication=maoi:20",
        "--preference=yoga",
        "--format=json",
    )
    assert result.exit_code == 0
    course = next(item for item in json.loads(result.output)["items"] if item["code"] == "muscle_relaxant_short_course")
    assert course["kind"] == "consider"
    assert course["parameters"]["course_days_max"] == 5
    assert course["parameters"]["dose"] == "start at 5 mg and titrate slowly (mild hepatic impairment)"


def test_recommend_options_show_the_quick_form_default_in_help(runner: CliRunner) -> None:
    result = run(runner, "recommend", "--help")
    assert "--relaxant-days-taken INTEGER" in result.output
    assert "[default: 0]" in result.output


def test_recommend_missing_required_option_names_the_field(runner: CliRunner) -> None:
    result = run(runner, "recommend", "--age", "45")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        result.stderr
        == "Error: command line: symptom_days: is required: days since the back spasm began (this episode)\n"
    )


def test_recommend_negative_days_is_an_invalid_record(runner: CliRunner) -> None:
    result = run(runner, "recommend", "--age", "45", "--symptom-days", "-3")
    assert result.exit_code == 1
    assert result.stderr == "Error: command line: symptom_days: -3 is below the minimum 0; allowed: 0 to 36500\n"


def test_recommend_unknown_field_names_it_and_what_is_allowed(runner: CliRunner, tmp_path: Path) -> None:
    patient = tmp_path / "p.json"
    patient.write_text('{"id": "x", "age": 45, "symptom_days": 3, "relaxant_days_taken": 0, "weight": 80}')
    result = run(runner, "recommend", str(patient))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {patient}: weight: unknown field; allowed: id, age, symptom_days, flare_up, "
        "relaxant_days_taken, relaxant_course_day, conditions, medications, red_flags, preferences, allergies\n"
    )


def test_recommend_unknown_code_in_the_record(runner: CliRunner) -> None:
    result = run(runner, "recommend", "--age", "45", "--symptom-days", "3", "--medication", "aspirin")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: command line: medications[0]: 'aspirin' is not a known code; allowed: maoi,"
    )


def test_recommend_malformed_json_gives_line_and_column(runner: CliRunner, tmp_path: Path) -> None:
    patient = tmp_path / "broken.json"
    patient.write_text('{\n  "id": "x",\n  "age": 45,,\n}\n')
    result = run(runner, "recommend", str(patient))
    assert result.exit_code == 1
    expected = "invalid JSON at line 3 column 13: Expecting property name enclosed in double quotes"
    assert result.stderr == f"Error: {patient}:3:13: {expected}\n"


def test_recommend_malformed_yaml_gives_line_and_column(runner: CliRunner) -> None:
    result = run(runner, "recommend", "-", stdin="id: x\nage: [45\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: <stdin>:3:1: invalid YAML:")


def test_recommend_missing_file_is_a_usage_error(runner: CliRunner) -> None:
    result = run(runner, "recommend", "no-such.json")
    assert result.exit_code == 2
    assert "Error: Invalid value for '[PATIENT]': File 'no-such.json' does not exist." in result.stderr


def test_recommend_needs_a_patient_or_options(runner: CliRunner) -> None:
    result = run(runner, "recommend")
    assert result.exit_code == 2
    assert "Error: give a PATIENT file, - for standard input, or the record options (--age ...)" in result.stderr


def test_recommend_refuses_a_patient_and_options_together(runner: CliRunner) -> None:
    result = run(runner, "recommend", ACUTE, "--age", "50")
    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_recommend_bad_option_value_is_a_usage_error(runner: CliRunner) -> None:
    result = run(runner, "recommend", "--age", "45", "--symptom-days", "3", "--medication", "maoi:soon")
    assert result.exit_code == 2
    assert "maoi:soon: days_since_last_dose is a whole number" in result.stderr


def test_recommend_with_an_invalid_kb_names_file_line_and_column(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", broken)
    rules = broken / "phases.dl"
    rules.write_text(rules.read_text().replace("Days < 28.", "Days < 28"))
    result = run(runner, "recommend", ACUTE, "--kb", str(broken))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {rules}:9:1: error: syntax error: unexpected '@id phase_subacute'")
    assert "Traceback" not in result.output


def test_version_names_package_and_knowledge_base(runner: CliRunner) -> None:
    result = run(runner, "--version")
    assert result.exit_code == 0
    assert result.output.startswith(f"backspasm {backspasm.__version__}, knowledge base back-spasm 1.0.0")


def test_unknown_command_is_a_usage_error(runner: CliRunner) -> None:
    result = run(runner, "recomend")
    assert result.exit_code == 2
    assert "No such command 'recomend'" in result.stderr


# -- why, why-not ------------------------------------------------------------------


def test_why_prints_the_decisive_path(runner: CliRunner) -> None:
    result = run(runner, "why", ACUTE, "muscle_relaxant_short_course")
    assert result.exit_code == 0
    assert_golden("cli/why-acute-relaxant.txt", result.output)


def test_why_on_the_subacute_example_fits_in_20_lines(runner: CliRunner) -> None:
    result = run(runner, "why", "examples/patients/subacute.json", "muscle_relaxant_short_course")
    assert result.exit_code == 0
    assert len(result.output.splitlines()) <= 20
    assert "  from the record: age 38, symptom days 42, relaxant days taken 5\n" in result.output
    assert_golden("cli/why-subacute-relaxant.txt", result.output)


def test_why_full_prints_the_whole_proof_tree(runner: CliRunner) -> None:
    result = run(runner, "why", ACUTE, "muscle_relaxant_short_course", "--full")
    assert result.exit_code == 0
    assert_golden("cli/why-acute-relaxant.full.txt", result.output)
    assert "rule relaxant_excluded_elderly: relaxant_excluded(age_65_or_over) :- age(Age), Age >= 65." in result.output


def test_why_for_a_fact_of_the_kb(runner: CliRunner) -> None:
    result = run(runner, "why", ACUTE, "tens")
    assert result.exit_code == 0
    assert result.output == (
        "item(tens, avoid): TENS shows no significant difference compared with sham treatment. [tens_avoid]\n"
    )
    result = run(runner, "why", ACUTE, "tens", "--full")
    assert result.output == (
        "item(tens, avoid): knowledge-base fact\n"
        "    TENS shows no significant difference compared with sham treatment.\n"
        "    rule tens_avoid: item(tens, avoid).\n"
        "    evidence: ref1 (moderate (moderate (heat, massage); small to moderate (spinal manipulation); no clear "
        "benefit (lumbar supports); no significant difference vs sham (TENS)), mixed)\n"
    )


@pytest.mark.parametrize("output_format", ["dot", "mermaid", "sentence"])
def test_why_draws_the_proof(runner: CliRunner, output_format: str) -> None:
    result = run(runner, "why", ACUTE, "muscle_relaxant_short_course", "--format", output_format)
    assert result.exit_code == 0
    assert_golden(f"cli/why-acute-relaxant.{output_format}", result.output)


def test_why_json_follows_its_schema(runner: CliRunner) -> None:
    result = run(runner, "why", ACUTE, "muscle_relaxant_short_course", "--format", "json", "--all", "--limit", "2")
    assert result.exit_code == 0
    value = json.loads(result.output)
    validate(value, "why.schema.json")
    assert value["fact"] == "item(muscle_relaxant_short_course, consider)" and value["holds"] is True
    assert len(value["decisive"]) == len(value["proofs"]) >= 1
    assert {"fact": "age(45)", "words": "age 45"} in value["decisive"][0]["record"]
    assert {
        "negation": "not relaxant_excluded(_)",
        "rule": "relaxant_excluded_elderly",
        "checked": "age 45 < 65",
    } in value["decisive"][0]["ruled_out"]


def test_why_for_an_item_not_in_the_answer_points_to_why_not(runner: CliRunner) -> None:
    result = run(runner, "why", "examples/patients/elderly.json", "muscle_relaxant_short_course", "--kind", "consider")
    assert result.exit_code == 0
    assert result.output == (
        "muscle_relaxant_short_course is not in the answer for elderly as consider; ask "
        "`backspasm why-not examples/patients/elderly.json muscle_relaxant_short_course` for the reason.\n"
    )


def test_why_unknown_code_is_a_usage_error(runner: CliRunner) -> None:
    result = run(runner, "why", ACUTE, "acupuncture")
    assert result.exit_code == 2
    assert "Error: Invalid value for 'CODE': 'acupuncture' is not an answer code; allowed: urgent_evaluation," in (
        result.stderr
    )


def test_why_unknown_kind_is_a_usage_error(runner: CliRunner) -> None:
    result = run(runner, "why", ACUTE, "tens", "--kind", "maybe")
    assert result.exit_code == 2
    assert "'maybe' is not a kind; allowed: refer, warn, recommend, consider, avoid" in result.stderr


def test_why_not_names_the_failing_condition(runner: CliRunner) -> None:
    result = run(runner, "why-not", "examples/patients/elderly.json", "muscle_relaxant_short_course")
    assert result.exit_code == 0
    assert_golden("cli/why-not-elderly-relaxant.txt", result.output)
    assert "relaxant_excluded(age_65_or_over) holds, so `not relaxant_excluded(_)` fails" in result.output
    assert "    - age 80 — At 65 and over, skeletal muscle relaxants are avoided (Beers criteria)." in result.output


def test_why_not_for_a_code_no_rule_offers(runner: CliRunner) -> None:
    result = run(runner, "why-not", ACUTE, "tens", "--format", "sentence")
    assert result.exit_code == 0
    assert result.output == (
        "item(tens, recommend) does not hold; the knowledge base says instead that TENS shows no significant "
        "difference compared with sham treatment.\n"
        "\n"
        "What would make item(tens, recommend) hold, and when (up to 2 changes within 365 days, each checked):\n"
        "  - Never under this guideline: no rule concludes it.\n"
    )


def test_why_not_for_an_item_that_holds_says_what_would_end_it(runner: CliRunner) -> None:
    result = run(runner, "why-not", ACUTE, "muscle_relaxant_short_course")
    assert result.exit_code == 0
    assert result.output == (
        "item(muscle_relaxant_short_course, consider) holds; ask why, not why not\n"
        "\n"
        "What would end item(muscle_relaxant_short_course, consider), and when "
        "(up to 2 changes within 365 days, each checked):\n"
        "  - Ends in 75 days, when the spasm has lasted 85 days.\n"
    )


def test_why_not_says_when_a_washout_ends(runner: CliRunner) -> None:
    stdin = json.dumps(
        {
            "id": "maoi",
            "age": 45,
            "symptom_days": 10,
            "relaxant_days_taken": 0,
            "medications": [{"code": "maoi", "days_since_last_dose": 10}],
        }
    )
    result = run(runner, "why-not", "-", "muscle_relaxant_short_course", stdin=stdin)
    assert result.exit_code == 0
    assert result.output.endswith(
        "What would make item(muscle_relaxant_short_course, consider) hold, and when "
        "(up to 2 changes within 365 days, each checked):\n"
        "  - Possible in 4 days, when monoamine oxidase inhibitor was last taken 14 days before.\n"
    )


def test_why_not_without_changes_prints_the_explanation_only(runner: CliRunner) -> None:
    result = run(runner, "why-not", ACUTE, "muscle_relaxant_short_course", "--no-changes")
    assert result.exit_code == 0
    assert result.output == "item(muscle_relaxant_short_course, consider) holds; ask why, not why not\n"
    as_json = json.loads(run(runner, "why-not", ACUTE, "tens", "--no-changes", "--format", "json").output)
    assert "changes" not in as_json


def test_why_not_json_follows_its_schema(runner: CliRunner) -> None:
    result = run(runner, "why-not", "examples/patients/day-22.json", "muscle_relaxant_short_course", "--format", "json")
    assert result.exit_code == 0
    value = json.loads(result.output)
    validate(value, "why-not.schema.json")
    assert value["code"] == "muscle_relaxant_short_course" and len(value["explanations"]) == 1
    [changes] = value["changes"]
    assert (changes["direction"], changes["never"], changes["options"]) == ("make-hold", True, [])
    [blocker] = changes["blockers"]
    assert blocker["record"] == ["relaxant days taken 22"]
    assert blocker["blocks"] == ["relaxant_consider"]


def test_why_not_json_gives_the_changed_record(runner: CliRunner) -> None:
    result = run(
        runner, "why-not", "examples/patients/red-flag.json", "muscle_relaxant_short_course", "--format", "json"
    )
    value = json.loads(result.output)
    validate(value, "why-not.schema.json")
    [option] = value["changes"][0]["options"]
    assert option["days"] == 0 and option["changes"][0]["action"] == "clear"
    assert option["text"].startswith("Not before the red flags are evaluated and explained (saddle anaesthesia")
    assert "red_flags" not in option["record"]
    answer = json.loads(run(runner, "recommend", "-", "--format", "json", stdin=json.dumps(option["record"])).output)
    assert {"code": "muscle_relaxant_short_course", "kind": "consider"}.items() <= next(
        item for item in answer["items"] if item["code"] == "muscle_relaxant_short_course"
    ).items()


def test_why_not_with_a_knowledge_base_without_changes(runner: CliRunner, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", kb)
    manifest = kb / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace("  changes: changes.yaml\n", ""))
    result = run(runner, "why-not", ACUTE, "muscle_relaxant_short_course", "--kb", str(kb))
    assert result.exit_code == 0
    assert result.output == "item(muscle_relaxant_short_course, consider) holds; ask why, not why not\n"


def test_why_not_reads_stdin(runner: CliRunner) -> None:
    stdin = (EXAMPLES / "elderly.json").read_text()
    result = run(runner, "why-not", "-", "muscle_relaxant_short_course", "--format", "sentence", stdin=stdin)
    assert result.exit_code == 0
    assert "relaxant excluded age 65 or over, Beers criteria holds, since at 65 and over" in result.output


def test_why_with_an_invalid_record(runner: CliRunner) -> None:
    result = run(runner, "why", "-", "tens", stdin='{"id": "x"}')
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: <stdin>: age: is required")


# -- batch -----------------------------------------------------------------------


COHORT_EXAMPLES = (
    "acute",
    "chronic-flare",
    "chronic-no-flare",
    "contraindicated",
    "day-19",
    "day-22",
    "elderly",
    "red-flag",
    "ssri",
    "subacute",
)


def cohort_lines() -> list[str]:
    """Ten example patients with three bad lines after the third (the subjects the batch tests expect)."""
    lines = [json.dumps(json.loads((EXAMPLES / f"{name}.json").read_text())) for name in COHORT_EXAMPLES]
    return (
        lines[:3]
        + [
            '{"id": "minus", "age": -1, "symptom_days": 3, "relaxant_days_taken": 0}',
            '{"id": "cut off",',
            "",
            '{"id": "extra", "age": 45, "symptom_days": 3, "relaxant_days_taken": 0, "colour": "red"}',
        ]
        + lines[3:]
    )


def test_batch_answers_every_patient_in_order_and_reports_bad_lines(runner: CliRunner, tmp_path: Path) -> None:
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n".join(cohort_lines()) + "\n")
    result = run(runner, "batch", str(cohort))
    assert result.exit_code == 1, "invalid records make the exit code 1; the others are still answered"
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outputs) == 13
    subjects = [output.get("subject") for output in outputs]
    assert subjects[:3] == ["acute", "chronic-flare", "chronic-no-flare"]
    assert subjects[6:] == ["contraindicated", "day-19", "day-22", "elderly", "red-flag", "ssri", "subacute"]
    assert outputs[3] == {
        "error": {
            "source": f"{cohort}:4",
            "line": 4,
            "problems": [{"field": "age", "message": "-1 is below the minimum 0; allowed: 0 to 120"}],
        }
    }
    assert outputs[4]["error"]["line"] == 5
    assert outputs[5]["error"]["line"] == 7, "a blank line still counts"
    for output in outputs:
        validate(output, "batch-error.schema.json" if "error" in output else "answer.schema.json")
    assert result.stderr.splitlines() == [
        f"Error: {cohort}:4: age: -1 is below the minimum 0; allowed: 0 to 120",
        f"Error: {cohort}:5: invalid JSON at column 18: Expecting property name enclosed in double quotes",
        f"Error: {cohort}:7: colour: unknown field; allowed: id, age, symptom_days, flare_up, relaxant_days_taken, "
        "relaxant_course_day, conditions, medications, red_flags, preferences, allergies",
    ]


def test_batch_reads_stdin_and_writes_a_file_with_an_audit(runner: CliRunner, tmp_path: Path) -> None:
    output = tmp_path / "answers.jsonl"
    stdin = "\n".join(json.dumps(json.loads(path.read_text())) for path in sorted(EXAMPLES.glob("*.json")))
    result = run(runner, "batch", "-", "--output", str(output), "--audit", stdin=stdin)
    assert result.exit_code == 0
    assert len(output.read_text().splitlines()) == EXAMPLE_COUNT
    assert_golden("cli/batch-audit.txt", result.stdout)
    assert result.stderr == ""


def test_batch_audit_json_follows_its_schema(runner: CliRunner, tmp_path: Path) -> None:
    output = tmp_path / "answers.jsonl"
    result = run(runner, "batch", str(EXAMPLES), "-o", str(output), "--audit", "--format", "json")
    assert result.exit_code == 0
    audit = json.loads(result.stdout)
    validate(audit, "audit.schema.json")
    assert audit["patients"] == EXAMPLE_COUNT and audit["errors"] == 0 and audit["violations"] == []
    assert {"code": "tens", "kind": "avoid", "patients": EXAMPLE_COUNT} in audit["codes"]


def test_batch_audit_goes_to_stderr_when_answers_go_to_stdout(runner: CliRunner) -> None:
    result = run(runner, "batch", str(EXAMPLES), "--audit")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == EXAMPLE_COUNT
    assert result.stderr.startswith(f"{EXAMPLE_COUNT} patients answered, 0 invalid records\n")


def test_batch_reports_violated_invariants(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", broken)
    pitfalls = broken / "pitfalls.dl"
    pitfalls.write_text(pitfalls.read_text().replace("item(tens, avoid).", "item(tens, consider)."))
    result = run(runner, "batch", str(EXAMPLES), "--kb", str(broken), "--audit", "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 1
    assert "invariants violated:\n" in result.stdout
    assert f"\n  tens_not_avoided: {EXAMPLE_COUNT} patients, e.g. " in result.stdout


@pytest.mark.slow
def test_batch_with_two_workers_gives_the_same_lines(runner: CliRunner, tmp_path: Path) -> None:
    """Slow profile: tests/test_robustness.py compares two workers' lines with one process's by default."""
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n".join(cohort_lines() * 3) + "\n")
    one = run(runner, "batch", str(cohort), "--chunk-size", "2")
    two = run(runner, "batch", str(cohort), "--engine", "pydatalog", "--workers", "2", "--chunk-size", "2")
    assert one.exit_code == two.exit_code == 1
    assert one.stdout == two.stdout
    assert len(two.stdout.splitlines()) == 39


def test_batch_missing_cohort_is_a_usage_error(runner: CliRunner) -> None:
    result = run(runner, "batch", "nowhere.jsonl")
    assert result.exit_code == 2


# -- query ---------------------------------------------------------------------------


def test_query_prints_a_table_of_solutions(runner: CliRunner) -> None:
    result = run(runner, "query", "--facts", ACUTE, "item(Code, consider)")
    assert result.exit_code == 0
    assert result.output == ("Code\nanalgesic\nmassage\nmuscle_relaxant_short_course\nspinal_manipulation\n")


def test_query_json_is_a_list_of_objects(runner: CliRunner) -> None:
    result = run(
        runner, "query", "--facts", ACUTE, "relaxant_course_max(Max), relaxant_days_left(Left)", "--format", "json"
    )
    assert result.exit_code == 0
    value = json.loads(result.output)
    validate(value, "query.schema.json")
    assert value == [{"Left": 21, "Max": 7}]


def test_query_type_mistake_is_an_error(runner: CliRunner) -> None:
    result = run(runner, "query", "--facts", ACUTE, "item_parameter(muscle_relaxant_short_course, Name, V), V > 6")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: V can hold a symbol; `V > 6` needs numbers there (< <= > >= and + - * work on integers)\n"
    )


def test_query_without_variables_says_yes_or_no(runner: CliRunner) -> None:
    assert run(runner, "query", "--facts", ACUTE, "phase(acute)").output == "yes\n"
    assert run(runner, "query", "--facts", ACUTE, "phase(chronic)").output == "no\n"


def test_query_a_plain_program_with_a_facts_file(runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "graph.dl"
    program.write_text(
        ".input edge(a: symbol, b: symbol).\n"
        "reach(X, Y) :- edge(X, Y).\n"
        "reach(X, Z) :- edge(X, Y), reach(Y, Z).\n"
        ".output reach(a: symbol, b: symbol).\n"
    )
    facts = tmp_path / "edges.facts"
    facts.write_text("edge(a, b).\nedge(b, c).\nedge(c, a).\n")
    result = run(runner, "query", "--kb", str(program), "--facts", str(facts), "reach(a, X)")
    assert result.exit_code == 0
    assert result.output == "X\na\nb\nc\n"


def test_query_with_a_bad_facts_file_names_the_line(runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "graph.dl"
    program.write_text(
        ".input edge(a: symbol, b: symbol).\nreach(X, Y) :- edge(X, Y).\n.output reach(a: symbol, b: symbol).\n"
    )
    facts = tmp_path / "edges.facts"
    facts.write_text("edge(a, b).\nedge(b, X).\n")
    result = run(runner, "query", "--kb", str(program), "--facts", str(facts), "reach(a, X)")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {facts}:2:1: error: edge(b, X). is not a ground fact [facts]")


def test_query_unknown_predicate_is_an_error(runner: CliRunner) -> None:
    result = run(runner, "query", "nonsense(X)")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")


# -- kb ------------------------------------------------------------------------------


def test_kb_lint_of_the_bundled_kb_is_clean(runner: CliRunner) -> None:
    result = run(runner, "kb", "lint")
    assert result.exit_code == 0
    assert result.output == "kb: 0 errors, 0 warnings\n"


def test_kb_lint_reports_errors_and_warnings_with_positions(runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "p.dl"
    program.write_text(".input edge(a: symbol, b: symbol).\nlonely(X) :- edge(X, Y).\n")
    result = run(runner, "kb", "lint", str(program))
    assert result.exit_code == 0, "warnings alone do not fail"
    assert f"{program}:2:22: warning: " in result.output
    program.write_text(".input edge(a: symbol, b: symbol).\nbad(X) :- edge(Y, Y).\n")
    result = run(runner, "kb", "lint", str(program), "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.output)
    validate(problems, "lint.schema.json")
    assert problems[0]["severity"] == "error" and problems[0]["line"] == 2
    assert problems[0]["check"] == "range-restriction"


def test_kb_rules_filters_by_code(runner: CliRunner) -> None:
    result = run(runner, "kb", "rules", "--code", "tens")
    assert result.exit_code == 0
    assert result.output == (
        "tens_avoid\n"
        "  TENS shows no significant difference compared with sham treatment.\n"
        "  item(tens, avoid).\n"
        "  evidence: ref1 (moderate)\n"
    )


def test_kb_rules_json(runner: CliRunner) -> None:
    result = run(runner, "kb", "rules", "--format", "json")
    assert result.exit_code == 0
    rules = json.loads(result.output)
    validate(rules, "rules.schema.json")
    relaxant = next(rule for rule in rules if rule["id"] == "relaxant_consider")
    assert relaxant["position"].startswith("kb/relaxant.dl:")
    assert relaxant["evidence"] == ["ref2", "ref3", "ref5", "acp2017"]


def test_kb_evidence(runner: CliRunner) -> None:
    text = run(runner, "kb", "evidence")
    assert text.exit_code == 0
    assert "ref7 (very-low (theory suggests))\n" in text.output
    result = run(runner, "kb", "evidence", "--format", "json")
    validate(json.loads(result.output), "evidence.schema.json")


def test_kb_coverage(runner: CliRunner) -> None:
    result = run(runner, "kb", "coverage")
    assert result.exit_code == 0
    assert result.output.startswith(
        "1. Management of Severe Back Spasms\n  not actionable: The title of the summary.\n"
    )
    matrix = json.loads(run(runner, "kb", "coverage", "--format", "json").output)
    validate(matrix, "coverage.schema.json")
    assert len(matrix) == 33


def test_kb_coverage_without_traceability_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "p.dl"
    program.write_text(".input a(x: number).\nb(X) :- a(X).\n.output b(x: number).\n")
    result = run(runner, "kb", "coverage", "--kb", str(program))
    assert result.exit_code == 2


def test_kb_docs_writes_every_page(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "kb", "docs", "--output-dir", str(tmp_path), "--format", "json")
    assert result.exit_code == 0
    validate(json.loads(result.output), "docs.schema.json")
    for relative in ("rules.md", "coverage.md", "cli-reference.md"):
        assert (tmp_path / relative).read_text() == (ROOT / "docs" / relative).read_text()


def test_every_schema_in_docs_is_generated_and_up_to_date(runner: CliRunner, tmp_path: Path) -> None:
    """No schema under docs/schemas/ is kept by hand: `kb docs` writes each one, byte for byte."""
    assert run(runner, "kb", "docs", "--output-dir", str(tmp_path)).exit_code == 0
    generated = {path.name for path in (tmp_path / "schemas").iterdir()}
    committed = {path.name for path in SCHEMAS.iterdir()}
    assert committed == generated, "docs/schemas/ differs from what `backspasm kb docs` writes"
    for name in sorted(committed):
        assert (SCHEMAS / name).read_text() == (tmp_path / "schemas" / name).read_text(), (
            f"docs/schemas/{name} is stale: run `backspasm kb docs`"
        )


def test_kb_verify_examples(runner: CliRunner) -> None:
    result = run(runner, "kb", "verify", "--no-generated")
    assert result.exit_code == 0
    assert result.output == f"{EXAMPLE_COUNT} patients checked (0 invalid records)\nno invariant violated\n"


def test_kb_verify_finds_a_broken_invariant(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", broken)
    relaxant = broken / "relaxant.dl"
    relaxant.write_text(relaxant.read_text().replace(", not relaxant_excluded(_).", "."))
    result = run(runner, "kb", "verify", "--kb", str(broken), "--no-generated", "--format", "json")
    assert result.exit_code == 1
    value = json.loads(result.output)
    validate(value, "verify.schema.json")
    elderly = next(entry for entry in value["violations"] if entry["invariant"] == "relaxant_offered_at_65_or_over")
    assert elderly == {
        "invariant": "relaxant_offered_at_65_or_over",
        "patients": 1,
        "examples": [str(EXAMPLES / "elderly.json")],
    }


@pytest.mark.slow
def test_kb_verify_with_the_generated_cohort(runner: CliRunner) -> None:
    result = run(runner, "kb", "verify", "--workers", "2")
    assert result.exit_code == 0
    assert result.output.endswith("no invariant violated\n")


def test_on_a_terminal_the_answer_is_a_tree(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from backspasm.reasoner.render import terminal

    monkeypatch.setattr(terminal, "on_terminal", lambda stream=None: True)
    monkeypatch.setenv("COLUMNS", "200")
    result = run(runner, "recommend", ACUTE)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "Answer for acute (back-spasm 1.0.0)"
    assert lines[1] == "├── PLAN"
    assert lines[2].startswith("│   ├── Cyclobenzaprine 5 mg three times a day")
    assert "\x1b[" not in result.output, "no colour codes when the stream is not really a terminal"


def test_recommend_reads_a_yaml_file(runner: CliRunner, tmp_path: Path) -> None:
    patient = tmp_path / "p.yaml"
    patient.write_text("id: from-yaml\nage: 30\nsymptom_days: 100\nrelaxant_days_taken: 0\nflare_up: true\n")
    result = run(runner, "recommend", str(patient), "--format", "json")
    assert result.exit_code == 0
    codes = {item["code"]: item["kind"] for item in json.loads(result.output)["items"]}
    assert codes["motor_control_exercise"] == "recommend"
    assert codes["muscle_relaxant_short_course"] == "consider"


def test_query_facts_for_an_undeclared_predicate(runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "p.dl"
    program.write_text(".input a(x: number).\nb(X) :- a(X).\n.output b(x: number).\n")
    facts = tmp_path / "f.facts"
    facts.write_text("c(1).\n")
    result = run(runner, "query", "--kb", str(program), "--facts", str(facts), "b(X)")
    assert result.exit_code == 1
    assert result.stderr == "Error: c/1 is not an input predicate of this program; declared inputs: a/1\n"


@pytest.mark.parametrize("output_format", ["dot", "mermaid"])
def test_why_not_draws_the_failed_attempts(runner: CliRunner, output_format: str) -> None:
    result = run(
        runner, "why-not", "examples/patients/elderly.json", "muscle_relaxant_short_course", "--format", output_format
    )
    assert result.exit_code == 0
    assert_golden(f"cli/why-not-elderly-relaxant.{output_format}", result.output)


def test_batch_on_a_terminal_shows_progress_and_still_writes_every_answer(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from backspasm.reasoner.render import terminal

    monkeypatch.setattr(terminal, "on_terminal", lambda stream=None: True)
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("\n".join(cohort_lines()) + "\n")
    output = tmp_path / "answers.jsonl"
    result = run(runner, "batch", str(cohort), "--output", str(output))
    assert result.exit_code == 1
    assert len(output.read_text().splitlines()) == 13
    assert f"Error: {cohort}:4: age: -1 is below the minimum 0" in result.stderr
