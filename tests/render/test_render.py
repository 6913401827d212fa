"""Renderers: golden output for small fixed programs, the JSON schema, and what each format promises."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from backspasm.reasoner import KnowledgeBase, Session, load_kb
from backspasm.reasoner.explain.explanation import Explanation, Proof
from backspasm.reasoner.explain.tracer import why, why_not
from backspasm.reasoner.render import render_dot, render_json, render_mermaid, render_sentence, render_text
from backspasm.reasoner.render.decisive import render_decisive
from tests.explaining import EDGES, TRIAGE_KB, fact, graph
from tests.golden import assert_golden, assert_golden_json
from tests.programs import REACHABILITY

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "explanation.schema.json"

EARLY = [("days", (10,)), ("taken", (5,))]
LATE_WITH_FLAG = [("days", (40,)), ("taken", (5,)), ("flag", ("fever",))]

# (golden name, knowledge base, record, question, fact)
CASES = [
    ("triage-why-offer-course", "triage", EARLY, "why", "offer(course, 16)"),
    ("triage-why-tens", "triage", EARLY, "why", "item(tens, avoid)"),
    ("triage-why-not-offer-course-flag", "triage", LATE_WITH_FLAG, "why_not", "offer(course, 16)"),
    ("triage-why-not-offer-course-value", "triage", EARLY, "why_not", "offer(course, 15)"),
    ("triage-why-not-tens-recommend", "triage", EARLY, "why_not", "item(tens, recommend)"),
    ("triage-why-not-days", "triage", EARLY, "why_not", "days(30)"),
    ("reach-why-unreachable", "reach", graph(EDGES), "why", "unreachable(d, a)"),
    ("reach-why-on-cycle", "reach", graph(EDGES), "why", "on_cycle(a)"),
    ("reach-why-not-reach", "reach", graph(EDGES), "why_not", "reach(a, e)"),
]


@cache
def knowledge_base(name: str) -> KnowledgeBase:
    return load_kb(TRIAGE_KB) if name == "triage" else load_kb(text=REACHABILITY)


@contextmanager
def explained(kb_name: str, record: list[Any], question: str, text: str) -> Iterator[tuple[Explanation, Session]]:
    kb = knowledge_base(kb_name)
    with kb.session(record) as session:
        if question == "why":
            [proof] = why(session, fact(text))
            yield proof, session
        else:
            yield why_not(session, fact(text)), session


@pytest.mark.parametrize(("name", "kb_name", "record", "question", "text"), CASES, ids=[case[0] for case in CASES])
def test_golden_renderings(name: str, kb_name: str, record: list[Any], question: str, text: str) -> None:
    evidence = knowledge_base(kb_name).evidence
    with explained(kb_name, record, question, text) as (explanation, _):
        assert_golden(f"{name}.txt", render_text(explanation, evidence))
        assert_golden_json(f"{name}.json", render_json(explanation, evidence))
        assert_golden(f"{name}.sentence.txt", render_sentence(explanation) + "\n")
        if isinstance(explanation, Proof):
            assert_golden(f"{name}.decisive.txt", render_decisive(explanation))
        assert_golden(f"{name}.dot", render_dot(explanation))
        assert_golden(f"{name}.mmd", render_mermaid(explanation))


@pytest.mark.parametrize(("name", "kb_name", "record", "question", "text"), CASES, ids=[case[0] for case in CASES])
def test_every_json_rendering_follows_the_published_schema(
    name: str, kb_name: str, record: list[Any], question: str, text: str
) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    with explained(kb_name, record, question, text) as (explanation, _):
        document = render_json(explanation, knowledge_base(kb_name).evidence)
        jsonschema.validate(document, schema)
        assert json.loads(json.dumps(document)) == document


def test_the_text_tree_puts_the_statement_first_then_the_datalog_then_the_evidence_grades() -> None:
    with explained("triage", EARLY, "why", "phase(early)") as (proof, _):
        lines = render_text(proof, knowledge_base("triage").evidence).splitlines()
        assert lines == [
            "phase(early)",
            "  Symptoms that began under four weeks ago are early.",
            "  rule phase_early: phase(early) :- days(D), D < 28.",
            "  evidence: trial_a (moderate (fair))",
            "  with D = 10",
            "  - days(10): from the record",
            "  - 10 < 28: comparison D < 28",
        ]


def test_without_the_registry_evidence_is_cited_by_id_only() -> None:
    with explained("triage", EARLY, "why", "phase(early)") as (proof, _):
        assert "  evidence: trial_a" in render_text(proof).splitlines()
        assert render_json(proof)["rule"]["evidence"] == [{"id": "trial_a", "grade": None, "direction": None}]


def test_the_sentence_is_built_from_the_rules_own_statements() -> None:
    with explained("triage", EARLY, "why", "item(heat, recommend)") as (proof, _):
        assert render_sentence(proof) == (
            "Heat is recommended while symptoms are early, because:\n"
            "- symptoms that began under four weeks ago are early, with days 10."
        )


def test_the_decisive_path_keeps_the_statements_the_record_and_what_each_rule_tested() -> None:
    with explained("triage", EARLY, "why", "offer(course, 16)") as (proof, _):
        assert render_decisive(proof).splitlines() == [
            "offer(course, 16): Offer the course for the remaining days when symptoms are early and nothing "
            "blocks it. [offer_course: not blocked (no flag)]",
            "  from the record: days 10, taken 5",
            "  - Symptoms that began under four weeks ago are early. [phase_early: days 10 < 28]",
            "  - The course lasts 21 days less the days already taken. [remaining_course: taken 5; 16 = 21 - 5; "
            "remaining 16 > 0]",
        ]


def test_graphs_are_deterministic_and_every_edge_joins_declared_nodes() -> None:
    with explained("reach", graph(EDGES), "why", "on_cycle(a)") as (proof, _):
        assert isinstance(proof, Proof)
        dot = render_dot(proof)
        assert dot == render_dot(proof)
        declared = set(re.findall(r"^  (n\d+) \[", dot, re.MULTILINE))
        edges = re.findall(r"^  (n\d+) -> (n\d+);", dot, re.MULTILINE)
        assert declared == {f"n{index}" for index in range(proof.size)}
        assert {node for edge in edges for node in edge} == declared
        assert len(edges) == proof.size - 1
        mermaid = render_mermaid(proof)
        assert mermaid.startswith("flowchart TD\n")
        assert len(re.findall(r"^  n\d+ --> n\d+$", mermaid, re.MULTILINE)) == proof.size - 1


def test_labels_with_quotes_are_escaped_in_both_graph_languages() -> None:
    kb = load_kb(text=".input said(text: symbol).\nquoted(T) :- said(T).")
    with kb.session([("said", ('he said "no"',))]) as session:
        [proof] = why(session, fact('quoted("he said \\"no\\"")'))
        node_lines = [line for line in render_dot(proof).splitlines() if re.match(r"  n\d+ \[", line)]
        assert len(node_lines) == 2
        assert all(re.fullmatch(r'  n\d+ \[label="(?:[^"\\]|\\.)*", .*\];', line) for line in node_lines)
        mermaid_labels = re.findall(r'^  n\d+[\[(/]+"(.*)"[\])/]+$', render_mermaid(proof), re.MULTILINE)
        assert len(mermaid_labels) == 2
        assert all('"' not in label and "#quot;no\\#quot;" in label for label in mermaid_labels)
