"""What would change an answer, and when: counterfactuals over a patient's record.

A knowledge base says in a data file (``changes.yaml``, named ``changes`` in the
manifest) which fields of its record may change and how (a medicine stopped, a red flag
evaluated, a condition resolved, a flare-up), how time changes the others (symptom days
grow by one a day, a stopped medicine's days since its last dose too, relaxant days only
while a course is under way, age by one a year), and why the rest never change. This
module turns one record into a :class:`RecordWorld` for the generic search of
:mod:`..explain.counterfactual`: each world it evaluates is the record changed as
declared and read again through the record description, so a counterfactual is always
a valid record, answered by the same engine. :func:`find_changes` returns what the
search found as a :class:`Changes` value, worded with the knowledge base's own phrases;
:mod:`..render.changes` prints it.
"""

from __future__ import annotations

import copy
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..datafile import DataFile, validate
from ..errors import KnowledgeBaseError, Problem, RecordError
from ..explain.counterfactual import Blocker, Counterfactual, Crossing, Growth, search
from ..explain.explanation import Proof, WhyNot
from ..language.engine import Fact
from ..language.program import Atom, Constant
from .records import FieldSpec, Record, RecordSpec, in_sentence

if TYPE_CHECKING:
    from .advisor import Advisor
    from .changes_file import FieldChanges, Grows, Remove, Stop

Action = Literal["set", "stop", "remove", "clear"]
Connective = Literal["if", "once", "not before"]
Direction = Literal["make-hold", "remove"]


# -- the spec: what may change ---------------------------------------------------------


@dataclass(frozen=True)
class GrowthRule:
    """A record field (or a codes field's attribute) that grows with time."""

    field: str
    attribute: str | None
    by: int
    every_days: int
    while_above: tuple[tuple[str, int], ...]
    reached: str


@dataclass(frozen=True)
class ChangeRule:
    """A change the knowledge base allows on one field; ``wording`` per code for ``remove``."""

    field: str
    action: Action
    connective: Connective
    wording: str = ""
    codes: Mapping[str, str] | None = None
    attribute: str | None = None


@dataclass(frozen=True)
class ChangeSpec:
    horizon_days: int
    max_changes: int
    growth: tuple[GrowthRule, ...]
    changes: tuple[ChangeRule, ...]
    fixed: Mapping[str, str]
    """Why a field does not change (or changes only with time), by field or ``field.attribute``."""


_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "reached": frozenset({"value"}),
    "reached of an attribute": frozenset({"value", "label"}),
    "set": frozenset(),
    "stop": frozenset({"label"}),
    "remove": frozenset({"label"}),
    "clear": frozenset({"labels"}),
}


def read_change_spec(data_file: DataFile, record_spec: RecordSpec) -> ChangeSpec:
    """Read ``changes.yaml`` and check it against the record; every problem names file:line:col."""
    from .changes_file import ChangesFile

    raw: ChangesFile = validate(data_file, ChangesFile, "changes")
    reader = _SpecReader(data_file, record_spec)
    names = ", ".join(spec.name for spec in record_spec.fields)
    for name in raw.fields:
        if record_spec.field(name) is None:
            reader.problem(("fields", name), f"{name} is not a field of the record; fields: {names}")
    for spec in record_spec.fields:
        entry = raw.fields.get(spec.name)
        if entry is None:
            reader.problem(("fields",), f"{spec.name} is not listed: say how it may change, or why it is fixed")
        else:
            reader.field(spec, entry)
    if reader.problems:
        raise KnowledgeBaseError(reader.problems)
    return ChangeSpec(
        raw.horizon_days, raw.max_changes, tuple(reader.growth), tuple(reader.changes), dict(reader.fixed)
    )


