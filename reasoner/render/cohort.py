"""A cohort's run as text: the audit summary and the one-line message of a bad record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..advisor.batch import Audit
from .lines import Line


def audit_lines(summary: Audit) -> Iterator[Line]:
    """How many patients were answered, the codes they got, and any invariant broken (with examples)."""
    yield Line(0, f"{summary.patients} patients answered, {summary.errors} invalid records")
    yield Line(0, "codes (patients):")
    for (code, kind), count in sorted(summary.codes.items()):
        yield Line(1, f"{code} {kind}: {count}")
    if not summary.violations:
        yield Line(0, "invariants: none violated")
        return
    yield Line(0, "invariants violated:")
    for name, count in sorted(summary.violations.items()):
        yield Line(1, f"{name}: {count} patients, e.g. {', '.join(summary.examples[name])}")


def verify_lines(summary: Audit) -> Iterator[Line]:
    """The result of checking invariants over examples and a boundary cohort."""
    yield Line(0, f"{summary.patients} patients checked ({summary.errors} invalid records)")
    if not summary.violations:
        yield Line(0, "no invariant violated")
    for name, count in sorted(summary.violations.items()):
        yield Line(0, f"violated {name}: {count} patients, e.g. {', '.join(summary.examples[name])}")


def record_error_text(error: dict[str, Any]) -> str:
    """``Error: cohort.jsonl:7: age: ...; symptom_days: ...``: one line for one bad record."""
    problems = "; ".join(
        f"{problem['field']}: {problem['message']}" if problem["field"] else problem["message"]
        for problem in error["problems"]
    )
    return f"Error: {error['source']}: {problems}"
