"""A chunk's ``--audit`` figures computed in SQL: how many patients get each code, and broken invariants.

The batch's audit counts, for every valid patient, each ``(code, kind)`` of its answer (as
:meth:`Answer.codes` gives them: a code's last kind in the answer's items) and each
invariant (``violation/1``) its answer breaks. On the fast path (:mod:`cohort_lines`) the
answers are texts shared by the patients alike, so the codes are read from each distinct
answer's text by DuckDB's JSON functions and weighed by how many patients share it; the
violations, rare in a sound knowledge base, are read row by row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from ..language.sql_engine import GROUPS_TABLE, SqlEngine

VIOLATION = ("violation", 1)


@dataclass(frozen=True)
class ChunkAudit:
    """The codes of a chunk's valid patients, and each broken invariant with its patients' sources."""

    codes: Counter[tuple[str, str]] = field(default_factory=Counter)
    violations: list[tuple[str, str]] = field(default_factory=list)
    """``(invariant, source)`` in input order."""


def chunk_audit(
    connection: duckdb.DuckDBPyConnection,
    engine: SqlEngine,
    texts: str,
    subject_lines: str,
    sources: Callable[[int], str],
) -> ChunkAudit:
    """After the answers' texts are in table ``texts`` (representative ``subject``, ``text``).

    ``subject_lines``: a query of every valid patient's ``line`` (entry index) and ``subject``;
    ``sources``: the source (file:line) of an entry index.
    """
    codes: Counter[tuple[str, str]] = Counter()
    for code, kind, patients in connection.execute(
        f"WITH items AS (SELECT subject, unnest(c) AS code, unnest(k) AS kind, generate_subscripts(c, 1) AS position "
        f"FROM (SELECT subject, json_extract_string(text, '$.items[*].code') AS c, "
        f"json_extract_string(text, '$.items[*].kind') AS k FROM {texts})), "
        "last AS (SELECT subject, code, arg_max(kind, position) AS kind FROM items GROUP BY subject, code), "
        f"sizes AS (SELECT representative AS subject, count(*) AS patients FROM {GROUPS_TABLE} GROUP BY ALL) "
        "SELECT code, kind, sum(patients) FROM last JOIN sizes USING (subject) GROUP BY code, kind"
    ).fetchall():
        codes[(str(code), str(kind))] += int(patients)
    violations: list[tuple[str, str]] = []
    if VIOLATION in engine.compiled.relations:
        broken = {(subject, str(row[0])) for subject, row, _ in engine.derived(connection, VIOLATION)}
        if broken:
            lines = {
                int(subject): int(line)
                for subject, line in connection.execute(f"SELECT subject, line FROM ({subject_lines})").fetchall()
            }
            # A row of no subject in particular (-1) is every patient's.
            every = {(subject, name) for subject in lines for shared, name in broken if shared < 0}
            found = sorted((lines[subject], name) for subject, name in broken | every if subject >= 0)
            violations = [(name, sources(line)) for line, name in found]
    return ChunkAudit(codes, violations)


__all__ = ["ChunkAudit", "chunk_audit"]
