"""From parse tree to program objects: annotations as a rule's metadata, strings decoded by hand,
and what each annotation, type or escape allows when it is wrong."""

from __future__ import annotations

import pytest

from tests.programs import only_rule, syntax_error


def test_annotations_above_a_rule_become_its_metadata() -> None:
    rule = only_rule(
        "@id phase_acute\n"
        "@evidence acp2017, ref1\n"
        "@statement A back spasm that began under 4 weeks ago is acute (39 % of cases).\n"
        "phase(acute) :- symptom_days(D), D < 28.\n"
    )
    assert rule.metadata.rule_id == "phase_acute"
    assert rule.metadata.evidence == ("acp2017", "ref1")
    assert rule.metadata.statement == "A back spasm that began under 4 weeks ago is acute (39 % of cases)."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@foo bar\np.", "kb.dl:1:1: error: unknown annotation '@foo'; allowed: @id, @evidence, @statement"),
        ("@id x\n@id y\np.", "kb.dl:2:1: error: @id is given twice for one clause"),
        ("@id Not-An-Id\np.", "kb.dl:1:1: error: @id 'Not-An-Id' is not an identifier"),
        ("@evidence\np.", "kb.dl:1:1: error: @evidence takes a comma-separated list of evidence ids"),
        ("@statement\np.", "kb.dl:1:1: error: @statement is empty"),
        (".input p(x: int).", "kb.dl:1:13: error: unknown type 'int'; allowed: number, symbol, any"),
        ('p("a\\q").', "kb.dl:1:5: error: unknown escape \\q in string"),
        ("@id lonely\n.input p(x: number).", "kb.dl:2:1: error: syntax error"),
    ],
)
def test_annotation_and_declaration_errors_say_what_is_allowed(text: str, expected: str) -> None:
    assert syntax_error(text).startswith(expected)
