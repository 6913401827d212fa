"""Hostile and broken input through the real command line: an error of its own, never a crash.

Each malformed input (nesting deep enough to exhaust the stack, integers too long to
convert, lone surrogates, bytes that are not UTF-8, duplicate keys, huge lists, YAML
aliases) must give exit code 1 and one line on standard error naming where it was, no
traceback, no answer. In ``batch`` each bad line is that record's own error: every good
record is answered once, in order, and nothing is duplicated. Output that cannot be
written is one line and exit 1. Big inputs are generated in ``tmp_path``; the cases that
are about the process (a full disk, a closed standard output, worker processes) run the
command in a subprocess (see tests/test_signals.py for SIGTERM and SIGINT).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backspasm.cli import main
from backspasm.reasoner.advisor.records import MAX_PROBLEMS
from tests.conftest import ROOT
from tests.strategies import patients

GOOD = {"id": "good", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}


def good_line(identifier: str) -> bytes:
    return json.dumps({**GOOD, "id": identifier}).encode()


def hostile_records() -> dict[str, bytes]:
    """One malformed record text of each kind, keyed by what is wrong with it."""
    deep_json = b"[" * 100_000 + b"]" * 100_000
    return {
        "JSON nested 100 000 deep": deep_json,
        "JSON object nested 100 000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "YAML nested 10 000 deep": b"x: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
        "YAML block nested 10 000 deep": b"".join(b"  " * depth + b"- \n" for depth in range(10_000)),
        "an integer of 5 000 digits (JSON)": b'{"id": "a", "age": ' + b"9" * 5000 + b', "symptom_days": 1}',
        "an integer of 5 000 digits (YAML)": b"id: a\nage: " + b"9" * 5000 + b"\n",
        "a lone surrogate in the id": b'{"id": "\\ud800", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
        "a lone surrogate in a field name": b'{"id": "a", "\\udfff": 1, "age": 45, "symptom_days": 10, '
        b'"relaxant_days_taken": 0}',
        "a byte that is not UTF-8": b'{"id": "caf\xe9", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0}',
        "a duplicate JSON key": b'{"id": "a", "age": 45, "age": 70, "symptom_days": 10, "relaxant_days_taken": 0}',
        "a duplicate YAML key": b"id: a\nage: 45\nage: 70\nsymptom_days: 10\nrelaxant_days_taken: 0\n",
        "a YAML alias bomb": b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
        "11.0 relaxant days after 10 symptom days": b'{"id": "a", "age": 45, "symptom_days": 10, '
        b'"relaxant_days_taken": 11.0}',
        "a list of 100 000 preferences": b'{"id": "a", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0, '
        b'"preferences": [' + b",".join([b'"walking"'] * 100_000) + b"]}",
        "100 000 unknown fields": b'{"id": "a", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0, '
        + b",".join(b'"f%d": 1' % number for number in range(100_000))
        + b"}",
        "NaN symptom days": b'{"id": "a", "age": 45, "symptom_days": NaN, "relaxant_days_taken": 0}',
        "an age of 1e400": b'{"id": "a", "age": 1e400, "symptom_days": 10, "relaxant_days_taken": 0}',
    }


HOSTILE = hostile_records()


def assert_one_line_error(result: Result, *, at_most: int = 1) -> str:
    """Exit 1, nothing on standard output, one ``Error:`` line on standard error (``at_most``
    lines for a record with many problems); the last line."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= at_most, result.stderr[:500]
    assert all(line.startswith("Error: ") and len(line) < 1000 for line in lines), result.stderr[:500]
    return lines[-1]


