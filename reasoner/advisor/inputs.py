"""Read subjects from files and streams: one record file, a cohort, or a facts file.

A record file is JSON or YAML; a cohort is JSON Lines (one record a line), Parquet (one
record a row) or a directory of record files. Malformed text becomes a :class:`RecordError` that names the file and
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
from .recordtext import TextProblem, decode_utf8, load_json, load_yaml

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
    text: str | None = None
    """The line's JSON text, not yet parsed (:func:`read_jsonl` with ``parse=False``); see :func:`parsed`."""


def parsed(entry: Entry) -> Entry:
    """An entry with its text parsed: its data, or the parse error as :func:`read_jsonl` gives it."""
    if entry.text is None:
        return entry
    try:
        return Entry(entry.index, entry.source, entry.line, load_json(entry.text))
    except TextProblem as problem:
        return Entry(
            entry.index, entry.source, entry.line, error=_record_error(problem, entry.source, whole_file=False)
        )


def parse_record_text(text: str, source: str, *, yaml: bool | None = None) -> Any:
    """Parse one record's text: JSON, or YAML when ``yaml`` is true (None: guess from the text).

    Strict (:mod:`reasoner.recordtext`): a duplicate key, deep nesting, an oversized
    integer or a YAML alias is a RecordError at ``source:line:col``, never a traceback.
    """
    if yaml is None:
        yaml = not text.lstrip().startswith(("{", "["))
    try:
        return load_yaml(text) if yaml else load_json(text)
    except TextProblem as problem:
        raise _record_error(problem, source, whole_file=True) from None


def parse_record_bytes(data: bytes, source: str, *, yaml: bool | None = None) -> Any:
    """:func:`parse_record_text` of bytes that must be UTF-8 (a file, or standard input)."""
    try:
        text = decode_utf8(data)
    except TextProblem as problem:
        raise _record_error(problem, source, whole_file=True) from None
    return parse_record_text(text, source, yaml=yaml)


def _record_error(problem: TextProblem, source: str, *, whole_file: bool) -> RecordError:
    """A parse problem as a RecordError: ``source:line:col`` for a file, ``source`` for a cohort line."""
    if problem.line is None:
        return RecordError([FieldProblem("", problem.message)], source)
    if whole_file:
        message = _with_position(problem.message, f"at line {problem.line} column {problem.column}")
        return RecordError([FieldProblem("", message)], f"{source}:{problem.line}:{problem.column}")
    return RecordError([FieldProblem("", _with_position(problem.message, f"at column {problem.column}"))], source)


def _with_position(message: str, position: str) -> str:
    """``invalid JSON at line 3 column 13: …``: the position after what is invalid (YAML's is in the source)."""
    for kind in ("invalid JSON", "invalid UTF-8"):
        if message.startswith(kind + ": "):
            return f"{kind} {position}: {message[len(kind) + 2 :]}"
    return message


def read_record_file(path: Path) -> Any:
    """The parsed value of a JSON or YAML record file; RecordError names a missing file."""
    try:
        data = read_bounded(path)
    except FileNotFoundError:
        raise RecordError([FieldProblem("", "no such file")], str(path)) from None
    except OSError as error:
        raise RecordError([FieldProblem("", f"cannot read the file: {error.strerror or error}")], str(path)) from None
    return parse_record_bytes(data, str(path), yaml=path.suffix in (".yaml", ".yml"))


MAX_RECORD_BYTES = 64 * 1024 * 1024
"""The largest record file read (a FHIR Bundle of a long history is a few megabytes)."""


def read_bounded(path: Path, limit: int = MAX_RECORD_BYTES) -> bytes:
    """The bytes of ``path``, refusing more than ``limit`` (``/dev/zero`` would never end)."""
    with path.open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(0, f"larger than {limit // (1024 * 1024)} MiB; a record file is far smaller")
    return data


def read_jsonl(lines: Iterable[str | bytes | TextProblem], source: str, *, parse: bool = True) -> Iterator[Entry]:
    """Each non-blank line of a JSON Lines stream as an :class:`Entry`, lazily, numbered from 1.

    ``parse=False`` leaves each line's JSON as text (``Entry.text``), for a reader that
    parses and validates a whole chunk at once (reasoner/advisor/cohort_sql.py).

    Lines may be bytes (a file or standard input read as bytes): each is decoded on its
    own, so a byte that is not UTF-8 is that line's error and the lines around it are read.
    A line that could not be read at all (:func:`bounded_lines`) is its TextProblem.
    """
    index = 0
    for number, raw in enumerate(lines, start=1):
        where = f"{source}:{number}"
        try:
            if isinstance(raw, TextProblem):
                raise raw
            line = decode_utf8(raw) if isinstance(raw, bytes) else raw
        except TextProblem as problem:
            yield Entry(index, where, number, error=_record_error(problem, where, whole_file=False))
            index += 1
            continue
        if not line.strip():
            continue
        if not parse:
            yield Entry(index, where, number, text=line.rstrip("\r\n"))
            index += 1
            continue
        try:
            data = load_json(line.rstrip("\r\n"))
        except TextProblem as problem:
            yield Entry(index, where, number, error=_record_error(problem, where, whole_file=False))
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


MAX_SKIPPED_LINE_PARTS = 16
"""How many ``limit``-sized parts of an over-long line are skipped looking for its end."""