class _SpecReader:
    """Checks each field's entry against the record description, gathering the rules and the problems."""

    def __init__(self, data_file: DataFile, record_spec: RecordSpec) -> None:
        self.data_file = data_file
        self.record_spec = record_spec
        self.problems: list[Problem] = []
        self.growth: list[GrowthRule] = []
        self.changes: list[ChangeRule] = []
        self.fixed: dict[str, str] = {}

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(self.data_file.problem(path, message, "changes"))

    def wording(self, path: tuple[str | int, ...], text: str, context: str) -> None:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        allowed = _PLACEHOLDERS[context]
        for name in sorted(names - allowed):
            shown = ", ".join("{" + each + "}" for each in sorted(allowed)) or "none"
            self.problem(path, f"{{{name}}} is not a placeholder here; allowed: {shown}")

    def field(self, spec: FieldSpec, entry: FieldChanges) -> None:
        path: tuple[str | int, ...] = ("fields", spec.name)
        if not (entry.grows or entry.set or entry.stop or entry.remove or entry.clear or entry.fixed):
            self.problem(path, "say how it may change (grows, set, stop, remove, clear) or why it is fixed")
        if entry.fixed is not None:
            self.fixed[spec.name] = entry.fixed
        if entry.grows is not None:
            if spec.type != "integer":
                self.problem((*path, "grows"), f"only a whole-number field grows; {spec.name} is {spec.type}")
            for other in entry.grows.while_above:
                other_spec = self.record_spec.field(other)
                if other_spec is None or other_spec.type != "integer":
                    self.problem((*path, "grows", "while_above", other), f"{other} is not a whole-number field")
            self.grows(path, spec.name, None, entry.grows, entry.reached)
        for action, change in (("set", entry.set), ("clear", entry.clear)):
            if change is not None:
                wanted = "boolean" if action == "set" else "codes"
                if spec.type != wanted:
                    self.problem((*path, action), f"{action} needs a {wanted} field; {spec.name} is {spec.type}")
                self.wording((*path, action, "wording"), change.wording, action)
                self.changes.append(ChangeRule(spec.name, action, change.connective, change.wording))  # type: ignore[arg-type]
        if entry.stop is not None:
            self.stop(path, spec, entry.stop)
        if entry.remove is not None:
            self.remove(path, spec, entry.remove)
        for name, attribute_entry in entry.attributes.items():
            attribute = next((each for each in spec.attributes if each.name == name), None)
            attribute_path = (*path, "attributes", name)
            if attribute is None:
                allowed = ", ".join(each.name for each in spec.attributes) or "none"
                self.problem(attribute_path, f"{name} is not an attribute of {spec.name}; attributes: {allowed}")
                continue
            if attribute_entry.fixed is not None:
                self.fixed[f"{spec.name}.{name}"] = attribute_entry.fixed
            if attribute_entry.grows is not None:
                if attribute.type != "integer" or attribute_entry.grows.while_above:
                    self.problem((*attribute_path, "grows"), "only a whole-number attribute grows, without while_above")
                self.grows(attribute_path, spec.name, name, attribute_entry.grows, attribute_entry.reached)

    def grows(
        self, path: tuple[str | int, ...], field: str, attribute: str | None, grows: Grows, reached: str | None
    ) -> None:
        if reached is None:
            self.problem(path, "reached is required with grows: how a value reached is said")
        else:
            self.wording((*path, "reached"), reached, "reached" if attribute is None else "reached of an attribute")
        rule = GrowthRule(field, attribute, grows.by, grows.every_days, tuple(grows.while_above.items()), reached or "")
        self.growth.append(rule)

    def stop(self, path: tuple[str | int, ...], spec: FieldSpec, stop: Stop) -> None:
        attribute = next((each for each in spec.attributes if each.name == stop.attribute), None)
        if spec.type != "codes" or attribute is None or attribute.type != "integer":
            self.problem(
                (*path, "stop", "attribute"), f"{stop.attribute} is not a whole-number attribute of {spec.name}"
            )
        self.wording((*path, "stop", "wording"), stop.wording, "stop")
        self.changes.append(ChangeRule(spec.name, "stop", stop.connective, stop.wording, attribute=stop.attribute))

    def remove(self, path: tuple[str | int, ...], spec: FieldSpec, remove: Remove) -> None:
        if spec.type != "codes":
            self.problem((*path, "remove"), f"remove needs a codes field; {spec.name} is {spec.type}")
        for code, text in remove.codes.items():
            if code not in spec.codes:
                allowed = ", ".join(spec.codes)
                self.problem(
                    (*path, "remove", "codes", code), f"{code} is not a code of {spec.name}; allowed: {allowed}"
                )
            self.wording((*path, "remove", "codes", code), text, "remove")
        self.changes.append(ChangeRule(spec.name, "remove", remove.connective, codes=dict(remove.codes)))


# -- one record's world ---------------------------------------------------------------


@dataclass(frozen=True)
class RecordChange:
    """One change of this record: ``code`` for stop and remove; ``codes`` the codes a clear removes."""

    field: str
    action: Action
    connective: Connective
    text: str
    code: str | None = None
    codes: tuple[str, ...] = ()