def lines_allowed(case: str) -> int:
    """One line a problem, and the problems of one record are capped."""
    return MAX_PROBLEMS + 1 if "unknown fields" in case else 1


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_record_on_standard_input_is_one_line_of_error(runner: CliRunner, case: str) -> None:
    assert_one_line_error(runner.invoke(main, ["recommend", "-"], input=HOSTILE[case]), at_most=lines_allowed(case))


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("a duplicate JSON key", "key 'age' is given twice"),
        ("a duplicate YAML key", "<stdin>:3:1: key 'age' is given twice"),
        ("a byte that is not UTF-8", "<stdin>:1:12: invalid UTF-8 at line 1 column 12: byte 0xe9"),
        ("JSON nested 100 000 deep", "nested more than 64 levels deep"),
        ("an integer of 5 000 digits (JSON)", "a number has more than 4300 digits"),
        ("a lone surrogate in the id", "id: is not valid Unicode text: a lone surrogate at character 1"),
        ("a lone surrogate in a field name", "\\udfff: unknown field"),
        ("a YAML alias bomb", "aliases (*name) are not allowed"),
        ("11.0 relaxant days after 10 symptom days", "relaxant_days_taken: 11 is more than symptom_days (10)"),
        ("a list of 100 000 preferences", "preferences: lists 100000 items"),
        ("100 000 unknown fields", f"and {100_000 - MAX_PROBLEMS} more problems not listed"),
    ],
)
def test_the_error_names_what_is_wrong_and_where(runner: CliRunner, case: str, says: str) -> None:
    result = runner.invoke(main, ["recommend", "-"], input=HOSTILE[case])
    assert says in assert_one_line_error(result, at_most=lines_allowed(case))


def test_a_record_file_is_read_like_standard_input(runner: CliRunner, tmp_path: Path) -> None:
    for number, (case, text) in enumerate(HOSTILE.items()):
        suffix = ".yaml" if "YAML" in case else ".json"
        patient = tmp_path / f"case-{number}{suffix}"
        patient.write_bytes(text)
        line = assert_one_line_error(runner.invoke(main, ["recommend", str(patient)]), at_most=lines_allowed(case))
        assert str(patient) in line, case


def test_five_million_preferences_are_one_line_not_five_million(runner: CliRunner, tmp_path: Path) -> None:
    patient = tmp_path / "huge.json"
    items = b",".join([b"1"] * 5_000_000)
    patient.write_bytes(
        b'{"id": "a", "age": 45, "symptom_days": 10, "relaxant_days_taken": 0, "preferences": [' + items + b"]}"
    )
    line = assert_one_line_error(runner.invoke(main, ["recommend", str(patient)]))
    assert "preferences: lists 5000000 items" in line


def test_11_0_is_held_to_the_limit_exactly_as_11(runner: CliRunner) -> None:
    """The cross-field limit compares the numbers read, not the raw values: 11.0 days taken
    after 10 days of symptoms is refused like 11, and 10.0 is answered like 10."""
    as_float = runner.invoke(main, ["recommend", "-"], input=HOSTILE["11.0 relaxant days after 10 symptom days"])
    as_integer = runner.invoke(main, ["recommend", "-"], input=json.dumps({**GOOD, "relaxant_days_taken": 11}))
    assert as_float.exit_code == as_integer.exit_code == 1
    assert as_float.stderr == as_integer.stderr
    ten_float = runner.invoke(
        main,
        ["recommend", "-", "--format", "json"],
        input='{"id": "good", "age": 45, "symptom_days": 10.0, "relaxant_days_taken": 10.0}',
    )
    ten = runner.invoke(
        main, ["recommend", "-", "--format", "json"], input=json.dumps({**GOOD, "relaxant_days_taken": 10})
    )
    assert (ten_float.exit_code, ten.exit_code) == (0, 0), ten_float.stderr + ten.stderr
    assert ten_float.stdout == ten.stdout


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=patients(), data=st.data())
def test_a_whole_number_written_as_a_float_gives_the_same_answer(
    runner: CliRunner, record: dict[str, Any], data: st.DataObject
) -> None:
    numeric = [name for name, value in record.items() if isinstance(value, int) and not isinstance(value, bool)]
    field = data.draw(st.sampled_from(numeric))
    spoiled = {**record, field: float(record[field])}
    as_written = runner.invoke(main, ["recommend", "-", "--format", "json"], input=json.dumps(record))
    as_float = runner.invoke(main, ["recommend", "-", "--format", "json"], input=json.dumps(spoiled))
    assert (as_float.exit_code, as_float.stdout, as_float.stderr) == (
        as_written.exit_code,
        as_written.stdout,
        as_written.stderr,
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=patients(), data=st.data())
def test_a_key_given_twice_is_an_error_naming_it(
    runner: CliRunner, record: dict[str, Any], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(record)))
    second = data.draw(st.sampled_from([record[key], 70, "other", None]))
    text = json.dumps(record)[:-1] + f", {json.dumps(key)}: {json.dumps(second)}}}"
    line = assert_one_line_error(runner.invoke(main, ["recommend", "-"], input=text))
    assert f"key {key!r} is given twice" in line


