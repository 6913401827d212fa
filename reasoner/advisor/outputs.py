"""Where a batch's answers go: JSON Lines (one answer a line) or a Parquet file.

Both hold the same text per patient, the answer JSON (or ``{"error": …}``) that JSON
Lines has on its line: a Parquet file has one row per patient, in input order, with the
columns ``row`` (from 1), ``source`` (``file:line``), ``line``, ``error`` (true for a
record that was not valid) and ``answer`` (that JSON text). The rows are written as
Parquet parts in a folder beside the target and joined when the writer closes, so an
interrupted batch still leaves a Parquet file of the patients answered so far.

Compact answers (reasoner/advisor/compact.py) come with a header, what the knowledge base
says once for every patient: the first line of JSON Lines, and in Parquet the file's
key-value metadata under ``backspasm.compact.header`` (the same JSON text).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import duckdb

from ..language.duckdb_connections import open_duckdb
from .batch import Outcome

if TYPE_CHECKING:
    from .cohort_lines import LineSlice

HEADER_KEY = "backspasm.compact.header"
"""The Parquet key-value metadata entry that holds a compact batch's header."""
ROW_GROUP_ROWS = 4096
"""Rows of a Parquet answers file written together: what the writer holds at once."""
WRITE_MEMORY_LIMIT = "256MB"
"""DuckDB's ceiling while it writes a Parquet answers file: with these row groups, 300 000 compact answers
(~2 KB each) were written at a peak of 138 MiB, against 1.2 GiB with DuckDB's defaults."""
ROWS_AT_ONCE = 2_000
"""Answers written one by one that are held before they are written together as a part."""
PARQUET_COLUMNS = {"row": "BIGINT", "source": "VARCHAR", "line": "BIGINT", "error": "BOOLEAN", "answer": "VARCHAR"}


