"""When a growing value can change a fact: the days on which a comparison of the rules flips.

A counterfactual over time (:mod:`.counterfactual`) lets some input facts grow
(:class:`Growth`: an argument that grows by some amount every so many days). The rules
change truth value only where a comparison does (:mod:`..language.thresholds`); with the
growing arguments written as functions of the day, :func:`candidate_days` gives the days
on which each comparison can flip, so the search evaluates those days alone, in order.
A comparison the analysis cannot write linearly, or one over too many combinations of
growing facts, makes every day of the horizon a candidate instead: slower, never wrong.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..language.engine import Fact
from ..language.program import Rule
from ..language.thresholds import LinearComparison, Slot, crossings

MAX_COMBINATIONS = 64
"""Combinations of facts a comparison of several growing arguments is solved for; past it, every day is tried."""


@dataclass(frozen=True)
class Growth:
    """An input fact whose argument at ``position`` grows by ``by`` every ``every_days`` days."""

    fact: Fact
    position: int
    by: int
    every_days: int

    @property
    def slot(self) -> Slot:
        return (self.fact.predicate, self.position)

    @property
    def start(self) -> int:
        value = self.fact.arguments[self.position]
        assert isinstance(value, int)
        return value

    def value_on(self, day: int) -> int:
        return self.start + (day // self.every_days) * self.by

    def first_day_reaching(self, value: int) -> int | None:
        """The first day on which the argument is ``value`` or more; None when it is already."""
        if value <= self.start:
            return None
        steps = -(-(value - self.start) // self.by)
        return steps * self.every_days


@dataclass(frozen=True)
class Crossing:
    """A growing fact that reaches ``value`` on the day of a counterfactual, where ``rules`` compare it."""

    growth: Growth
    value: int
    rules: tuple[Rule, ...]


Reasons = dict[int, dict[Growth, set[Rule]]]
"""Candidate day → the growing facts that can flip a comparison that day, and the rules of those comparisons."""


def candidate_days(
    found: Sequence[LinearComparison], growth: Sequence[Growth], facts: Iterable[Fact], horizon: int
) -> Reasons:
    """Every day in 1..``horizon`` on which one of the comparisons ``found`` changes truth value.

    Between two candidate days every comparison keeps its truth value, so the facts a
    program derives stay the same: evaluating the candidate days in order finds the
    soonest day anything changes. A linear comparison gives exactly the days it flips
    (solved, then checked against the day before); one the analysis cannot write
    linearly gives every day one of its growing values changes.
    """
    by_slot: dict[Slot, list[Growth]] = defaultdict(list)
    for grown in growth:
        by_slot[grown.slot].append(grown)
    days: Reasons = defaultdict(lambda: defaultdict(set))
    values = _slot_values(facts, by_slot)
    for comparison in found:
        slots = comparison.form.slots if comparison.form is not None else comparison.slots
        growing = [grown for slot in (by_slot if slots is None else slots) for grown in by_slot.get(slot, [])]
        if not growing:
            continue
        if comparison.form is None:
            for grown in growing:
                for day in _steps(grown, horizon):
                    days[day][grown].add(comparison.rule)
        elif len(comparison.form.terms) == 1:
            for value in {point + step for point in crossings(comparison.form) for step in (0, 1)}:
                for grown in growing:
                    reached = grown.first_day_reaching(value)
                    if reached is not None and reached <= horizon and _flips(comparison, (grown,), reached):
                        days[reached][grown].add(comparison.rule)
        else:
            _linear_days(days, comparison, values, horizon)
    return days


def _slot_values(facts: Iterable[Fact], by_slot: Mapping[Slot, list[Growth]]) -> dict[Slot, list[Growth]]:
    """Each numeric slot's values, as growths (a fact that does not grow grows by 0)."""
    values: dict[Slot, list[Growth]] = defaultdict(list)
    growing = {grown.fact: grown for grown_list in by_slot.values() for grown in grown_list}
    for fact in facts:
        for position, value in enumerate(fact.arguments):
            if isinstance(value, int):
                slot = (fact.predicate, position)
                grown = growing.get(fact)
                values[slot].append(grown if grown is not None and grown.slot == slot else Growth(fact, position, 0, 1))
    return values


def _linear_days(
    days: Reasons, comparison: LinearComparison, values: Mapping[Slot, list[Growth]], horizon: int
) -> None:
    """The days a comparison of several slots flips, for every combination of their facts."""
    assert comparison.form is not None
    terms = comparison.form.terms
    combinations = list(
        itertools.islice(itertools.product(*(values.get(slot, []) for slot, _ in terms)), MAX_COMBINATIONS + 1)
    )
    if len(combinations) > MAX_COMBINATIONS:
        for grown in (grown for slot, _ in terms for grown in values.get(slot, []) if grown.by):
            for day in _steps(grown, horizon):
                days[day][grown].add(comparison.rule)
        return
    for combination in combinations:
        growing = [grown for grown in combination if grown.by]
        if not growing:
            continue
        if all(grown.every_days == 1 for grown in growing):
            # The form is start + slope * day, a whole number each day: it flips next to where it is zero.
            start = _value(comparison, combination, 0)
            slope = _value(comparison, combination, 1) - start
            if slope == 0:
                continue
            point = -start / slope
            low = point.numerator // point.denominator
            candidates: Iterable[int] = (low, low + 1)
        else:
            candidates = sorted({day for grown in growing for day in _steps(grown, horizon)})
        for day in candidates:
            if 1 <= day <= horizon and _flips(comparison, combination, day):
                for grown in growing:
                    days[day][grown].add(comparison.rule)


def _value(comparison: LinearComparison, combination: Sequence[Growth], day: int) -> Fraction:
    """The comparison's form on ``day``, each slot holding the value of the growth given for it."""
    assert comparison.form is not None
    by_slot = {grown.slot: grown for grown in combination}
    total = comparison.form.offset
    for slot, coefficient in comparison.form.terms:
        total += coefficient * by_slot[slot].value_on(day)
    return total


def _flips(comparison: LinearComparison, combination: Sequence[Growth], day: int) -> bool:
    """True when the comparison's truth on ``day`` differs from the day before."""
    return _truth(comparison.operator, _value(comparison, combination, day - 1)) != _truth(
        comparison.operator, _value(comparison, combination, day)
    )


def _truth(operator: str, value: Fraction) -> bool:
    """``value operator 0``."""
    return {
        "<": value < 0,
        "<=": value <= 0,
        ">": value > 0,
        ">=": value >= 0,
        "=": value == 0,
        "!=": value != 0,
    }[operator]


def _steps(grown: Growth, horizon: int) -> range:
    """The days in 1..``horizon`` on which ``grown`` takes a new value."""
    return range(grown.every_days, horizon + 1, grown.every_days)


def crossings_on(reasons: Mapping[Growth, set[Rule]], day: int) -> tuple[Crossing, ...]:
    return tuple(
        Crossing(grown, grown.value_on(day), tuple(sorted(rules, key=lambda rule: rule.rule_id or str(rule))))
        for grown, rules in sorted(reasons.items(), key=lambda entry: (str(entry[0].fact), entry[0].position))
    )
