"""The decisive path selects from a proof and adds nothing: the record's facts, the rules, what was ruled out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backspasm.reasoner import load_kb
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.explain.decisive import decisive_path
from backspasm.reasoner.explain.explanation import Absence, Attempt, Proof
from backspasm.reasoner.explain.tracer import why
from backspasm.reasoner.language.program import Atom, Constant
from tests.conftest import EXAMPLES
from tests.explaining import TRIAGE_KB, fact, nodes_of

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def item_proofs(advisor: Advisor, example: Path) -> list[Proof]:
    record = json.loads(example.read_text())
    answer = advisor.recommend(record)
    with advisor.session(record) as session:
        return [why(session, Atom("item", (Constant(item.code), Constant(item.kind))))[0] for item in answer.items]


def test_a_proof_of_the_triage_guideline_keeps_its_facts_rules_and_negated_condition() -> None:
    kb = load_kb(TRIAGE_KB)
    with kb.session([("days", (10,)), ("taken", (5,))]) as session:
        [proof] = why(session, fact("offer(course, 16)"))
    path = decisive_path(proof)
    assert [str(atom) for atom in path.record] == ["days(10)", "taken(5)"]
    assert [(str(link.proof.fact), link.depth) for link in path.links] == [
        ("offer(course, 16)", 0),
        ("phase(early)", 1),
        ("remaining(16)", 1),
    ]
    assert [str(check.instantiated) for check in path.links[1].checks] == ["10 < 28"]
    assert [(str(absence.literal), attempt.rule.rule_id) for absence, attempt in path.exclusions] == [
        ("not blocked", "blocked_by_flag")
    ]


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: path.stem)
def test_the_path_holds_every_record_fact_every_derived_fact_once_and_every_rule_checked_once(
    advisor: Advisor, example: Path
) -> None:
    for proof in item_proofs(advisor, example):
        path = decisive_path(proof)
        nodes = nodes_of(proof)
        leaves = {node.fact for node in nodes if isinstance(node, Proof) and node.source == "record"}
        derived = [node.fact for node in nodes if isinstance(node, Proof) and node.source == "rule"]
        assert set(path.record) == leaves and len(path.record) == len(leaves)
        assert [link.proof.fact for link in path.links if link.proof.source == "rule"] == list(dict.fromkeys(derived))
        checked: list[tuple[Atom, Attempt]] = [
            (node.fact, attempt) for node in nodes if isinstance(node, Absence) for attempt in node.why_not.attempts
        ]
        pairs = [(absence.fact, attempt) for absence, attempt in path.exclusions]
        assert set(pairs) == set(checked) and len(pairs) == len(set(pairs))


def test_a_fact_of_the_knowledge_base_is_its_own_path(advisor: Advisor) -> None:
    record = json.loads((EXAMPLES / "acute.json").read_text())
    with advisor.session(record) as session:
        [proof] = why(session, fact("item(tens, avoid)"))
    path = decisive_path(proof)
    assert proof.source == "kb-fact"
    assert [link.proof for link in path.links] == [proof] and path.record == () and path.exclusions == ()