class JsonLinesAnswers:
    """Answers to a text stream, one JSON value a line."""

    def __init__(self, stream: IO[str], owned: bool, header: dict[str, Any] | None = None) -> None:
        self.stream = stream
        self.owned = owned
        if header is not None:
            stream.write(header_text(header) + "\n")

    def write(self, outcome: Outcome, text: str) -> None:
        self.stream.write(text + "\n")

    def write_slice(self, piece: LineSlice) -> None:
        """Lines already joined by newlines, as DuckDB gives a slice of them."""
        if piece.text:
            self.stream.write(piece.text + "\n")

    def flush(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        if self.owned:
            self.stream.close()
        else:
            self.stream.flush()


class ParquetAnswers:
    """Answers to a Parquet file, written when the writer closes.

    Until then each slice of a few thousand rows is written by DuckDB as a zstd-compressed
    Parquet part in a folder beside the target, and the parts are joined in order at the
    end: memory holds a slice, and the disk borrowed is a fraction of the answers' own size
    (a million compact answers: 45 MB of parts for a 220 MB file; staged as JSON Lines, ten
    million took 23 GB). Each column of a slice goes in as one string split by DuckDB, not a
    Python object per row.
    """

    def __init__(self, path: Path, header: dict[str, Any] | None = None) -> None:
        self.path = path
        self.header = header
        path.open("wb").close()  # a path that cannot be written fails now, before any work
        self._folder = Path(tempfile.mkdtemp(prefix=".answers-", dir=path.parent))
        # One thread and a memory limit: a slice, then a row group at a time, is all DuckDB holds.
        self._connection = open_duckdb(":memory:", {"threads": 1, "memory_limit": WRITE_MEMORY_LIMIT})
        self._parts: list[str] = []
        self._pending: list[tuple[str, int | None, bool, str]] = []
        self._count = 0

    def write(self, outcome: Outcome, text: str) -> None:
        self._pending.append((outcome.source, outcome.line, outcome.error is not None, text))
        if len(self._pending) >= ROWS_AT_ONCE:
            self.flush()

    def write_slice(self, piece: LineSlice) -> None:
        """A slice of lines as DuckDB gives them: a row for each, an error where the slice says so."""
        self.flush()
        failed = {outcome.index for outcome in piece.errors}
        self._write_part([(source, line, index in failed) for index, source, line in piece.places], piece.text)

    def flush(self) -> None:
        if self._pending:
            rows = [(source, line, error) for source, line, error, _ in self._pending]
            text = "\n".join(text for *_, text in self._pending)
            self._pending = []
            self._write_part(rows, text)

    def _write_part(self, rows: list[tuple[str, int | None, bool]], text: str) -> None:
        """The next part: rows numbered on from the last, their answers ``text`` joined by newlines
        (JSON text holds none)."""
        if not rows:
            return
        if text.count("\n") != len(rows) - 1:
            raise ValueError(f"{len(rows)} answers to write, but their text has {text.count(chr(10)) + 1} lines")
        sources = "\n".join(source for source, _, _ in rows)
        lines = ",".join("" if line is None else str(line) for _, line, _ in rows)
        errors = "".join("1" if error else "0" for _, _, error in rows)
        if sources.count("\n") == len(rows) - 1:
            split = "string_split(?, chr(10))"
            values: list[object] = [self._count, lines, errors, text, sources]
        else:  # a source (a file's name) with a newline in it: each its own list item, slower
            split = "?::VARCHAR[]"
            values = [self._count, lines, errors, text.split("\n"), [source for source, _, _ in rows]]
        part = str(self._folder / f"part-{len(self._parts):08d}.parquet")
        self._connection.execute(
            f"COPY (SELECT ? + generate_subscripts(s, 1) AS row, unnest(s) AS source, "
            "CAST(nullif(unnest(string_split(?, ',')), '') AS BIGINT) AS line, "
            "unnest(string_split(?, '')) = '1' AS error, "
            # zstd: a part of a few thousand rows compresses to about a fifth of snappy's size, as fast.
            f"unnest({split}) AS answer FROM (SELECT {split} AS s)) TO {_literal(part)} "
            "(FORMAT parquet, COMPRESSION zstd)",
            values,
        )
        self._parts.append(part)
        self._count += len(rows)

    def close(self) -> None:
        try:
            self.flush()
            options = f"FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_ROWS}"
            if self.header is not None:
                options += f", KV_METADATA {{'{HEADER_KEY}': {_literal(header_text(self.header))}}}"
            columns = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in PARQUET_COLUMNS.items())
            # The parts are read in the order listed, and DuckDB keeps a scan's order: no sort of a whole cohort.
            rows = (
                "read_parquet(?)"
                if self._parts
                else "(SELECT NULL AS row, NULL AS source, NULL AS line, NULL AS error, NULL AS answer WHERE false)"
            )
            # The target's name is a parameter of no statement: COPY takes a literal, so it is quoted here.
            self._connection.execute(
                f"COPY (SELECT {columns} FROM {rows}) TO {_literal(str(self.path))} ({options})",
                [self._parts] if self._parts else [],
            )
        except duckdb.Error as error:
            message = str(error).strip().splitlines()[0]
            raise OSError(0, f"cannot write the Parquet answers: {message}", str(self.path)) from None
        finally:
            self._connection.close()
            shutil.rmtree(self._folder, ignore_errors=True)


def header_text(header: dict[str, Any]) -> str:
    """A compact header as one line of JSON, keys sorted as answers are."""
    return json.dumps(header, sort_keys=True, separators=(",", ":"))


def _literal(text: str) -> str:
    """A SQL string literal (COPY's options take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def answer_writer(
    path: Path | None, stdout: IO[str], header: dict[str, Any] | None = None
) -> JsonLinesAnswers | ParquetAnswers:
    """Parquet when ``path`` ends in ``.parquet``, else JSON Lines to ``path`` (or standard output).

    ``header`` (compact answers) is written first, or into the Parquet file's metadata.
    """
    if path is None:
        return JsonLinesAnswers(stdout, owned=False, header=header)
    if path.suffix == ".parquet":
        return ParquetAnswers(path, header)
    return JsonLinesAnswers(path.open("w", encoding="utf-8"), owned=True, header=header)


__all__ = ["HEADER_KEY", "PARQUET_COLUMNS", "JsonLinesAnswers", "ParquetAnswers", "answer_writer", "header_text"]
