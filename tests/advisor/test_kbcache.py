"""The knowledge-base cache: the same knowledge base back, plain JSON, fresh after any edit,
and never a changed answer from an entry that was edited, stale, damaged or planted."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from backspasm.cli import main
from backspasm.reasoner.advisor import cache as kbcache
from backspasm.reasoner.advisor.cache import (
    cache_directory,
    entry_path,
    load_advisor_cached,
    load_kb_cached,
    signature,
)
from backspasm.reasoner.knowledge.kb import load_kb
from backspasm.reasoner.knowledge.kb_json import decode_kb, encode_kb
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


NOT_FOR_ONE_PATIENT = (
    "pydantic",  # checks data files when a knowledge base is first read
    "yaml",
    "lark",  # parses the rules
    "backspasm.reasoner.language.syntax",
    "backspasm.reasoner.language.validate",
    "backspasm.reasoner.language.dependencies",  # dependency records and relevance: validation, explanations
    "backspasm.reasoner.explain",
    "duckdb",  # the cohort engines and their SQL
    "sqlglot",
    "pyspark",
    "rich",  # only on a terminal
    "platformdirs",  # its Unix module imports tempfile
    "tempfile",  # only to write a cache entry
    "hashlib",  # imports OpenSSL; the cache hashes with the built-in _blake2
)
"""What ``recommend`` with a warm cache never imports, each a package or module name."""


def test_answering_from_the_cache_imports_only_what_answering_needs(tmp_path: Path) -> None:
    """A cached start-up pays for none of the parser, pydantic, the SQL engines or the explainers."""
    script = (
        "import sys, json\n"
        "from backspasm.cli import main\n"
        "try:\n"
        "    main(['recommend', sys.argv[1], '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    patient = str(ROOT / "examples" / "patients" / "acute.json")
    environment = {"BACKSPASM_CACHE_DIR": str(tmp_path), "PATH": "", "HOME": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, patient], capture_output=True, text=True, env=environment, check=True
        )
        for _ in range(2)
    ]
    first, cached = (json.loads(run.stdout.splitlines()[-1]) for run in runs)

    def imported(modules: list[str]) -> set[str]:
        return {name for name in NOT_FOR_ONE_PATIENT for module in modules if (module + ".").startswith(name + ".")}

    assert {"pydantic", "yaml", "lark", "backspasm.reasoner.language.syntax"} <= imported(first), (
        "the first run parses the rules and reads the data files"
    )
    assert imported(cached) == set()


# -- the cache never changes an answer ---------------------------------------------------------

LIMIT_FACT = '["relaxant_cumulative_limit",[["C",21,'


def answer_with(runner: CliRunner, kb: Path) -> dict[str, Any]:
    """The JSON answer for the acute example patient, with the knowledge base at ``kb``."""
    result = runner.invoke(main, ["recommend", "--kb", str(kb), "examples/patients/acute.json", "--format", "json"])
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def cumulative_limit(answer: dict[str, Any]) -> int:
    [item] = [item for item in answer["items"] if item["code"] == "prolonged_muscle_relaxant"]
    limit: int = item["parameters"]["max_cumulative_days"]
    return limit


@pytest.fixture
def kb_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled knowledge base, with a cache of its own in tmp_path/cache."""
    monkeypatch.setenv("BACKSPASM_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", copy)
    return copy


def no_parse_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kbcache, "load_kb", lambda path: pytest.fail("parsed again although the cache matches"))


def test_an_edited_entry_is_a_miss_and_never_changes_the_answer(runner: CliRunner, kb_copy: Path) -> None:
    expected = answer_with(runner, kb_copy)
    assert cumulative_limit(expected) == 21
    entry = entry_path(kb_copy.parent / "cache", kb_copy)
    header, payload = entry.read_text().split("\n", 1)
    assert payload.count(LIMIT_FACT) == 1
    entry.write_text(header + "\n" + payload.replace(LIMIT_FACT, LIMIT_FACT.replace("21", "99")))
    assert answer_with(runner, kb_copy) == expected
    assert entry.read_text() == header + "\n" + payload, "the edited entry was replaced by a good one"


