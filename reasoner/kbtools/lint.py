"""Lint a knowledge base: every error and warning, with file:line:col, in one pass.

Loading stops at the first kind of error; lint goes on where it can so an author sees
the rules' warnings beside the record, answer and traceability checks of a guideline.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import KnowledgeBaseError, Problem
from ..knowledge.kb import load_kb
from ..knowledge.traceability import check, read_traceability


def lint(path: str | Path) -> list[Problem]:
    """Every problem of the knowledge base at ``path``; raises KnowledgeBaseError when it cannot load."""
    from ..advisor.advisor import advisor_for

    kb = load_kb(path)
    problems = list(kb.warnings)
    if "record" in kb.data and "answer" in kb.data:
        try:
            advisor = advisor_for(kb, path)
            if advisor.declares_changes:
                advisor.change_spec  # noqa: B018 - read now, so its problems are listed
        except KnowledgeBaseError as error:
            problems += error.problems
    if "traceability" in kb.data and kb.root is not None:
        try:
            matrix = read_traceability(kb.data["traceability"], kb.root)
            problems += check(matrix, kb.program, kb.data["traceability"])
        except KnowledgeBaseError as error:
            problems += error.problems
    return sorted(problems, key=lambda problem: (problem.position, problem.check, problem.message))
