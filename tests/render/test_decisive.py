"""The short explanations: the decisive path ``why`` prints, and the sentence a reader gets.

Specifications, each a test: the subacute example's ``why`` fits in 20 lines and names
the patient's facts; every rule checked under a negated condition is listed once; the
sentence never nests brackets; statements are filled (``{Name}`` from the proof,
``{name}`` from the item's parameters) and never show a brace.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from backspasm.reasoner.api import Advisor, load_advisor
from backspasm.reasoner.explain.decisive import decisive_path
from backspasm.reasoner.explain.explanation import Proof, WhyNot
from backspasm.reasoner.render.decisive import render_decisive
from backspasm.reasoner.render.formats import render_as
from backspasm.reasoner.render.phrases import Phrasing
from backspasm.reasoner.render.sentence import render_sentence
from backspasm.reasoner.render.text import render_text
from backspasm.reasoner.render.vocabulary import Vocabulary, vocabulary_of
from tests.conftest import EXAMPLES, ROOT

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))
CLINIC = ROOT / "tests" / "kbs" / "clinic"


@cache
def clinic() -> Advisor:
    return load_advisor(CLINIC)


def record_of(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def explained(advisor: Advisor, record: dict[str, Any]) -> list[tuple[Proof, Vocabulary]]:
    """The smallest proof of every item of the record's answer, with the words to say it in."""
    answer = advisor.recommend(record)
    found = []
    for item in answer.items:
        _, [proof] = advisor.proofs(record, item.code, item.kind)
        found.append((proof, vocabulary_of(advisor.record_spec, advisor.answer_spec, item.parameters)))
    return found


def max_nesting(text: str) -> int:
    depth = deepest = 0
    for character in text:
        if character in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in ")]}":
            depth -= 1
    return deepest


def test_why_on_the_subacute_example_fits_in_20_lines_and_names_the_patients_facts(advisor: Advisor) -> None:
    record = record_of(EXAMPLES / "subacute.json")
    _, [proof] = advisor.proofs(record, "muscle_relaxant_short_course")
    item = advisor.recommend(record).item("muscle_relaxant_short_course")
    assert item is not None
    vocabulary = vocabulary_of(advisor.record_spec, advisor.answer_spec, item.parameters)
    lines = render_decisive(proof, vocabulary).splitlines()
    assert len(lines) <= 20
    assert lines[0].startswith("item(muscle_relaxant_short_course, consider): Consider a short course")
    assert lines[1] == "  from the record: age 38, symptom days 42, relaxant days taken 5"
    assert "    - relaxant_excluded_elderly: age 38 < 65" in lines
    assert "    - relaxant_excluded_limit_reached: relaxant days taken 5 < relaxant cumulative limit 21" in lines


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_every_rule_checked_under_a_negated_condition_is_listed_once(advisor: Advisor, example: Path) -> None:
    for proof, vocabulary in explained(advisor, record_of(example)):
        lines = render_decisive(proof, vocabulary).splitlines()
        for absence, attempt in decisive_path(proof).exclusions:
            if len(absence.why_not.attempts) > 1:
                naming = [line for line in lines if re.search(rf"- (.*, )?{attempt.rule.rule_id}(, .*)?: ", line)]
                assert len(naming) == 1, f"{attempt.rule.rule_id} under {absence.literal} in {example.stem}"
            else:
                said = f"not {Phrasing(vocabulary).atom(absence.fact)} ("
                assert any(said in line for line in lines), f"{absence.literal} in {example.stem}"


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_the_sentence_never_nests_brackets(advisor: Advisor, example: Path) -> None:
    record = record_of(example)
    sentences = [render_sentence(proof, vocabulary) for proof, vocabulary in explained(advisor, record)]
    words = vocabulary_of(advisor.record_spec, advisor.answer_spec)
    for code in ("muscle_relaxant_short_course", "heat_therapy", "tens"):
        sentences += [render_sentence(explanation, words) for explanation in advisor.absences(record, code)]
    for sentence in sentences:
        assert max_nesting(sentence) <= 1, sentence
        assert "because (" not in sentence


def test_a_why_sentence_is_the_statement_then_one_bullet_per_rule_and_per_negated_condition(advisor: Advisor) -> None:
    record = record_of(EXAMPLES / "elderly.json")
    _, [proof] = advisor.proofs(record, "muscle_relaxant_short_course")
    assert render_sentence(proof, vocabulary_of(advisor.record_spec, advisor.answer_spec)) == (
        "Do not offer a muscle relaxant to this patient; each reason is given with its own source, because:\n"
        "- at 65 and over, skeletal muscle relaxants are avoided (Beers criteria), with age 80."
    )


