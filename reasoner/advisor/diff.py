"""What changes when the knowledge base changes: the same cohort answered by two versions.

A guideline author who edits a rule wants the impact before it ships: which patients'
answers change, and how. Both knowledge bases answer every patient of the cohort
set-at-a-time (the compiled program on DuckDB, a chunk at a time, so memory stays flat at
any cohort size), and each patient's two answers are compared item by item. A change is
one of: an item added, an item removed, an item's kind changed (``consider`` →
``avoid``), a parameter changed (``course_days_max``, with each example's old and new
value), or a record valid under one version and not the other. Changes are grouped,
counted and illustrated with a few patients; the report lists the rules the edit
touched, and each change the rules behind its item in both versions, so the author sees
which edit caused what.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .advisor import Advisor
from .batch import DEFAULT_CHUNK_SIZE, Outcome, chunks
from .inputs import Entry

EXAMPLES_PER_CHANGE = 3


@dataclass
class Change:
    """One kind of difference, with how many patients have it and a few of them."""

    change: str
    """added, removed, kind, parameter or record."""
    code: str
    detail: str
    patients: int = 0
    examples: list[str] = field(default_factory=list)
    old_rules: set[str] = field(default_factory=set)
    new_rules: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "code": self.code,
            "detail": self.detail,
            "patients": self.patients,
            "examples": list(self.examples),
            "old_rules": sorted(self.old_rules),
            "new_rules": sorted(self.new_rules),
        }


@dataclass
class Report:
    """The impact of a knowledge-base change on one cohort."""

    old: dict[str, str]
    new: dict[str, str]
    patients: int = 0
    changed: int = 0
    changes: dict[tuple[str, str, str], Change] = field(default_factory=dict)
    rules_edited: list[str] = field(default_factory=list)
    """Rule ids whose text differs between the versions, or that only one version has."""

    def note(
        self, change: str, code: str, detail: str, subject: str, old: Any = None, new: Any = None, values: str = ""
    ) -> None:
        entry = self.changes.setdefault((change, code, detail), Change(change, code, detail))
        entry.patients += 1
        if len(entry.examples) < EXAMPLES_PER_CHANGE:
            entry.examples.append(f"{subject} ({values})" if values else subject)
        entry.old_rules.update(old.get("rules", ()) if isinstance(old, dict) else ())
        entry.new_rules.update(new.get("rules", ()) if isinstance(new, dict) else ())

    def ordered(self) -> list[Change]:
        """Most patients first, then by change and code, so the report reads the same every run."""
        return sorted(self.changes.values(), key=lambda c: (-c.patients, c.change, c.code, c.detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "patients": self.patients,
            "changed": self.changed,
            "rules_edited": list(self.rules_edited),
            "changes": [change.to_json() for change in self.ordered()],
        }


def diff_cohort(old: Advisor, new: Advisor, entries: Iterable[Entry], chunk_size: int = DEFAULT_CHUNK_SIZE) -> Report:
    """Answer ``entries`` with both advisors and report every patient whose answer differs."""
    from ..language.sql_engine import SqlEngine
    from .cohort import MEMORY_LIMIT, answer_chunk_sql

    engines = [SqlEngine(advisor.kb.program, memory_limit=MEMORY_LIMIT) for advisor in (old, new)]
    report = Report(old.identity, new.identity, rules_edited=edited_rules(old, new))
    for chunk in chunks(entries, chunk_size):
        before = answer_chunk_sql(old, engines[0], chunk, audit=False)
        after = answer_chunk_sql(new, engines[1], chunk, audit=False)
        for first, second in zip(before, after, strict=True):
            report.patients += 1
            differences = list(_differences(first, second))
            if differences:
                report.changed += 1
            for change, code, detail, old_item, new_item, values in differences:
                report.note(change, code, detail, _subject(first, second), old_item, new_item, values)
    return report


def edited_rules(old: Advisor, new: Advisor) -> list[str]:
    """Rule ids whose clause or statement differs between the versions, or that one version lacks."""

    def texts(advisor: Advisor) -> dict[str, str]:
        return {
            rule.rule_id or str(rule): f"{rule} {rule.metadata.statement or ''} {rule.metadata.evidence}"
            for rule in advisor.kb.program.rules
        }

    before, after = texts(old), texts(new)
    return sorted(rule for rule in before.keys() | after.keys() if before.get(rule) != after.get(rule))


def _subject(first: Outcome, second: Outcome) -> str:
    for outcome in (first, second):
        if outcome.answer is not None:
            return str(outcome.answer["subject"])
    return first.source


def _differences(first: Outcome, second: Outcome) -> Iterator[tuple[str, str, str, Any, Any, str]]:
    if first.answer is None or second.answer is None:
        if (first.answer is None) != (second.answer is None):
            valid_in = "the new version only" if first.answer is None else "the old version only"
            yield "record", "", f"a valid record under {valid_in}", None, None, ""
        return
    old_items = {item["code"]: item for item in first.answer["items"]}
    new_items = {item["code"]: item for item in second.answer["items"]}
    for code in sorted(old_items.keys() | new_items.keys()):
        before, after = old_items.get(code), new_items.get(code)
        if before is None:
            yield "added", code, f"{after['kind']} now given" if after else "", None, after, ""
            continue
        if after is None:
            yield "removed", code, f"{before['kind']} no longer given", before, None, ""
        elif before["kind"] != after["kind"]:
            yield "kind", code, f"{before['kind']} -> {after['kind']}", before, after, ""
        else:
            for name in sorted(before["parameters"].keys() | after["parameters"].keys()):
                was, now = before["parameters"].get(name), after["parameters"].get(name)
                if was != now:
                    yield "parameter", code, name, before, after, f"{_said(was)} -> {_said(now)}"


def _said(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    return str(value)
