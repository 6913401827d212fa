"""Explanations of the bundled knowledge base's answers for the example patients.

Every item of every example answer has a smallest proof that checks, and "why not" names
what fails. The text, JSON and DOT renderings are golden files (UPDATE_GOLDEN=1 to
regenerate after an intended change).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.explain.proofcheck import check_proof
from backspasm.reasoner.explain.tracer import why
from backspasm.reasoner.language.program import Atom, Constant
from backspasm.reasoner.render import render_dot, render_json, render_sentence, render_text
from backspasm.reasoner.render.changes import changes_text
from backspasm.reasoner.render.decisive import render_decisive
from backspasm.reasoner.render.vocabulary import vocabulary_of
from tests.conftest import EXAMPLES, ROOT
from tests.golden import assert_golden

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))
RELAXANT = "muscle_relaxant_short_course"


def record_of(path: Path) -> dict[str, object]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_every_item_of_every_example_answer_has_a_proof_that_checks(advisor: Advisor, example: Path) -> None:
    record = record_of(example)
    answer = advisor.recommend(record)
    with advisor.session(record) as session:
        for item in answer.items:
            proofs = why(session, Atom("item", (Constant(item.code), Constant(item.kind))))
            assert proofs, f"{item.code} has no proof"
            assert check_proof(session, proofs[0], require_evidence=True, evidence=advisor.kb.evidence) == []


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_why_the_relaxant_decision_renders_as_its_golden_text_json_and_dot(advisor: Advisor, example: Path) -> None:
    record = record_of(example)
    [(kind, proof)] = advisor.why(record, RELAXANT)
    item = advisor.recommend(record).item(RELAXANT)
    vocabulary = vocabulary_of(advisor.record_spec, advisor.answer_spec, item.parameters if item else None)
    name = f"explanations/{example.stem}-why-{RELAXANT}-{kind}"
    assert_golden(f"{name}.txt", render_text(proof, advisor.kb.evidence, vocabulary))
    assert_golden(f"{name}.decisive.txt", render_decisive(proof, vocabulary))
    assert_golden(f"{name}.sentence.txt", render_sentence(proof, vocabulary) + "\n")
    assert_golden(f"{name}.json", json.dumps(render_json(proof, advisor.kb.evidence), indent=2) + "\n")
    assert_golden(f"{name}.dot", render_dot(proof))


@pytest.mark.parametrize("example", ["elderly", "contraindicated", "chronic-no-flare", "day-22"])
def test_why_not_the_relaxant_names_what_excludes_it_and_what_would_change_it(advisor: Advisor, example: str) -> None:
    record = record_of(EXAMPLES / f"{example}.json")
    explanations = dict(advisor.why_not(record, RELAXANT, "consider"))
    text = render_text(explanations["consider"], advisor.kb.evidence)
    assert "relaxant_consider" in text and "not relaxant_excluded(_)" in text
    changes = advisor.changes(record, RELAXANT, "consider")
    assert_golden(f"explanations/{example}-why-not-{RELAXANT}.txt", text + changes_text([changes]))


def test_why_not_tens_cites_the_evidence_against_it(advisor: Advisor) -> None:
    explanations = dict(advisor.why_not(record_of(EXAMPLES / "acute.json"), "tens"))
    assert set(explanations) == {"recommend", "consider"}
    text = render_text(explanations["recommend"], advisor.kb.evidence)
    assert "tens_avoid" in text and "ref1" in text
    assert_golden("explanations/acute-why-not-tens.txt", text)


def test_the_subacute_explanation_says_which_evidence_covers_it(advisor: Advisor) -> None:
    [(_, proof)] = advisor.why(record_of(EXAMPLES / "subacute.json"), RELAXANT)
    sentence = render_sentence(proof, vocabulary_of(advisor.record_spec, advisor.answer_spec))
    assert "ACP 2017 allows skeletal muscle relaxants as for acute spasm" in sentence
    assert "with symptom days 42" in sentence


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_explanation_json_matches_its_published_schema(advisor: Advisor, example: Path) -> None:
    schema = json.loads((ROOT / "docs" / "schemas" / "explanation.schema.json").read_text())
    [(_, proof)] = advisor.why(record_of(example), RELAXANT)
    jsonschema.validate(render_json(proof, advisor.kb.evidence), schema)
