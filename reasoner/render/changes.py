"""What would change an answer, and when: :class:`..advisor.changes.Changes` as lines, text and JSON.

One sentence per counterfactual, from the knowledge base's own wording of each change
and of each value reached: "Possible in 4 days, when Monoamine oxidase inhibitor was
last taken 14 days before.", "Not before the red flags are evaluated and explained
(Fever or chills): possible at once.", "Ends in 2 days, when the current course reaches
day 7." When nothing within the horizon gives it: "Never under this guideline", with the
facts that block it for good (and the rule, statement and evidence behind each) or,
when those are not proven, where its rules fail now. ``why-not`` prints these lines
after its explanation; any other command (``why``, the CDS cards) can print them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..advisor.changes import BlockingFact, Changes, Option
from ..explain.explanation import Failure, WhyNot
from .lines import Line, plain

MAX_OPTIONS_SHOWN = 3
"""Alternatives printed as text; JSON holds them all."""


def change_lines(changes: Changes) -> list[Line]:
    """The section for one item: a heading, then one line per counterfactual (or why there is none)."""
    goal = f"end {changes.fact}" if changes.holds else f"make {changes.fact} hold"
    heading = (
        f"What would {goal}, and when (up to {_count(changes.max_changes, 'change')} "
        f"within {changes.horizon_days} days, each checked):"
    )
    lines = [Line(0, heading, "bold")]
    shown = changes.options[:MAX_OPTIONS_SHOWN]
    lines += [Line(1, "- " + option_text(option, changes.holds), "green") for option in shown]
    if len(changes.options) > len(shown):
        more = len(changes.options) - len(shown)
        lines.append(Line(1, f"- and {more} more with as few changes (see --format json)"))
    if changes.never:
        lines += _never_lines(changes)
    return lines


def changes_text(found: Sequence[Changes]) -> str:
    """The sections of several items as plain text, each after a blank line."""
    return "".join("\n" + plain(change_lines(changes)) for changes in found)


def option_text(option: Option, holds: bool) -> str:
    """One counterfactual in a sentence: its changes, the day, and the values reached that day."""
    when = "at once" if option.days == 0 else f"in {_count(option.days, 'day')}"
    outcome = f"{'ends' if holds else 'possible'} {when}"
    if option.reached:
        outcome += ", when " + " and ".join(reached.text for reached in option.reached)
    if not option.changes:
        return _capitalised(outcome) + "."
    condition = " and ".join(f"{change.connective} {change.text}" for change in option.changes)
    return f"{_capitalised(condition)}: {outcome}."


def blocker_text(blocker: BlockingFact) -> str:
    """``age 80 — At 65 and over, … (Beers criteria). [relaxant_excluded_elderly; beers2023]``"""
    facts = ", ".join(blocker.record) or blocker.fact
    statement = f" {blocker.statement}" if blocker.statement else ""
    cited = "; ".join(part for part in (", ".join(blocker.rules), ", ".join(blocker.evidence)) if part)
    return f"{facts} —{statement} [{cited}]" if cited else f"{facts} —{statement}"


def _never_lines(changes: Changes) -> list[Line]:
    if changes.holds:
        return [Line(1, f"- Nothing this guideline lets change ends it within {changes.horizon_days} days.")]
    if changes.why_not is not None and changes.why_not.kind == "no-rule":
        return [Line(1, "- Never under this guideline: no rule concludes it.", "red")]
    within = f"no change it allows, within {changes.horizon_days} days"
    if changes.blockers:
        lines = [Line(1, f"- Never under this guideline ({within}), blocked for good by:", "red")]
        return lines + [Line(2, "- " + blocker_text(blocker)) for blocker in changes.blockers]
    failing = failing_conditions(changes.why_not)
    if not failing:
        return [Line(1, f"- Never under this guideline ({within}).", "red")]
    lines = [Line(1, f"- Never under this guideline ({within}); its rules fail now at:", "red")]
    return lines + [Line(2, f"- {rule}: {condition}") for rule, condition, _ in failing]


def failing_conditions(why_not: WhyNot | None) -> list[tuple[str, str, str]]:
    """(rule, condition, reason) for the first failing condition of each rule of a why-not."""
    found: list[tuple[str, str, str]] = []
    for attempt in why_not.attempts if why_not is not None else ():
        rule = attempt.rule.rule_id or str(attempt.rule)
        failure = attempt.failures[0] if attempt.failures else None
        if failure is not None:
            found.append((rule, _condition(failure), failure.reason))
    return found


def _condition(failure: Failure) -> str:
    if failure.reason == "false-comparison":
        return f"{failure.instantiated} is false"
    if failure.reason == "negation-holds":
        return f"{failure.instantiated} fails"
    if failure.reason == "missing-input":
        return f"{failure.instantiated} is not in the record"
    return f"{failure.instantiated} does not hold"


def changes_json(changes: Changes) -> dict[str, Any]:
    """One item's counterfactuals as data (the ``changes`` of docs/schemas/why-not.schema.json)."""
    return {
        "fact": changes.fact,
        "code": changes.code,
        "kind": changes.kind,
        "holds": changes.holds,
        "direction": changes.direction,
        "horizon_days": changes.horizon_days,
        "max_changes": changes.max_changes,
        "options": [_option_json(option, changes.holds) for option in changes.options],
        "never": changes.never,
        "blockers": [
            {
                "fact": blocker.fact,
                "record": list(blocker.record),
                "rules": list(blocker.rules),
                "statement": blocker.statement,
                "evidence": list(blocker.evidence),
                "blocks": list(blocker.blocks),
                "fixed": list(blocker.fixed),
                "text": blocker_text(blocker),
            }
            for blocker in changes.blockers
        ],
        "failing": [
            {"rule": rule, "condition": condition, "reason": reason}
            for rule, condition, reason in (failing_conditions(changes.why_not) if changes.never else [])
        ],
        "text": [line.text.removeprefix("- ") for line in change_lines(changes)[1:]],
    }


def _option_json(option: Option, holds: bool) -> dict[str, Any]:
    return {
        "days": option.days,
        "changes": [
            {
                "field": change.field,
                "action": change.action,
                "code": change.code,
                "codes": list(change.codes),
                "connective": change.connective,
                "text": change.text,
            }
            for change in option.changes
        ],
        "reached": [
            {
                "field": reached.field,
                "attribute": reached.attribute,
                "code": reached.code,
                "value": reached.value,
                "rules": list(reached.rules),
                "text": reached.text,
            }
            for reached in option.reached
        ],
        "record": dict(option.record),
        "text": option_text(option, holds),
    }


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
