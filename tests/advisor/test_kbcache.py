"""The knowledge-base cache: the same knowledge base back, plain JSON, fresh after any edit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backspasm.reasoner.advisor import cache as kbcache
from backspasm.reasoner.advisor.cache import (
    decode_kb,
    encode_kb,
    entry_path,
    load_advisor_cached,
    load_kb_cached,
    signature,
)
from backspasm.reasoner.knowledge.kb import load_kb
from tests.conftest import ROOT
from tests.programs import REACHABILITY


def test_a_knowledge_base_survives_the_round_trip() -> None:
    kb = load_kb(ROOT / "kb")
    again = decode_kb(json.loads(json.dumps(encode_kb(kb))))
    assert again.program == kb.program
    assert [rule.position for rule in again.program.rules] == [rule.position for rule in kb.program.rules]
    assert again.evidence == kb.evidence and again.warnings == kb.warnings
    assert again.data == kb.data
    assert (again.name, again.version, again.mode, again.root, again.title) == (
        kb.name,
        kb.version,
        kb.mode,
        kb.root,
        kb.title,
    )


def test_a_plain_program_survives_the_round_trip() -> None:
    kb = load_kb(text=REACHABILITY)
    assert decode_kb(encode_kb(kb)).program == kb.program


def test_the_cache_is_used_and_refreshed_after_an_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKSPASM_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", copy)
    first = load_advisor_cached(copy)
    [entry] = (tmp_path / "cache").glob("*.json")
    assert entry == entry_path(tmp_path / "cache", copy)
    with monkeypatch.context() as patched:
        patched.setattr(kbcache, "load_kb", lambda path: pytest.fail("parsed again although the cache matches"))
        assert load_kb_cached(copy).program == first.kb.program
    rules = copy / "pitfalls.dl"
    rules.write_text(
        rules.read_text().replace("item(tens, avoid).", "item(tens, avoid).\nitem(lumbar_support, avoid).")
    )
    assert len(load_kb_cached(copy).program.rules) == len(first.kb.program.rules) + 1
    assert list((tmp_path / "cache").glob("*.json")) == [entry], "one entry per place, refreshed in place"
    assert json.loads(entry.read_text())["signature"] == signature(copy)


def test_a_damaged_cache_entry_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKSPASM_CACHE_DIR", str(tmp_path))
    program = tmp_path / "p.dl"
    program.write_text(".input a(x: number).\nb(X) :- a(X).\n.output b(x: number).\n")
    load_kb_cached(program)
    entry = entry_path(tmp_path, program)
    damaged = {**json.loads(entry.read_text()), "rules": [["not", "a rule"]]}
    entry.write_text(json.dumps(damaged))
    assert len(load_kb_cached(program).program.rules) == 1


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKSPASM_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_kb_cached(ROOT / "kb")
    assert list(tmp_path.iterdir()) == []


def test_decoding_builds_only_plain_values() -> None:
    rule = {
        "head": ["p", [["X", "__import__('os')", ["f", 1, 1]]], ["f", 1, 1]],
        "body": [],
        "id": None,
        "evidence": [],
        "statement": None,
        "metadata_position": ["f", 1, 1],
        "position": ["f", 1, 1],
    }
    with pytest.raises(ValueError, match="unknown expression tag 'X'"):
        decode_kb({"format": 1, "rules": [rule]})


def test_answering_from_the_cache_does_not_import_pydantic(tmp_path: Path) -> None:
    """pydantic checks data files when a knowledge base is first read; a cached start-up never pays its import."""
    import subprocess
    import sys

    script = (
        "import sys, json\n"
        "from backspasm.cli import main\n"
        "try:\n"
        "    main(['recommend', sys.argv[1], '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(name for name in sys.modules if name.split('.')[0] == 'pydantic')))\n"
    )
    patient = str(ROOT / "examples" / "patients" / "acute.json")
    environment = {"BACKSPASM_CACHE_DIR": str(tmp_path), "PATH": ""}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, patient], capture_output=True, text=True, env=environment, check=True
        )
        for _ in range(2)
    ]
    first, cached = (json.loads(run.stdout.splitlines()[-1]) for run in runs)
    assert first, "the first run reads evidence.yaml through its pydantic model"
    assert cached == []
