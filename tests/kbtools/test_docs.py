"""Generated documentation stays in step with the knowledge base it is generated from."""

from __future__ import annotations

import json

import jsonschema
import pytest

from backspasm.reasoner.api import Advisor
from backspasm.reasoner.kbtools.docs import generated_pages
from tests.conftest import EXAMPLES, ROOT


def test_generated_pages_in_docs_are_up_to_date(advisor: Advisor) -> None:
    for relative, content in generated_pages(advisor).items():
        path = ROOT / "docs" / relative
        assert path.exists(), f"docs/{relative} is missing: run `backspasm kb docs`"
        assert path.read_text(encoding="utf-8") == content, f"docs/{relative} is stale: run `backspasm kb docs`"


def test_every_rule_is_documented(advisor: Advisor) -> None:
    page = (ROOT / "docs" / "rules.md").read_text()
    for rule in advisor.kb.program.rules:
        if rule.rule_id:
            assert f"`{rule.rule_id}`" in page


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.stem)
def test_answers_match_the_published_answer_schema(advisor: Advisor, example: object) -> None:
    schema = json.loads((ROOT / "docs" / "schemas" / "answer.schema.json").read_text())
    answer = advisor.recommend(json.loads(example.read_text()))  # type: ignore[attr-defined]
    jsonschema.validate(answer.to_json(), schema)
