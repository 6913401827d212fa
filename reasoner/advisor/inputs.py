"""Read subjects from files and streams: one record file, a cohort, or a facts file.

A record file is JSON or YAML; a cohort is JSON Lines (one record a line) or a directory
of record files. Malformed text becomes a :class:`RecordError` that names the file and
the line and column, never a parser's traceback, and a cohort yields each bad line as
an error beside the good ones so one typo does not stop a run of 100 000 patients.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import FieldProblem, KnowledgeBaseError, Problem, RecordError, SourcePosition
from ..language.engine import Fact

RECORD_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Entry:
    """One subject of a cohort, still unvalidated: where it came from and its parsed value.

    ``data`` is None when the text could not be parsed; ``error`` then says why.
    """

    index: int
    source: str
    line: int | None
    data: Any = None
    error: RecordError | None = None


def parse_record_text(text: str, source: str, *, yaml: bool | None = None) -> Any:
    """Parse one record's text: JSON, or YAML when ``yaml`` is true (None: guess from the text)."""
    if yaml is None:
        yaml = not text.lstrip().startswith(("{", "["))
    if not yaml:
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise RecordError(
                [FieldProblem("", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")],
                f"{source}:{error.lineno}:{error.colno}",
            ) from None
    import yaml as pyyaml

    try:
        return pyyaml.safe_load(text)
    except pyyaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
        reason = getattr(error, "problem", None) or str(error)
        raise RecordError([FieldProblem("", f"invalid YAML: {reason}")], where) from None


def read_record_file(path: Path) -> Any:
    """The parsed value of a JSON or YAML record file; RecordError names a missing file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordError([FieldProblem("", "no such file")], str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise RecordError([FieldProblem("", f"cannot read the file: {error}")], str(path)) from None
    return parse_record_text(text, str(path), yaml=path.suffix in (".yaml", ".yml"))


def read_jsonl(lines: Iterable[str], source: str) -> Iterator[Entry]:
    """Each non-blank line of a JSON Lines stream as an :class:`Entry`, lazily, numbered from 1."""
    index = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            data = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as error:
            problem = FieldProblem("", f"invalid JSON at column {error.colno}: {error.msg}")
            yield Entry(index, where, number, error=RecordError([problem], where))
        else:
            yield Entry(index, where, number, data)
        index += 1


def read_directory(directory: Path) -> Iterator[Entry]:
    """Every record file of a directory, in name order."""
    files = sorted(path for path in directory.iterdir() if path.suffix in RECORD_SUFFIXES and path.is_file())
    for index, path in enumerate(files):
        try:
            yield Entry(index, str(path), None, read_record_file(path))
        except RecordError as error:
            yield Entry(index, str(path), None, error=error)


def read_cohort(path: Path, stdin: IO[str] | None = None) -> Iterator[Entry]:
    """A cohort from a JSON Lines file, ``-`` (``stdin``) or a directory of record files."""
    if str(path) == "-":
        if stdin is None:
            raise ValueError("reading - needs the stdin stream")
        yield from read_jsonl(stdin, "<stdin>")
    elif path.is_dir():
        yield from read_directory(path)
    else:
        try:
            handle = path.open(encoding="utf-8")
        except OSError as error:
            raise RecordError([FieldProblem("", f"cannot read the cohort: {error.strerror}")], str(path)) from None
        with handle:
            yield from read_jsonl(handle, str(path))


def read_facts_text(text: str, source: str) -> list[Fact]:
    """Ground facts written as Datalog (``edge(a, b).``, one or more a line) for a plain program."""
    from ..language.program import Constant
    from ..language.syntax import parse_program

    program = parse_program(text, source)
    facts: list[Fact] = []
    problems: list[Problem] = []
    for rule in program.rules:
        if rule.body or not all(isinstance(argument, Constant) for argument in rule.head.arguments):
            problems.append(Problem(rule.position, "facts", f"{rule} is not a ground fact"))
            continue
        facts.append(Fact(rule.head.predicate, tuple(argument.value for argument in rule.head.arguments)))  # type: ignore[union-attr]
    for declaration in program.declarations:
        problems.append(Problem(declaration.position, "facts", "a facts file holds facts only, not declarations"))
    if problems:
        raise KnowledgeBaseError(problems)
    return facts


def read_facts_file(path: Path) -> list[Fact]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise KnowledgeBaseError([Problem(SourcePosition(str(path), 0, 0), "read", f"cannot read: {error}")]) from None
    return read_facts_text(text, str(path))