@st.composite
def hostile_texts(draw: st.DrawFn) -> tuple[bytes, str]:
    """A record made hostile in one way, with a varying size or place, and what the error must say."""
    field = draw(st.sampled_from(["id", "age", "symptom_days", "relaxant_days_taken", "preferences"]))
    kind = draw(st.sampled_from(["nesting", "digits", "surrogate", "bytes"]))
    record = json.dumps(GOOD)[:-1]
    if kind == "nesting":
        depth = draw(st.integers(65, 20_000))
        opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        inner = opening * depth + ("1" if opening != "[" else "") + closing * depth
        return f'{record}, "{field}x": {inner}}}'.encode(), "nested more than 64 levels deep"
    if kind == "digits":
        digits = draw(st.integers(4301, 8000))
        return f'{{"{field}": {"7" * digits}}}'.encode(), "a number has more than 4300 digits"
    if kind == "surrogate":
        surrogate = draw(st.integers(0xD800, 0xDFFF))
        return f'{{"id": "a\\u{surrogate:04x}", "age": 45, "symptom_days": 3, "relaxant_days_taken": 0}}'.encode(), (
            "lone surrogate at character 2"
        )
    # One line: a line break before the bad byte would move it to line 2.
    bad = draw(
        st.binary(min_size=1, max_size=4).filter(
            lambda data: _first_bad_byte(data) is not None and not {10, 13} & set(data[: _first_bad_byte(data) + 1])
        )
    )
    column = 10 + (_first_bad_byte(bad) or 0)
    return b'{"id": "a' + bad + b'", "age": 45}', f"invalid UTF-8 at line 1 column {column}"


def _first_bad_byte(data: bytes) -> int | None:
    """Where ``data`` (after an ASCII letter) stops being UTF-8; None when it is UTF-8 throughout."""
    try:
        (b"a" + data).decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start - 1
    return None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=hostile_texts())
def test_any_hostile_record_is_one_line_naming_the_problem(runner: CliRunner, case: tuple[bytes, str]) -> None:
    text, says = case
    assert says in assert_one_line_error(runner.invoke(main, ["recommend", "-"], input=text))


# -- batch: a bad line is that record's own error -------------------------------------------


Expected = list[tuple[int, str | None]]
"""What a batch must write: for each non-blank input line, its number and the subject's id (None: an error)."""


def cohort_with_every_hostile_line() -> tuple[bytes, Expected]:
    """Good records between one hostile line of each kind (the JSON ones: a cohort is JSON Lines)."""
    lines: list[bytes] = []
    expected: Expected = []
    for number, (case, text) in enumerate(HOSTILE.items()):
        if "YAML" in case:
            continue
        lines.append(good_line(f"before-{number}"))
        expected.append((len(lines), f"before-{number}"))
        lines.append(text)
        expected.append((len(lines), None))
    lines.append(good_line("last"))
    expected.append((len(lines), "last"))
    return b"\n".join(lines) + b"\n", expected