def test_a_why_not_sentence_has_one_bullet_per_rule_with_what_blocked_it(advisor: Advisor) -> None:
    [explanation] = advisor.absences(record_of(EXAMPLES / "elderly.json"), "muscle_relaxant_short_course", "consider")
    assert render_sentence(explanation, vocabulary_of(advisor.record_spec, advisor.answer_spec)) == (
        "item(muscle_relaxant_short_course, consider) does not hold:\n"
        '- "Consider a short course of a muscle relaxant such as cyclobenzaprine, as an adjunct to rest '
        'and physical therapy" does not apply: relaxant excluded age 65 or over, Beers criteria holds, since '
        "at 65 and over, skeletal muscle relaxants are avoided (Beers criteria), with age 80."
    )


# -- statement templates, on the clinic test guideline ------------------------------------------

YOUNG = {"id": "young", "age": 40, "course_days_taken": 16, "drugs": [{"code": "nsaid", "days_since_last_dose": 20}]}
OLD = {"id": "old", "age": 70, "course_days_taken": 2, "flags": ["fever"]}


def test_statements_are_filled_from_the_proof_and_the_items_parameters() -> None:
    [(proof, vocabulary)] = explained(clinic(), YOUNG)
    assert render_decisive(proof, vocabulary).splitlines() == [
        "item(course, consider): Consider a course of 5 days. [course_consider]",
        "  from the record: course days taken 16",
        "  - The course days left are the limit less the days taken: 5 of the 21 course days are left after 16 "
        "taken. [course_left: course days taken 16; 5 = 21 - 16; "
        "course left 5 > 0]",
        "  - not excluded(_): none of its 4 rules applies",
        "    - excluded_old: age 40 < 65",
        "    - excluded_flag: no flags",
        "    - excluded_drug_now: days since last dose of NSAID 20 is recorded",
        "    - excluded_drug_recent: days since last dose of NSAID 20 >= 14",
    ]
    assert render_sentence(proof, vocabulary) == (
        "Consider a course of 5 days, because:\n"
        "- the course days left are the limit less the days taken: 5 of the 21 course days are left after 16 taken, "
        "with course days taken 16;\n"
        "- not excluded: age 40 < 65, no flags, days since last dose of NSAID 20 is recorded, "
        "days since last dose of NSAID 20 >= 14."
    )
    full = render_text(proof, clinic().kb.evidence, vocabulary)
    assert "  Consider a course of 5 days.\n" in full
    assert (
        "      The course days left are the limit less the days taken: 5 of the 21 course days are left after 16 "
        "taken.\n" in full
    )


def test_a_list_parameter_is_said_in_words_and_a_part_without_value_is_left_out() -> None:
    advisor = clinic()
    [(proof, vocabulary)] = explained(advisor, OLD)
    assert render_decisive(proof, vocabulary).splitlines()[0] == (
        "item(course, avoid): Do not give the course: age 65 or over and fever or chills. [course_avoid]"
    )
    words = vocabulary_of(advisor.record_spec, advisor.answer_spec)
    [(_, lacking)] = advisor.why_not(OLD, "course")
    assert "  Consider a course.\n" in render_text(lacking, advisor.kb.evidence, words)
    [avoid] = advisor.absences(YOUNG, "course", "avoid")
    assert "A warning flag excludes the course.\n" in render_text(avoid, advisor.kb.evidence, words)


@pytest.mark.parametrize("record", [YOUNG, OLD, {"id": "bare", "age": 30, "course_days_taken": 25}], ids=str)
@pytest.mark.parametrize("output_format", ["text", "sentence"])
@pytest.mark.parametrize("full", [False, True])
def test_no_rendering_shows_a_placeholders_brace(record: dict[str, Any], output_format: str, full: bool) -> None:
    advisor = clinic()
    answer = advisor.recommend(record)
    explanations: list[Proof | WhyNot] = [explanation for _, explanation in advisor.why_not(record, "course")]
    for item in answer.items:
        explanations += [proof for _, proof in advisor.why(record, item.code)]
    parameters = answer.item("course").parameters if answer.item("course") else {}
    vocabulary = vocabulary_of(advisor.record_spec, advisor.answer_spec, parameters)
    for explanation in explanations:
        rendered = render_as(explanation, output_format, advisor.kb.evidence, vocabulary=vocabulary, full=full)
        assert not re.search(r"[{}]", rendered), rendered
        assert "[ of" not in rendered


def test_without_a_vocabulary_a_predicate_is_read_by_its_name() -> None:
    [(proof, _)] = explained(clinic(), YOUNG)
    lines = render_decisive(proof).splitlines()
    assert lines[1] == "  from the record: taken 16"
    assert lines[0] == "item(course, consider): Consider a course. [course_consider]"
