"""Loading knowledge bases: directories with a manifest, single files, and their errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backspasm.reasoner import KnowledgeBaseError, load_kb
from backspasm.reasoner.api import load_advisor


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


MINIMAL = {
    "manifest.yaml": "name: tiny\nversion: 0.1.0\nrules: [rules.dl]\nevidence: evidence.yaml\n",
    "rules.dl": ".input x(n: number).\n@id big\n@evidence e1\n@statement X is big.\nbig :- x(N), N > 10.\n"
    ".output big().\n",
    "evidence.yaml": "e1:\n  origin: test\n  source: a test\n  backs: big numbers\n  quality: low\n",
}


def test_a_manifest_directory_loads_as_a_guideline_knowledge_base(tmp_path: Path) -> None:
    kb = load_kb(write(tmp_path, MINIMAL))
    assert (kb.name, kb.version, kb.mode) == ("tiny", "0.1.0", "guideline")
    assert kb.evidence["e1"].grade == "low"
    with kb.session([("x", (11,))]) as session:
        assert session.holds("big")


def test_a_directory_without_a_manifest_loads_its_dl_files(tmp_path: Path) -> None:
    kb = load_kb(write(tmp_path, {"a.dl": "p(1).\n", "b.dl": "q(X) :- p(X).\n.output q(x: number).\n"}))
    assert kb.mode == "program"
    with kb.session() as session:
        assert session.query("q", None) == [(1,)]


def test_guideline_mode_requires_evidence_that_exists(tmp_path: Path) -> None:
    files = {**MINIMAL, "rules.dl": MINIMAL["rules.dl"].replace("@evidence e1", "@evidence e2")}
    with pytest.raises(KnowledgeBaseError, match=r"rules.dl:2:1: error: @evidence cites e2, which the evidence"):
        load_kb(write(tmp_path, files))


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("name: tiny\nrules: [rules.dl]\ncolour: red\n", r"manifest.yaml:3:1: error: colour: unknown manifest field"),
        ("name: tiny\nrules: [rules.dl]\nmode: loose\n", r"manifest.yaml:3:1: error: mode: 'loose' is not allowed"),
        ("name: tiny\n", r"manifest.yaml:1:1: error: rules: rules is required"),
        ("name: [tiny\n", r"manifest.yaml:2:1: error: invalid YAML"),
    ],
)
def test_manifest_errors_name_the_line(tmp_path: Path, manifest: str, message: str) -> None:
    with pytest.raises(KnowledgeBaseError, match=message):
        load_kb(write(tmp_path, {**MINIMAL, "manifest.yaml": manifest}))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "e1:\n  origin: test\n  source: s\n  backs: b\n  quality: medium\n",
            "evidence.yaml:5:3: error: e1.quality: 'medium' is not allowed; allowed: high, moderate, low, very-low",
        ),
        (
            "e1:\n  origin: test\n  source: s\n  backs: b\n  quality: low\n  grade: C\n",
            "evidence.yaml:6:3: error: e1.grade: unknown field; allowed: origin, source, backs, quality, words, "
            "direction, strength, link",
        ),
        ("e1:\n  origin: test\n  source: s\n  quality: low\n", "evidence.yaml:1:1: error: e1: backs is required"),
        (
            "e1:\n  origin: test\n  source: ' '\n  backs: b\n  quality: low\n",
            "evidence.yaml:3:3: error: e1.source: must be non-empty text",
        ),
        (
            "e1:\n  origin: 2017\n  source: s\n  backs: b\n  quality: low\n",
            "evidence.yaml:2:3: error: e1.origin: must be text, not number 2017",
        ),
        ("e1: [a, b]\n", "evidence.yaml:1:1: error: e1: must be a mapping of fields, not a list"),
    ],
)
def test_evidence_errors_say_what_is_allowed(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(KnowledgeBaseError, match=re.escape(message)):
        load_kb(write(tmp_path, {**MINIMAL, "evidence.yaml": entry}))


def test_a_missing_rule_file_is_named(tmp_path: Path) -> None:
    files = {**MINIMAL, "manifest.yaml": "name: tiny\nrules: [rules.dl, missing.dl]\nevidence: evidence.yaml\n"}
    with pytest.raises(KnowledgeBaseError, match=r"missing.dl:0:0: error: cannot read file"):
        load_kb(write(tmp_path, files))


def test_a_missing_path_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="no such file or directory"):
        load_kb(tmp_path / "nowhere.dl")


def test_an_advisor_needs_record_and_answer_descriptions(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="data.record is required"):
        load_advisor(write(tmp_path, MINIMAL))


def test_an_answer_code_outside_the_vocabulary_is_a_load_error(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "kb"
    for path in root.iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "sources").mkdir()
    pitfalls = (tmp_path / "pitfalls.dl").read_text().replace("item(tens, avoid).", "item(tens_unit, avoid).")
    (tmp_path / "pitfalls.dl").write_text(pitfalls)
    with pytest.raises(
        KnowledgeBaseError, match=r"pitfalls.dl:\d+:1: error: item code tens_unit is not in the vocabulary"
    ):
        load_advisor(tmp_path)