def assert_batch_output(stdout: str, stderr: str, expected: Expected, source: str) -> None:
    """Every good record answered once and in order, every bad one an error naming its line."""
    outputs = [json.loads(line) for line in stdout.splitlines()]
    assert [None if "error" in output else output["subject"] for output in outputs] == [id for _, id in expected]
    bad_lines = [number for number, identifier in expected if identifier is None]
    assert [output["error"]["line"] for output in outputs if "error" in output] == bad_lines
    errors = stderr.splitlines()
    assert len(errors) == len(bad_lines), stderr[:2000]
    for line, number in zip(errors, bad_lines, strict=True):
        assert line.startswith(f"Error: {source}:{number}: ")
    assert "Traceback" not in stderr


def test_batch_answers_every_good_record_around_hostile_lines(runner: CliRunner, tmp_path: Path) -> None:
    text, expected = cohort_with_every_hostile_line()
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_bytes(text)
    result = runner.invoke(main, ["batch", str(cohort)])
    assert result.exit_code == 1
    assert_batch_output(result.stdout, result.stderr, expected, str(cohort))


def test_batch_reads_standard_input_like_a_file(runner: CliRunner) -> None:
    text, expected = cohort_with_every_hostile_line()
    result = runner.invoke(main, ["batch", "-"], input=text)
    assert result.exit_code == 1
    assert_batch_output(result.stdout, result.stderr, expected, "<stdin>")


def test_batch_with_two_workers_in_a_process_answers_every_good_record(runner: CliRunner, tmp_path: Path) -> None:
    """The workers' lines are, byte for byte, those of one process on DuckDB (the default engine)."""
    text, expected = cohort_with_every_hostile_line()
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_bytes(text)
    result = backspasm("batch", str(cohort), "--engine", "pydatalog", "--workers", "2", "--chunk-size", "3")
    assert result.returncode == 1
    assert_batch_output(result.stdout.decode(), result.stderr.decode(), expected, str(cohort))
    assert result.stdout.decode() == runner.invoke(main, ["batch", str(cohort)]).stdout


def cohort_lines() -> st.SearchStrategy[list[bytes | None]]:
    """Lines of a cohort: None for a good record, else arbitrary bytes (no newline)."""
    garbage = st.binary(max_size=40).map(lambda raw: raw.replace(b"\n", b""))
    spoiled_json = st.sampled_from([b"{", b'{"id": 1}', b"[]", b'{"id": "a", "id": "b"}', b'{"id": "\\udc80"}'])
    return st.lists(st.one_of(st.none(), garbage, spoiled_json), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=cohort_lines())
def test_batch_keeps_every_good_record_whatever_the_other_lines_hold(
    runner: CliRunner, lines: list[bytes | None]
) -> None:
    text = b"".join((good_line(f"p{number}") if line is None else line) + b"\n" for number, line in enumerate(lines))
    result = runner.invoke(main, ["batch", "-"], input=text)
    expected: Expected = []
    for number, line in enumerate(lines):
        if line is None:
            expected.append((number + 1, f"p{number}"))
        elif not _is_blank(line):
            expected.append((number + 1, None))
    assert result.exit_code == (1 if any(id is None for _, id in expected) else 0)
    assert_batch_output(result.stdout, result.stderr, expected, "<stdin>")


def _is_blank(line: bytes) -> bool:
    """A cohort skips lines of white space only (as text; bytes that are not UTF-8 are never blank)."""
    try:
        return not line.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False


# -- output that cannot be written -----------------------------------------------------------


