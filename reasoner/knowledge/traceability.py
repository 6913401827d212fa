"""Traceability: every statement of a source document beside the rules that encode it.

The knowledge base keeps, as data, each line of its source (the guideline summary) with
either the rule ids that encode it or the recorded reason it is not actionable. The
checks here make that matrix trustworthy: a source line without an entry, an entry for
a line the source no longer has, or a rule id that does not exist is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..datafile import DataFile
from ..errors import KnowledgeBaseError, Problem, SourcePosition
from ..language.program import Program


@dataclass(frozen=True)
class Statement:
    text: str
    rules: tuple[str, ...] = ()
    not_actionable: str | None = None
    heading: bool = False


@dataclass(frozen=True)
class Traceability:
    source: Path
    statements: tuple[Statement, ...]

    def source_lines(self) -> list[str]:
        return [line.rstrip() for line in self.source.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_traceability(data_file: DataFile, root: Path) -> Traceability:
    data = data_file.data
    if not isinstance(data, dict) or not isinstance(data.get("statements"), list) or "source" not in data:
        raise KnowledgeBaseError([data_file.problem((), "a traceability file has a source and a list of statements")])
    statements: list[Statement] = []
    problems: list[Problem] = []
    for index, entry in enumerate(data["statements"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            problems.append(data_file.problem(("statements", index), "each statement needs its text"))
            continue
        rules = tuple(str(rule) for rule in entry.get("rules") or ())
        reason = entry.get("not_actionable")
        if not rules and not reason:
            problems.append(
                data_file.problem(("statements", index), "give the rules that encode it or why it is not actionable")
            )
        statements.append(Statement(entry["text"], rules, reason, bool(entry.get("heading", False))))
    if problems:
        raise KnowledgeBaseError(problems)
    return Traceability(root / str(data["source"]), tuple(statements))


def check(traceability: Traceability, program: Program, data_file: DataFile) -> list[Problem]:
    """Every source line has an entry, every entry a source line, every cited rule exists."""
    problems: list[Problem] = []
    lines = traceability.source_lines()
    covered = {statement.text for statement in traceability.statements}
    for number, line in enumerate(lines, start=1):
        if line not in covered:
            problems.append(
                Problem(
                    SourcePosition(str(traceability.source), number, 1),
                    "traceability",
                    f"this line has no entry in {data_file.name}: {line[:60]!r}",
                )
            )
    known_ids = {rule.rule_id for rule in program.rules if rule.rule_id}
    for index, statement in enumerate(traceability.statements):
        if statement.text not in lines:
            problems.append(data_file.problem(("statements", index), "no such line in the source", "traceability"))
        for rule_id in statement.rules:
            if rule_id not in known_ids:
                problems.append(
                    data_file.problem(("statements", index), f"rule {rule_id} does not exist", "traceability")
                )
    return problems