def bounded_lines(stream: IO[bytes], limit: int = MAX_RECORD_BYTES) -> Iterator[bytes | TextProblem]:
    """The lines of a binary stream, each at most ``limit`` bytes, so that a cohort without
    newlines cannot fill the memory.

    A longer line is given as a TextProblem and skipped to its end; when no end comes
    within :data:`MAX_SKIPPED_LINE_PARTS` more parts (``/dev/zero`` has none), reading
    stops with a TextProblem saying so, instead of reading for ever.
    """
    megabytes = f"{limit / (1024 * 1024):g} MiB"
    while line := stream.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        for _part in range(MAX_SKIPPED_LINE_PARTS):
            rest = stream.readline(limit)
            if not rest or rest.endswith(b"\n"):
                yield TextProblem(f"the line is longer than {megabytes}; a record is far smaller")
                break
        else:
            yield TextProblem(
                f"the line is longer than {megabytes} and has no end within {MAX_SKIPPED_LINE_PARTS} times that; "
                "the rest of the cohort is not read"
            )
            return


PARQUET_BATCH = 10_000
"""Rows of a Parquet cohort fetched at a time: the file is read lazily, never whole."""


PARQUET_TEXT_TYPES = frozenset(
    {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "BOOLEAN"}
    | {"VARCHAR", "JSON"}
)
"""Column types DuckDB writes as the JSON Python would read from them (alone or as a list's items)."""


def read_parquet(path: Path, *, parse: bool = True) -> Iterator[Entry]:
    """Each row of a Parquet cohort as an :class:`Entry`, lazily, numbered from 1.

    The columns are the record's fields (lists for code fields; a column of JSON type,
    as for code fields whose items are objects, is read as the JSON it holds); a null is
    an absent field, as ``null`` is in JSON. A row's source is ``path:N`` and its ``line`` N, the
    row's number from 1, so errors point at rows as they point at lines of JSON Lines.

    ``parse=False``: when every column is of a type in :data:`PARQUET_TEXT_TYPES`, DuckDB
    writes each row as the JSON text of the same record (``Entry.text``), to be checked
    set-at-a-time like a line of JSON Lines; other columns (dates, decimals, structs…) are
    read in Python as always, so a value is never written in a way the validator would
    judge differently.
    """
    import duckdb

    from ..language.duckdb_connections import open_duckdb

    connection = open_duckdb()
    try:
        try:
            described = connection.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
            columns = [(str(row[0]), str(row[1])) for row in described]
            text = None if parse else _row_json(columns)
            result = connection.execute(f"SELECT {text or '*'} FROM read_parquet(?)", [str(path)])
        except duckdb.Error as error:
            message = str(error).strip().splitlines()[0]
            raise RecordError([FieldProblem("", f"cannot read the Parquet cohort: {message}")], str(path)) from None
        number = 0
        while rows := result.fetchmany(PARQUET_BATCH):
            for row in rows:
                number += 1
                where = f"{path}:{number}"
                if text is not None:
                    yield Entry(number - 1, where, number, text=str(row[0]))
                    continue
                try:
                    data = {
                        name: _json_values(value) if "JSON" in kind else value
                        for (name, kind), value in zip(columns, row, strict=True)
                        if value is not None
                    }
                except TextProblem as problem:
                    yield Entry(number - 1, where, number, error=_record_error(problem, where, whole_file=False))
                else:
                    yield Entry(number - 1, where, number, data)
    finally:
        connection.close()


def _row_json(columns: list[tuple[str, str]]) -> str | None:
    """SQL writing a row as a JSON object of its non-null columns; None when a column's type is not plain."""
    if not all(kind.removesuffix("[]") in PARQUET_TEXT_TYPES for _, kind in columns):
        return None
    members = []
    for name, _ in columns:
        column = '"' + name.replace('"', '""') + '"'
        key = "'" + (json.dumps(name) + ":").replace("'", "''") + "'"
        members.append(f"CASE WHEN {column} IS NOT NULL THEN {key} || to_json({column}) END")
    return f"'{{' || concat_ws(',', {', '.join(members)}) || '}}'" if members else "'{}'"


def _json_values(value: Any) -> Any:
    """A Parquet JSON column's value (JSON text, or a list of them) as the value it spells."""
    if isinstance(value, str):
        return load_json(value)
    if isinstance(value, list):
        return [_json_values(item) for item in value]
    return value


def read_cohort(path: Path, stdin: IO[str] | IO[bytes] | None = None, *, parse: bool = True) -> Iterator[Entry]:
    """A cohort from a JSON Lines or Parquet file, ``-`` (``stdin``) or a directory of record files.

    ``parse=False``: JSON Lines entries keep their text unparsed (:func:`read_jsonl`).

    Files and a binary ``stdin`` are read as bytes, line by line, so that text which is
    not UTF-8 is answered the same way from either: as the bad line's own error.
    """
    if str(path) == "-":
        if stdin is None:
            raise ValueError("reading - needs the stdin stream")
        binary = getattr(stdin, "buffer", None)
        yield from read_jsonl(bounded_lines(binary) if binary is not None else stdin, "<stdin>", parse=parse)
    elif path.is_dir():
        yield from read_directory(path)
    elif path.suffix == ".parquet":
        yield from read_parquet(path, parse=parse)
    else:
        try:
            handle = path.open("rb")
        except OSError as error:
            raise RecordError([FieldProblem("", f"cannot read the cohort: {error.strerror}")], str(path)) from None
        with handle:
            yield from read_jsonl(bounded_lines(handle), str(path), parse=parse)


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
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeBaseError([Problem(SourcePosition(str(path), 0, 0), "read", f"cannot read: {error}")]) from None
    return read_facts_text(text, str(path))