def backspasm(
    *arguments: str, stdin: bytes | None = None, shell_redirect: str = ""
) -> subprocess.CompletedProcess[bytes]:
    """The command in its own process (``python -m cli``), optionally with a shell redirection of its output."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "backspasm", *arguments]
    if shell_redirect:
        quoted = " ".join(_quote(part) for part in command)
        command = ["/bin/sh", "-c", f"exec {quoted} {shell_redirect}"]
    return subprocess.run(
        command, input=stdin, capture_output=True, cwd=ROOT, env=environment, timeout=120, check=False
    )


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def assert_one_line_process_error(result: subprocess.CompletedProcess[bytes], says: str) -> None:
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert len(stderr.splitlines()) == 1 and stderr.startswith("Error: ") and says in stderr, stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_one_line_and_exit_1() -> None:
    result = backspasm("recommend", "examples/patients/acute.json", shell_redirect="> /dev/full")
    assert_one_line_process_error(result, "No space left on device")


def test_a_closed_standard_output_is_one_line_and_exit_1() -> None:
    result = backspasm("recommend", "examples/patients/acute.json", shell_redirect=">&-")
    assert_one_line_process_error(result, "standard output is closed")


def test_batch_into_a_missing_directory_fails_before_any_work(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["batch", "examples/cohort.jsonl", "-o", str(tmp_path / "missing" / "answers.jsonl")])
    assert_one_line_error(result)
    assert "missing/answers.jsonl" in result.stderr and "No such file or directory" in result.stderr


def test_batch_with_a_closed_standard_output_still_writes_its_output_file(tmp_path: Path) -> None:
    answers = tmp_path / "answers.jsonl"
    result = backspasm("batch", "examples/cohort.jsonl", "-o", str(answers), shell_redirect=">&-")
    assert result.returncode in (0, 1) and b"Traceback" not in result.stderr
    assert len(answers.read_text().splitlines()) == len(
        [line for line in (ROOT / "examples" / "cohort.jsonl").read_text().splitlines() if line.strip()]
    )


# -- knowledge bases and facts files of a user's own ---------------------------------------------


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        (b"name: x\nrules: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "invalid YAML: nested too deeply"),
        (b"name: x\nrules: [" + b"9" * 5000 + b"]\n", "invalid YAML: Exceeds the limit (4300 digits)"),
    ],
)
def test_a_hostile_knowledge_base_manifest_is_an_error_at_its_file(
    runner: CliRunner, tmp_path: Path, manifest: bytes, says: str
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "manifest.yaml").write_bytes(manifest)
    result = runner.invoke(main, ["recommend", "--kb", str(kb), "examples/patients/acute.json"])
    line = assert_one_line_error(result)
    assert f"{kb / 'manifest.yaml'}:1:1: error: {says}" in line


def test_a_facts_file_that_is_not_utf8_is_an_error_naming_it(runner: CliRunner, tmp_path: Path) -> None:
    facts = tmp_path / "edges.facts"
    facts.write_bytes(b"edge(a, b\xff).\n")
    result = runner.invoke(main, ["query", "item(C, K)", "--facts", str(facts)])
    assert f"{facts}:0:0: error: cannot read" in assert_one_line_error(result)


def test_an_over_long_cohort_line_is_its_own_error_and_an_endless_one_stops_the_reading() -> None:
    from io import BytesIO

    from backspasm.reasoner.advisor.inputs import MAX_SKIPPED_LINE_PARTS, bounded_lines, read_jsonl

    stream = BytesIO(good_line("a") + b"\n" + b"x" * 500 + b"\n" + good_line("b") + b"\n")
    entries = list(read_jsonl(bounded_lines(stream, limit=100), "cohort"))
    assert [(entry.line, entry.data and entry.data["id"]) for entry in entries] == [(1, "a"), (2, None), (3, "b")]
    assert entries[1].error is not None and "the line is longer than" in str(entries[1].error)
    endless = BytesIO(good_line("a") + b"\n" + b"\0" * 100 * (MAX_SKIPPED_LINE_PARTS + 5))
    entries = list(read_jsonl(bounded_lines(endless, limit=100), "cohort"))
    assert [entry.data and entry.data["id"] for entry in entries] == ["a", None]
    assert "has no end within 16 times that; the rest of the cohort is not read" in str(entries[1].error)
