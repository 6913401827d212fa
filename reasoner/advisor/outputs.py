"""Where a batch's answers go: JSON Lines (one answer a line) or a Parquet file.

Both hold the same text per patient, the answer JSON (or ``{"error": …}``) that JSON
Lines has on its line: a Parquet file has one row per patient, in input order, with the
columns ``row`` (from 1), ``source`` (``file:line``), ``line``, ``error`` (true for a
record that was not valid) and ``answer`` (that JSON text). The rows are gathered in a
JSON Lines file beside the target and written out by DuckDB when the writer closes, so an
interrupted batch still leaves a Parquet file of the patients answered so far.

Compact answers (reasoner/advisor/compact.py) come with a header, what the knowledge base
says once for every patient: the first line of JSON Lines, and in Parquet the file's
key-value metadata under ``backspasm.compact.header`` (the same JSON text).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import duckdb

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
    """Answers to a Parquet file, written when the writer closes."""

    def __init__(self, path: Path, header: dict[str, Any] | None = None) -> None:
        self.path = path
        self.header = header
        path.open("wb").close()  # a path that cannot be written fails now, before any work
        self._rows = tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", suffix=".jsonl", prefix=".answers-", dir=path.parent, delete=False
        )
        self._count = 0

    def write(self, outcome: Outcome, text: str) -> None:
        self._row(outcome.source, outcome.line, outcome.error is not None, text)

    def write_slice(self, piece: LineSlice) -> None:
        """A slice of lines as DuckDB gives them: a row for each, an error where the slice says so."""
        failed = {outcome.index for outcome in piece.errors}
        lines = piece.text.split("\n") if piece.text else []
        for (index, source, line), text in zip(piece.places, lines, strict=True):
            self._row(source, line, index in failed, text)

    def _row(self, source: str, line: int | None, error: bool, text: str) -> None:
        self._count += 1
        row = {"row": self._count, "source": source, "line": line, "error": error, "answer": text}
        self._rows.write(json.dumps(row) + "\n")

    def flush(self) -> None:
        self._rows.flush()

    def close(self) -> None:
        self._rows.close()
        rows = Path(self._rows.name)
        columns = ", ".join(f"'{name}': '{kind}'" for name, kind in PARQUET_COLUMNS.items())
        # One thread, a memory limit and small row groups: the rows are streamed from their file into the
        # Parquet file, a few thousand at a time, so memory does not grow with the cohort.
        connection = duckdb.connect(":memory:", config={"threads": 1, "memory_limit": WRITE_MEMORY_LIMIT})
        try:
            # The target's name is a parameter of no statement: COPY takes a literal, so it is quoted here.
            target = str(self.path).replace("'", "''")
            options = f"FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_ROWS}"
            if self.header is not None:
                options += f", KV_METADATA {{'{HEADER_KEY}': {_literal(header_text(self.header))}}}"
            # The rows are in order in their file, and DuckDB keeps a scan's order: no sort of a whole cohort.
            connection.execute(
                f"COPY (SELECT {', '.join(PARQUET_COLUMNS)} FROM read_json(?, format='newline_delimited', "
                f"columns={{{columns}}})) TO '{target}' ({options})",
                [str(rows)],
            )
        except duckdb.Error as error:
            message = str(error).strip().splitlines()[0]
            raise OSError(0, f"cannot write the Parquet answers: {message}", str(self.path)) from None
        finally:
            connection.close()
            rows.unlink(missing_ok=True)


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
