"""The counterfactual search: the smallest changes of a subject's facts, over time, that change one fact.

A small program and a world written here (a dictionary of values, a few changes, values
that grow) specify the search apart from any record format: the soonest day is exact for
a value crossing a threshold (two values growing at different rates: test_flip_days.py), for a value
that grows in steps, and for a comparison the analysis cannot write linearly; the fewest
changes win; a fact that no world removes is named as what blocks the rule for good.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from backspasm.reasoner import load_kb
from backspasm.reasoner.explain.counterfactual import Growth, Search, search
from backspasm.reasoner.knowledge.kb import KnowledgeBase
from backspasm.reasoner.language.engine import Fact
from backspasm.reasoner.language.program import Atom
from backspasm.reasoner.language.syntax import parse_query

PROGRAM = """
.input days(d: number).
.input taken(d: number).
.input course(d: number).
.input week(w: number).
.input flag(code: symbol).
.input med(code: symbol).
.input stopped(code: symbol, days: number).

excluded(flag) :- flag(_).
excluded(maoi) :- med(maoi), not stopped(maoi, _).
excluded(maoi) :- stopped(maoi, D), D < 14.
excluded(limit) :- taken(T), T >= 21.
excluded(week) :- week(W), W >= 20.
offer :- days(D), D < 28, not excluded(_).
late :- days(D), D >= 28.
large :- days(D), D * D > 200.
"""

GROWING = {"days": (1, 1), "week": (1, 7)}
"""Value → (by, every_days); ``taken`` and ``course`` grow by 1 a day while a course is under way."""


@dataclass
class DictWorld:
    """A subject as a dictionary: ``flags`` may be cleared, a medicine taken now may be stopped."""

    record: dict[str, Any]
    horizon_days: int = 365
    max_changes: int = 2
    maximum: int = 3650
    calls: list[tuple[tuple[int, ...], int]] = field(default_factory=list)

    @property
    def options(self) -> list[tuple[str, str | None]]:
        found: list[tuple[str, str | None]] = [("clear", None)] if self.record.get("flags") else []
        return found + [("stop", code) for code, days in self.record.get("meds", {}).items() if days is None]

    @property
    def change_count(self) -> int:
        return len(self.options)

    def changed(self, changes: tuple[int, ...]) -> dict[str, Any]:
        record = copy.deepcopy(self.record)
        for index in changes:
            action, code = self.options[index]
            if action == "clear":
                record["flags"] = []
            else:
                record["meds"][code] = 0
        return record

    def facts(self, changes: tuple[int, ...], days: int) -> tuple[Fact, ...] | None:
        self.calls.append((changes, days))
        record = self.changed(changes)
        for grown in self.growth(changes):
            if grown.fact.predicate == "stopped":
                record["meds"][grown.fact.arguments[0]] = grown.value_on(days)
            else:
                record[grown.fact.predicate] = grown.value_on(days)
        if any(isinstance(value, int) and value > self.maximum for value in record.values()):
            return None
        found = [Fact(name, (record[name],)) for name in ("days", "taken", "course", "week") if name in record]
        found += [Fact("flag", (flag,)) for flag in record.get("flags", [])]
        for code, stopped in record.get("meds", {}).items():
            found.append(Fact("med", (code,)))
            if stopped is not None:
                found.append(Fact("stopped", (code, stopped)))
        return tuple(found)

    def growth(self, changes: tuple[int, ...]) -> Sequence[Growth]:
        record = self.changed(changes)
        found = [
            Growth(Fact(name, (record[name],)), 0, by, every) for name, (by, every) in GROWING.items() if name in record
        ]
        if record.get("course", 0) > 0:
            found += [Growth(Fact(name, (record[name],)), 0, 1, 1) for name in ("taken", "course")]
        found += [
            Growth(Fact("stopped", (code, days)), 1, 1, 1)
            for code, days in record.get("meds", {}).items()
            if days is not None
        ]
        return found


KB: KnowledgeBase = load_kb(text=PROGRAM)


def fact(text: str) -> Atom:
    [atom] = parse_query(text)
    assert isinstance(atom, Atom)
    return atom


def found(world: DictWorld, target: str = "offer") -> Search:
    return search(KB, world, fact(target))


def summary(result: Search, world: DictWorld) -> list[tuple[list[tuple[str, str | None]], int]]:
    return [([world.options[index] for index in option.changes], option.days) for option in result.found]


def holds_in(facts: tuple[Fact, ...], target: str = "offer") -> bool:
    with KB.session(facts) as session:
        return bool(session.solve(fact(target)))


def test_a_washout_gives_the_day_it_ends_and_the_value_reached() -> None:
    world = DictWorld({"days": 5, "taken": 0, "meds": {"maoi": 10}})
    result = found(world)
    assert not result.holds
    assert summary(result, world) == [([], 4)]
    [crossing] = result.found[0].crossings
    assert (crossing.growth.fact, crossing.value) == (Fact("stopped", ("maoi", 10)), 14)
    assert [rule.head for rule in crossing.rules] == [fact("excluded(maoi)")]
    assert holds_in(result.found[0].facts)


def test_a_medicine_taken_now_is_stopped_first_and_then_washes_out() -> None:
    world = DictWorld({"days": 5, "taken": 0, "meds": {"maoi": None}})
    assert summary(found(world), world) == [([("stop", "maoi")], 14)]


def test_a_change_that_works_at_once_beats_waiting_for_none() -> None:
    world = DictWorld({"days": 5, "taken": 0, "flags": ["fever"]})
    assert summary(found(world), world) == [([("clear", None)], 0)]


def test_fewest_changes_first_then_soonest() -> None:
    world = DictWorld({"days": 5, "taken": 0, "flags": ["fever"], "meds": {"maoi": None}})
    assert summary(found(world), world) == [([("clear", None), ("stop", "maoi")], 14)]


def test_time_alone_that_only_makes_it_worse_gives_nothing() -> None:
    result = found(DictWorld({"days": 30, "taken": 0}))
    assert result.found == () and result.blockers == ()
    assert result.why_not is not None and result.why_not.kind == "rules-fail"


def test_a_fact_no_world_removes_blocks_the_rule_for_good() -> None:
    world = DictWorld({"days": 5, "taken": 25, "flags": ["fever"]})
    result = found(world)
    assert result.found == ()
    assert [(str(blocker.fact), str(blocker.rule.head)) for blocker in result.blockers] == [
        ("excluded(limit)", "offer")
    ]
    assert [str(proof.fact) for proof in [result.blockers[0].proof]] == ["excluded(limit)"]


def test_blocked_for_good_means_by_no_change_the_search_may_make() -> None:
    without_changes = found(DictWorld({"days": 5, "taken": 0, "flags": ["fever"]}, max_changes=0))
    assert [str(blocker.fact) for blocker in without_changes.blockers] == ["excluded(flag)"]
    world = DictWorld({"days": 5, "taken": 0, "flags": ["fever"]})
    assert summary(found(world), world) == [([("clear", None)], 0)]


def test_an_item_that_holds_ends_at_the_first_threshold_crossed() -> None:
    world = DictWorld({"days": 10, "taken": 15, "course": 3})
    result = found(world)
    assert result.holds
    assert summary(result, world) == [([], 6)]
    assert {(crossing.growth.fact.predicate, crossing.value) for crossing in result.found[0].crossings} == {
        ("taken", 21)
    }
    assert not holds_in(result.found[0].facts)


def test_relaxant_days_without_a_course_do_not_grow() -> None:
    world = DictWorld({"days": 10, "taken": 15})
    assert summary(found(world), world) == [([], 18)]  # only the 28-day limit of days ends it


def test_a_value_growing_in_steps_is_reached_at_the_step() -> None:
    world = DictWorld({"days": 0, "taken": 0, "week": 18})
    assert summary(found(world), world) == [([], 14)]


def test_a_comparison_the_analysis_cannot_solve_is_tried_day_by_day() -> None:
    world = DictWorld({"days": 10, "taken": 0})
    result = found(world, "large")
    assert summary(result, world) == [([], 5)]  # 15 * 15 > 200; 14 * 14 is not
    assert result.evaluations == 6  # day 0, then days 1 to 5: every day is a candidate


def test_a_world_that_is_not_a_valid_record_is_never_evaluated() -> None:
    world = DictWorld({"days": 0, "taken": 0}, maximum=20)
    assert found(world, "late").found == ()
    assert summary(found(DictWorld({"days": 0, "taken": 0}), "late"), world) == [([], 28)]


def test_changes_the_fact_cannot_read_are_not_tried() -> None:
    with_ssri = DictWorld({"days": 30, "taken": 0, "meds": {"ssri": None}})
    without = DictWorld({"days": 30, "taken": 0})
    assert found(with_ssri).evaluations == found(without).evaluations
    assert all(days == 0 for changes, days in with_ssri.calls if changes)
