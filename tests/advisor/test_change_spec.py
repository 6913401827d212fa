"""The changes file (``kb/changes.yaml``): read once, checked against the record description,
every problem at file:line:col; a knowledge base without one says so when asked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backspasm.reasoner import KnowledgeBaseError, QueryError
from backspasm.reasoner.advisor.advisor import load_advisor
from tests.conftest import ROOT

RELAXANT = "muscle_relaxant_short_course"
ADULT = {"id": "case", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}


def test_a_knowledge_base_without_a_changes_file_says_so(tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", copy)
    manifest = copy / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace("  changes: changes.yaml\n", ""))
    plain = load_advisor(copy)
    assert not plain.declares_changes
    with pytest.raises(QueryError, match="declares no changes"):
        plain.changes(ADULT, RELAXANT, "consider")


def test_a_bad_changes_file_is_reported_at_file_line_and_column(tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", copy)
    changes = copy / "changes.yaml"
    text = changes.read_text()
    text = text.replace("reached: the spasm has lasted {value} days", "reached: the spasm has lasted {days} days")
    text = text.replace("      connective: not before", "      connective: maybe")
    changes.write_text(text)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_advisor(copy).change_spec  # noqa: B018
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{changes}:")
    assert "fields.red_flags.clear.connective: 'maybe' is not allowed; allowed: if, once, not before" in str(problem)
    changes.write_text(text.replace("connective: maybe", "connective: not before"))
    with pytest.raises(KnowledgeBaseError) as caught:
        load_advisor(copy).change_spec  # noqa: B018
    assert [str(problem).split(": error: ")[1] for problem in caught.value.problems] == [
        "fields.symptom_days.reached: {days} is not a placeholder here; allowed: {value} [changes]"
    ]


def test_every_record_field_must_say_how_it_changes(tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", copy)
    changes = copy / "changes.yaml"
    changes.write_text(
        changes.read_text().replace("  allergies:\n    fixed: a recorded hypersensitivity does not go away\n", "")
    )
    with pytest.raises(KnowledgeBaseError, match="allergies is not listed: say how it may change, or why it is fixed"):
        load_advisor(copy).change_spec  # noqa: B018