class RecordWorld:
    """A record as the counterfactual search may change it: the changes it allows, and time."""

    def __init__(
        self,
        record_spec: RecordSpec,
        change_spec: ChangeSpec,
        data: Mapping[str, Any],
        horizon_days: int,
        max_changes: int,
    ) -> None:
        self.record_spec = record_spec
        self.change_spec = change_spec
        self.horizon_days = horizon_days
        self.max_changes = max_changes
        self._data = _expanded(record_spec, data)
        self.options: tuple[RecordChange, ...] = tuple(self._options())
        self.change_count = len(self.options)

    def _options(self) -> list[RecordChange]:
        found: list[RecordChange] = []
        for rule in self.change_spec.changes:
            spec = self.record_spec.field(rule.field)
            assert spec is not None
            value = self._data.get(rule.field)
            if rule.action == "set" and value is not True:
                found.append(RecordChange(rule.field, "set", rule.connective, rule.wording))
            elif rule.action == "clear" and value:
                codes = tuple(item["code"] for item in value)
                labels = ", ".join(_label(spec, code) for code in codes)
                found.append(
                    RecordChange(rule.field, "clear", rule.connective, rule.wording.format(labels=labels), codes=codes)
                )
            elif rule.action == "stop":
                for item in value or []:
                    if rule.attribute not in item:
                        text = rule.wording.format(label=_label(spec, item["code"]))
                        found.append(RecordChange(rule.field, "stop", rule.connective, text, code=item["code"]))
            elif rule.action == "remove":
                assert rule.codes is not None
                for item in value or []:
                    if item["code"] in rule.codes:
                        text = rule.codes[item["code"]].format(label=_label(spec, item["code"]))
                        found.append(RecordChange(rule.field, "remove", rule.connective, text, code=item["code"]))
        return found

    def record(self, changes: tuple[int, ...], days: int) -> dict[str, Any]:
        """The record after ``changes`` (made today) and ``days`` days, written like the original."""
        data = self._changed(changes)
        for rule in self._growing(data):
            if rule.attribute is None:
                data[rule.field] += (days // rule.every_days) * rule.by
            else:
                for item in data[rule.field]:
                    if rule.attribute in item:
                        item[rule.attribute] += (days // rule.every_days) * rule.by
        return _written(self.record_spec, data)

    def facts(self, changes: tuple[int, ...], days: int) -> tuple[Fact, ...] | None:
        try:
            return self.record_spec.read(self.record(changes, days)).facts
        except RecordError:
            return None

    def growth(self, changes: tuple[int, ...]) -> list[Growth]:
        data = self._changed(changes)
        found: list[Growth] = []
        for rule in self._growing(data):
            spec = self.record_spec.field(rule.field)
            assert spec is not None
            if rule.attribute is None:
                found.append(Growth(Fact(spec.fact or spec.name, (data[rule.field],)), 0, rule.by, rule.every_days))
                continue
            attribute = next(each for each in spec.attributes if each.name == rule.attribute)
            for item in data[rule.field]:
                if rule.attribute in item:
                    fact = Fact(attribute.fact, (item["code"], item[rule.attribute]))
                    found.append(Growth(fact, 1, rule.by, rule.every_days))
        return found

    def _changed(self, changes: tuple[int, ...]) -> dict[str, Any]:
        data = copy.deepcopy(self._data)
        for index in changes:
            change = self.options[index]
            if change.action == "set":
                data[change.field] = True
            elif change.action == "clear":
                data[change.field] = []
            elif change.action == "remove":
                data[change.field] = [item for item in data[change.field] if item["code"] != change.code]
            else:
                rule = next(
                    rule for rule in self.change_spec.changes if rule.field == change.field and rule.action == "stop"
                )
                for item in data[change.field]:
                    if item["code"] == change.code:
                        item[rule.attribute] = 0
        return data

    def _growing(self, data: Mapping[str, Any]) -> list[GrowthRule]:
        """The growth rules that apply to ``data``: its field is there, and every ``while_above`` holds."""
        return [
            rule
            for rule in self.change_spec.growth
            if data.get(rule.field) not in (None, [])
            and all(isinstance(data.get(other), int) and data[other] > above for other, above in rule.while_above)
        ]


def _expanded(record_spec: RecordSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with every code item an object ``{code: …}``, so changes can add attributes."""
    expanded = copy.deepcopy(dict(data))
    for spec in record_spec.fields:
        if spec.type == "codes" and isinstance(expanded.get(spec.name), list):
            expanded[spec.name] = [item if isinstance(item, dict) else {"code": item} for item in expanded[spec.name]]
    return expanded


def _written(record_spec: RecordSpec, data: dict[str, Any]) -> dict[str, Any]:
    """The record as a person writes it: a code without attributes bare, an empty list left out."""
    for spec in record_spec.fields:
        if spec.type == "codes" and spec.name in data:
            if not data[spec.name]:
                del data[spec.name]
                continue
            data[spec.name] = [item["code"] if set(item) == {"code"} else item for item in data[spec.name]]
    return data


def _label(spec: FieldSpec, code: str) -> str:
    """A code's label as words inside a sentence ("monoamine oxidase inhibitor was last taken ...")."""
    label = spec.codes.get(code)
    return in_sentence(label) if label else code


# -- what the search found, worded ------------------------------------------------------


@dataclass(frozen=True)
class Reached:
    """A value a growing field reaches on the day of a counterfactual, and the rules that compare it."""

    field: str
    attribute: str | None
    code: str | None
    value: int
    rules: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Option:
    """One counterfactual: the changes made today, the day it holds (or ends), and the record then."""

    changes: tuple[RecordChange, ...]
    days: int
    reached: tuple[Reached, ...]
    record: Mapping[str, Any]


@dataclass(frozen=True)
class BlockingFact:
    """A fact no allowed change and no day within the horizon removes, which keeps rule ``blocks`` from concluding."""

    fact: str
    record: tuple[str, ...]
    """The patient's facts the blocking fact rests on, worded from the record description."""
    rules: tuple[str, ...]
    statement: str | None
    evidence: tuple[str, ...]
    blocks: tuple[str, ...]
    """The rules it keeps from concluding."""
    fixed: tuple[str, ...] = ()
    """Why the changes file does not let those facts change (its ``fixed`` of their fields)."""


@dataclass(frozen=True)
class Changes:
    """What would change ``item(code, kind)`` for one patient, and when.

    ``holds`` is whether the answer has it now; ``direction`` is what was searched:
    ``make-hold`` (the smallest changes that make it hold) or ``remove`` (that end it).
    ``options`` are the smallest found (fewest changes, each at its soonest day), each
    verified by answering its record; empty when none exists within ``horizon_days``
    and ``max_changes``: then ``blockers`` name what provably blocks it, when known, and
    ``why_not`` says where its rules fail now.
    """

    code: str
    kind: str
    fact: str
    holds: bool
    horizon_days: int
    max_changes: int
    options: tuple[Option, ...]
    blockers: tuple[BlockingFact, ...] = ()
    why_not: WhyNot | None = None
    evaluations: int = 0

    @property
    def direction(self) -> Direction:
        return "remove" if self.holds else "make-hold"

    @property
    def never(self) -> bool:
        return not self.options


def find_changes(
    advisor: Advisor,
    record: Record,
    code: str,
    kind: str,
    *,
    horizon_days: int | None = None,
    max_changes: int | None = None,
    why_not: WhyNot | None = None,
) -> Changes:
    """The smallest changes of ``record`` that give or end ``item(code, kind)``; see :class:`Changes`.

    ``why_not``, the item's explanation for this record when the caller has it, is reused.
    """
    spec = advisor.change_spec
    horizon = spec.horizon_days if horizon_days is None else horizon_days
    most = spec.max_changes if max_changes is None else max_changes
    world = RecordWorld(advisor.record_spec, spec, advisor.record_spec.data_of(record), horizon, most)
    target = Atom(advisor.answer_spec.items, (Constant(code), Constant(kind)))
    found = search(advisor.kb, world, target, advisor.analysis, why_not)
    words = _Words(advisor.record_spec, spec)
    return Changes(
        code,
        kind,
        str(target),
        found.holds,
        horizon,
        most,
        tuple(words.option(world, counterfactual) for counterfactual in found.found),
        words.blockers(found.blockers),
        found.why_not,
        found.evaluations,
    )


class _Words:
    """Words for what the search found, from the record description and the changes file."""

    def __init__(self, record_spec: RecordSpec, change_spec: ChangeSpec) -> None:
        self.record_spec = record_spec
        self.change_spec = change_spec

    def option(self, world: RecordWorld, counterfactual: Counterfactual) -> Option:
        return Option(
            tuple(world.options[index] for index in counterfactual.changes),
            counterfactual.days,
            tuple(self.reached(crossing) for crossing in counterfactual.crossings),
            world.record(counterfactual.changes, counterfactual.days),
        )

    def reached(self, crossing: Crossing) -> Reached:
        fact = crossing.growth.fact
        rules = tuple(rule.rule_id or str(rule) for rule in crossing.rules)
        for growth in self.change_spec.growth:
            spec = self.record_spec.field(growth.field)
            assert spec is not None
            if growth.attribute is None and (spec.fact or spec.name) == fact.predicate:
                text = growth.reached.format(value=crossing.value)
                return Reached(spec.name, None, None, crossing.value, rules, text)
            attribute = next((each for each in spec.attributes if each.name == growth.attribute), None)
            if attribute is not None and attribute.fact == fact.predicate:
                code = str(fact.arguments[0])
                text = growth.reached.format(value=crossing.value, label=_label(spec, code))
                return Reached(spec.name, attribute.name, code, crossing.value, rules, text)
        raise ValueError(f"{fact} does not grow under the changes file")

    def blockers(self, blockers: Sequence[Blocker]) -> tuple[BlockingFact, ...]:
        """One entry per blocking fact, naming every rule it blocks."""
        blocked: dict[Atom, list[Blocker]] = {}
        for blocker in blockers:
            blocked.setdefault(blocker.fact, []).append(blocker)
        return tuple(self.blocker(found) for found in blocked.values())

    def blocker(self, blockers: list[Blocker]) -> BlockingFact:
        proof = blockers[0].proof
        rules = proof.rules
        evidence = tuple(dict.fromkeys(each for rule in rules for each in rule.metadata.evidence))
        leaves = record_leaves(proof)
        fixed = (self.change_spec.fixed.get(self.field_of(fact)) for fact in leaves)
        return BlockingFact(
            str(blockers[0].fact),
            tuple(dict.fromkeys(self.fact_words(fact) for fact in leaves)),
            tuple(rule.rule_id or str(rule) for rule in rules if rule.rule_id),
            proof.rule.metadata.statement if proof.rule is not None else None,
            evidence,
            tuple(dict.fromkeys(blocker.rule.rule_id or str(blocker.rule) for blocker in blockers)),
            tuple(dict.fromkeys(reason for reason in fixed if reason is not None)),
        )

    def field_of(self, fact: Atom) -> str:
        """The record field (``field.attribute`` for an attribute) a fact comes from."""
        for spec in self.record_spec.fields:
            if (spec.fact or spec.name) == fact.predicate:
                return spec.name
            for attribute in spec.attributes:
                if attribute.fact == fact.predicate:
                    return f"{spec.name}.{attribute.name}"
        return fact.predicate

    def fact_words(self, fact: Atom) -> str:
        """A record fact as the record says it: ``age 80``, ``Hyperthyroidism``, ``Pregnancy, gestational week 24``."""
        values = [argument.value for argument in fact.arguments if isinstance(argument, Constant)]
        for spec in self.record_spec.fields:
            if (spec.fact or spec.name) == fact.predicate:
                if spec.type == "codes":
                    return _label(spec, str(values[0]))
                return f"{spec.name.replace('_', ' ')} {values[0]}" if values else spec.name.replace("_", " ")
            for attribute in spec.attributes:
                if attribute.fact == fact.predicate:
                    return f"{_label(spec, str(values[0]))}, {attribute.name.replace('_', ' ')} {values[1]}"
        return str(fact)


def record_leaves(proof: Proof) -> list[Atom]:
    """The record facts at the leaves of ``proof``, in the order they appear."""
    found: list[Atom] = []
    if proof.source == "record":
        found.append(proof.fact)
    for step in proof.steps:
        if isinstance(step, Proof):
            found += record_leaves(step)
    return found


def why_not_changes(advisor: Advisor, record: Record, explanations: Sequence[WhyNot]) -> list[Changes]:
    """The changes of each item an explanation of :meth:`Advisor.absences` is about, in the same order."""
    found = []
    for explanation in explanations:
        code, kind = (argument.value for argument in explanation.fact.arguments if isinstance(argument, Constant))
        found.append(find_changes(advisor, record, str(code), str(kind), why_not=explanation))
    return found
