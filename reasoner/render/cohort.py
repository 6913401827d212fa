"""A cohort's run as text: the audit summary, the one-line message of a bad record, and the
impact report of a knowledge-base change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..advisor.batch import Audit
from ..advisor.diff import Report
from .lines import Line, plain


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


def audit_text(summary: Audit, output_format: str) -> str:
    """The audit of a batch as the text of :func:`audit_lines`, or as indented JSON (``output_format="json"``)."""
    if output_format == "json":
        return json.dumps(summary.to_json(), indent=2, sort_keys=True) + "\n"
    return plain(list(audit_lines(summary)))


def verify_lines(summary: Audit) -> Iterator[Line]:
    """The result of checking invariants over examples and a boundary cohort."""
    yield Line(0, f"{summary.patients} patients checked ({summary.errors} invalid records)")
    if not summary.violations:
        yield Line(0, "no invariant violated")
    for name, count in sorted(summary.violations.items()):
        yield Line(0, f"violated {name}: {count} patients, e.g. {', '.join(summary.examples[name])}")


def diff_lines(report: Report) -> Iterator[Line]:
    """How many answers change between two knowledge-base versions, and how, most patients first."""
    old, new = report.old, report.new
    yield Line(
        0,
        f"{old['name']} {old['version']} -> {new['name']} {new['version']}: {report.patients} patients, "
        f"{report.changed} answers change",
    )
    if report.rules_edited:
        yield Line(1, f"rules edited: {', '.join(report.rules_edited)}")
    for change in report.ordered():
        subject = f"{change.code}: " if change.code else ""
        yield Line(1, f"{change.patients} patients: {change.change} {subject}{change.detail}")
        yield Line(2, f"e.g. {'; '.join(change.examples)}")
        only_old, only_new = change.old_rules - change.new_rules, change.new_rules - change.old_rules
        if only_old or only_new:
            parts = [
                f"{label} {', '.join(sorted(rules))}"
                for label, rules in (("was", only_old), ("now", only_new))
                if rules
            ]
            yield Line(2, "rules: " + "; ".join(parts))


def record_error_text(error: dict[str, Any]) -> str:
    """``Error: cohort.jsonl:7: age: ...; symptom_days: ...``: one line for one bad record."""
    problems = "; ".join(
        f"{problem['field']}: {problem['message']}" if problem["field"] else problem["message"]
        for problem in error["problems"]
    )
    return f"Error: {error['source']}: {problems}"
