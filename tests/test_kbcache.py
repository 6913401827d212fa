"""The knowledge-base cache: the same knowledge base back, plain JSON, fresh after any edit,
and never a changed answer from an entry that was edited, stale, damaged or planted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reasoner import kbcache
from reasoner.kb import load_kb
from reasoner.kbcache import decode_kb, encode_kb, entry_path, load_advisor_cached, load_kb_cached, signature
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
    assert json.loads(entry.read_text().splitlines()[0])["signature"] == signature(copy)


def test_a_damaged_cache_entry_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKSPASM_CACHE_DIR", str(tmp_path))
    program = tmp_path / "p.dl"
    program.write_text(".input a(x: number).\nb(X) :- a(X).\n.output b(x: number).\n")
    load_kb_cached(program)
    entry = entry_path(tmp_path, program)
    header, payload = entry.read_text().splitlines()
    damaged = {**json.loads(payload), "rules": [["not", "a rule"]]}
    entry.write_text(header + "\n" + json.dumps(damaged))
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
        decode_kb({"format": kbcache.FORMAT, "rules": [rule]})
