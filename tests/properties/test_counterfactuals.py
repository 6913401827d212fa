"""Counterfactuals on generated patients: every printed change gives the item, and no smaller one does.

For a generated patient and an item some rule can give, ``Advisor.changes`` returns the
smallest changes of the record (fewest, then soonest) that make the item hold, or end
it when it holds. Each option's record is built again here from the original record,
the option's changes and its day, by a second, plain reading of ``kb/changes.yaml``,
and answered again: it must give what it promises. Then every candidate world with
fewer changes, at every day of the horizon, and every one with as many changes before
the option's day, is answered by the second engine (SQL on DuckDB) in one run: none
may give the item. A "never" is checked the same way over every candidate world. The
horizon is kept small enough for that exhaustive check to stay quick: 8 patients in the
default profile (the SQL run costs about half a second whatever its size), 166 with --slow.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backspasm.reasoner.advisor.change_spec import ChangeSpec
from backspasm.reasoner.advisor.changes import Changes, Option
from backspasm.reasoner.advisor.record_world import RecordWorld
from backspasm.reasoner.api import Advisor
from backspasm.reasoner.language.engine import Fact
from backspasm.reasoner.language.program import Constant
from backspasm.reasoner.language.sql_engine import SqlEngine
from tests.strategies import patients

Record = dict[str, Any]
MOST_WORLDS = 800
"""Candidate worlds the exhaustive check answers for one example; the horizon shrinks to keep within it."""


@dataclass(frozen=True)
class Guideline:
    """The advisor, every (code, kind) a rule can give, and the second engine; shown short in a failure report."""

    advisor: Advisor = field(repr=False)
    items: list[tuple[str, str]] = field(repr=False)
    sql: SqlEngine = field(repr=False)


@pytest.fixture(scope="module")
def guideline(advisor: Advisor) -> Guideline:
    heads = {
        (rule.head.arguments[0].value, rule.head.arguments[1].value)
        for rule in advisor.kb.program.rules
        if rule.head.predicate == advisor.answer_spec.items
        and all(isinstance(argument, Constant) for argument in rule.head.arguments)
    }
    return Guideline(advisor, sorted((str(code), str(kind)) for code, kind in heads), SqlEngine(advisor.kb.program))


def written_again(spec: ChangeSpec, original: Record, option: Option) -> Record:
    """The option's record from the original, its changes and its day, read plainly from the changes file."""
    record = copy.deepcopy(original)
    for change in option.changes:
        items = [item if isinstance(item, dict) else {"code": item} for item in record.get(change.field, [])]
        if change.action == "set":
            record[change.field] = True
            continue
        if change.action == "clear":
            items = []
        elif change.action == "remove":
            items = [item for item in items if item["code"] != change.code]
        else:
            [attribute] = [
                rule.attribute for rule in spec.changes if rule.field == change.field and rule.action == "stop"
            ]
            items = [{**item, attribute: 0} if item["code"] == change.code else item for item in items]
        record[change.field] = items
    started = copy.deepcopy(record)
    for growth in spec.growth:
        steps = option.days // growth.every_days * growth.by
        if any(
            not isinstance(started.get(field), int) or started[field] <= above for field, above in growth.while_above
        ):
            continue
        if growth.attribute is None and growth.field in record:
            record[growth.field] += steps
        elif growth.attribute is not None:
            for item in record.get(growth.field, []):
                if isinstance(item, dict) and growth.attribute in item:
                    item[growth.attribute] += steps
    return record


def same_record(first: Record, second: Record) -> bool:
    def plain(record: Record) -> Record:
        return {
            name: sorted(
                (item if isinstance(item, dict) else {"code": item} for item in value), key=lambda item: item["code"]
            )
            if isinstance(value, list)
            else value
            for name, value in record.items()
            if value != []
        }

    return plain(first) == plain(second)


def holds_in_sql(sql: SqlEngine, items: str, worlds: list[tuple[Fact, ...]], code: str, kind: str) -> list[bool]:
    models = sql.evaluate(worlds, [(items, 2)]) if worlds else []
    name = f"{items}/2"
    return [(code, kind) in model[name] for model in models]


@settings(max_examples=max(8, settings.default.max_examples // 12))
@given(patients(), st.data())
def test_every_printed_change_gives_the_item_and_no_smaller_change_does(
    guideline: Guideline, patient: Record, data: st.DataObject
) -> None:
    advisor, sql = guideline.advisor, guideline.sql
    code, kind = data.draw(st.sampled_from(guideline.items), label="item")
    most = data.draw(st.sampled_from([1, 2]), label="max_changes")
    record = advisor.record_spec.data_of(advisor.read_record(patient))
    world = RecordWorld(advisor.record_spec, advisor.change_spec, record, 0, most)
    choices = [
        changes for size in range(most + 1) for changes in itertools.combinations(range(world.change_count), size)
    ]
    horizon = min(data.draw(st.sampled_from([10, 45, 400]), label="horizon"), MOST_WORLDS // len(choices) - 1)
    found: Changes = advisor.changes(record, code, kind, horizon_days=horizon, max_changes=most)
    wanted = not found.holds

    for option in found.options:
        assert same_record(dict(option.record), written_again(advisor.change_spec, record, option))
        answer = advisor.recommend(dict(option.record)).codes()
        assert (answer.get(code) == kind) == wanted, f"{option.record} does not give {found.fact}={wanted}"

    size = len(found.options[0].changes) if found.options else most
    day = found.options[0].days if found.options else horizon + 1
    index = {(change.field, change.action, change.code): position for position, change in enumerate(world.options)}
    shown = {
        tuple(sorted(index[(change.field, change.action, change.code)] for change in option.changes))
        for option in found.options
    }
    candidates = [
        (changes, days)
        for changes in choices
        if len(changes) <= size
        for days in range(horizon + 1)
        if len(changes) < size or days <= day
    ]
    worlds = [world.facts(changes, days) for changes, days in candidates]
    answered = [(candidate, facts) for candidate, facts in zip(candidates, worlds, strict=True) if facts is not None]
    truths = holds_in_sql(sql, advisor.answer_spec.items, [facts for _, facts in answered], code, kind)
    giving = {candidate for (candidate, _), truth in zip(answered, truths, strict=True) if truth == wanted}
    smaller = sorted(candidate for candidate in giving if len(candidate[0]) < size or candidate[1] < day)
    assert smaller == [], f"{[(list(changes), days) for changes, days in smaller][:3]} give {found.fact}={wanted} too"
    if found.options:
        assert {changes for changes, days in giving if days == day and len(changes) == size} == shown
