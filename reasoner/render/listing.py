"""A knowledge base's contents as text and JSON: its problems, rules, evidence and coverage,
and the rows of a query. Paths are shown relative to the working directory when shorter."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..knowledge.evidence import Evidence
from ..knowledge.traceability import Traceability
from ..language.program import Rule
from .answer import evidence_of
from .lines import Line


def relative(path: str) -> str:
    """A path relative to the working directory when it lies beneath it, for shorter output."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else path
    except (OSError, ValueError):
        return path


def problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "file": relative(problem.position.file),
        "line": problem.position.line,
        "column": problem.position.column,
        "severity": problem.severity,
        "check": problem.check,
        "message": problem.message,
    }


def problem_text(problem: Problem) -> str:
    """``file:line:col: severity: message [check]``, as compilers print it."""
    position = problem.position
    where = f"{relative(position.file)}:{position.line}:{position.column}"
    return f"{where}: {problem.severity}: {problem.message} [{problem.check}]"


def lint_summary(target: str, problems: Sequence[Problem]) -> str:
    errors = sum(1 for problem in problems if problem.severity == "error")
    warnings = len(problems) - errors
    return f"{relative(target)}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def rules_json(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    return [
        {
            "id": rule.rule_id,
            "statement": rule.metadata.statement,
            "datalog": str(rule),
            "evidence": list(rule.metadata.evidence),
            "position": f"{relative(rule.position.file)}:{rule.position.line}:{rule.position.column}",
        }
        for rule in rules
    ]


def rules_lines(rules: Sequence[Rule], evidence: Mapping[str, Evidence]) -> Iterator[Line]:
    for rule in rules:
        yield Line(0, rule.rule_id or "(fact)", "bold")
        if rule.metadata.statement:
            yield Line(1, rule.metadata.statement, "italic")
        yield Line(1, str(rule), "cyan")
        if rule.metadata.evidence:
            yield Line(1, "evidence: " + evidence_of(evidence, rule.metadata.evidence), "dim")


def evidence_json(evidence: Mapping[str, Evidence]) -> list[dict[str, Any]]:
    return [
        {
            "id": entry.evidence_id,
            "quality": entry.quality,
            "grade": entry.grade,
            "origin": entry.origin,
            "source": entry.source,
            "backs": entry.backs,
            "direction": entry.direction,
            "strength": entry.strength,
            "link": entry.link,
        }
        for entry in evidence.values()
    ]


def evidence_lines(evidence: Mapping[str, Evidence]) -> Iterator[Line]:
    for entry in evidence.values():
        yield Line(0, f"{entry.evidence_id} ({entry.grade})", "bold")
        yield Line(1, f"{entry.origin}: {entry.source}")
        yield Line(1, f"backs: {entry.backs}", "dim")


def coverage_json(matrix: Traceability) -> list[dict[str, Any]]:
    return [
        {
            "line": number,
            "text": statement.text,
            "heading": statement.heading,
            "rules": list(statement.rules),
            "not_actionable": statement.not_actionable,
        }
        for number, statement in enumerate(matrix.statements, start=1)
    ]


def coverage_lines(matrix: Traceability) -> Iterator[Line]:
    for number, statement in enumerate(matrix.statements, start=1):
        yield Line(0, f"{number}. {statement.text}", "bold" if statement.heading else "")
        if statement.rules:
            yield Line(1, "encoded by: " + ", ".join(statement.rules), "green")
        else:
            yield Line(1, f"not actionable: {statement.not_actionable}", "dim")


def rows_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Query solutions as an aligned table, a column per variable; ``yes``/``no`` without variables."""
    names = list(rows[0]) if rows else []
    if not names:
        return ["yes" if rows else "no"]
    cells = [[str(row[name]) for name in names] for row in rows]
    widths = [max(len(name), *(len(line[index]) for line in cells)) for index, name in enumerate(names)]
    table = ["  ".join(name.ljust(width) for name, width in zip(names, widths, strict=True)).rstrip()]
    for line in cells:
        table.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    return table