def test_a_same_size_edit_with_its_time_restored_is_seen(runner: CliRunner, kb_copy: Path) -> None:
    assert cumulative_limit(answer_with(runner, kb_copy)) == 21
    rules = kb_copy / "relaxant.dl"
    status = rules.stat()
    text = rules.read_text()
    assert text.count("relaxant_cumulative_limit(21).") == 1
    rules.write_text(text.replace("relaxant_cumulative_limit(21).", "relaxant_cumulative_limit(20)."))
    os.utime(rules, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert rules.stat().st_size == status.st_size and rules.stat().st_mtime_ns == status.st_mtime_ns
    assert cumulative_limit(answer_with(runner, kb_copy)) == 20


@pytest.mark.parametrize(
    "damage",
    ["nested payload", "nested header", "truncated", "empty", "not JSON", "another signature"],
)
def test_a_damaged_or_odd_entry_is_a_miss(runner: CliRunner, kb_copy: Path, damage: str) -> None:
    expected = answer_with(runner, kb_copy)
    entry = entry_path(kb_copy.parent / "cache", kb_copy)
    header, payload = entry.read_text().split("\n", 1)
    deep = "[" * 100_000 + "]" * 100_000
    checksum = hashlib.blake2b(deep.encode(), digest_size=32).hexdigest()
    damaged = {
        "nested payload": json.dumps({**json.loads(header), "checksum": checksum}) + "\n" + deep,
        "nested header": deep + "\n" + payload,
        "truncated": header + "\n" + payload[: len(payload) // 2],
        "empty": "",
        "not JSON": "\x00\xff" * 100,
        "another signature": json.dumps({**json.loads(header), "signature": ["x"]}) + "\n" + payload,
    }[damage]
    entry.write_text(damaged)
    assert answer_with(runner, kb_copy) == expected


def test_an_oversized_entry_is_not_read(kb_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_kb_cached(kb_copy)
    monkeypatch.setattr(kbcache, "MAX_ENTRY_BYTES", 1000)
    parsed: list[Path] = []
    monkeypatch.setattr(kbcache, "load_kb", lambda path: parsed.append(path) or load_kb(path))
    load_kb_cached(kb_copy)
    assert parsed == [kb_copy]


def run_briefly(work: Callable[[], Any], seconds: float = 60) -> Any:
    """``work()``'s result, failing the test if it has not returned within ``seconds`` (a hang)."""
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds} s")
    return results[0]


@pytest.mark.parametrize("planted", ["fifo", "link to /dev/zero", "link to a good entry", "directory"])
def test_a_special_file_at_the_entry_is_a_miss(runner: CliRunner, kb_copy: Path, planted: str) -> None:
    bundled = ROOT / "kb"
    expected = answer_with(runner, bundled)
    entry = entry_path(kb_copy.parent / "cache", kb_copy)
    good_entry = entry_path(kb_copy.parent / "cache", bundled)
    assert good_entry.is_file()
    if planted == "fifo":
        os.mkfifo(entry)
    elif planted == "link to /dev/zero":
        if not Path("/dev/zero").exists():
            pytest.skip("no /dev/zero")
        entry.symlink_to("/dev/zero")
    elif planted == "link to a good entry":
        entry.symlink_to(good_entry)
    else:
        entry.mkdir()
    assert run_briefly(lambda: answer_with(runner, kb_copy)) == expected
    if planted != "directory":
        assert entry.is_file() and not entry.is_symlink(), "the planted file was replaced by a regular entry"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG layout is Linux's")
def test_the_cache_directory_is_the_users_cache_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKSPASM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_directory() == tmp_path / "xdg" / "backspasm"
    monkeypatch.setenv("BACKSPASM_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_directory() == tmp_path / "mine"
    monkeypatch.setenv("BACKSPASM_CACHE_DIR", "off")
    assert cache_directory() is None


@pytest.mark.parametrize(
    "environment",
    [
        {"XDG_CACHE_HOME": "/xdg/cache"},
        {"XDG_CACHE_HOME": "/xdg/cache/", "HOME": "/home/someone"},
        {"HOME": "/home/someone"},
        {"HOME": "/home/someone/", "XDG_CACHE_HOME": ""},
        {"HOME": "/"},
        {"HOME": "/home/someone", "XDG_CACHE_HOME": "relative/cache"},
        {"HOME": "relative", "XDG_CACHE_HOME": "/xdg"},
    ],
)
def test_the_cache_directory_is_platformdirs_own_choice(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The directory found without importing platformdirs is the one platformdirs gives."""
    import platformdirs

    for name in ("BACKSPASM_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert cache_directory() == Path(platformdirs.user_cache_dir("backspasm", appauthor=False))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG layout is Linux's")
def test_finding_the_cache_directory_on_linux_does_not_import_platformdirs(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from backspasm.reasoner.advisor.cache import cache_directory\n"
        "print(cache_directory(), 'platformdirs' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={"HOME": str(tmp_path)}, check=True
    )
    assert run.stdout.split() == [str(tmp_path / ".cache" / "backspasm"), "False"]


def test_the_signature_covers_every_module_that_loads_a_knowledge_base() -> None:
    """An entry is keyed on the source that makes it: every reasoner module that parsing and
    validating a knowledge base imports lies in kbcache.LOADER_SOURCE (with the cache's own encoding)."""
    import subprocess

    script = (
        "import json, sys\n"
        "from backspasm import bundled_kb\n"
        "from backspasm.reasoner.knowledge.kb import load_kb\n"
        "load_kb(bundled_kb())\n"
        "print(json.dumps(sorted(m.__file__ for name, m in sys.modules.items()\n"
        "    if name.startswith('backspasm.reasoner.') and getattr(m, '__file__', None))))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    reasoner = ROOT / "reasoner"
    covered = [reasoner / part for part in kbcache.LOADER_SOURCE]
    loaded = [Path(file).resolve() for file in json.loads(run.stdout.splitlines()[-1])]
    assert reasoner / "language" / "syntax.py" in loaded, "the knowledge base was parsed"
    for path in loaded:
        if path == reasoner / "__init__.py":
            continue  # the package marker on the way
        assert any(path == part or part in path.parents for part in covered), path
