"""One record as a world for the counterfactual search: the changes it allows, and time.

:class:`RecordWorld` gives :mod:`..explain.counterfactual` the changes the changes file
allows on this record, the facts of the record after some of them and some days, and
the facts that grow with time. Each world it evaluates is the record changed as
declared and read again through the record description, so a counterfactual is always
a valid record, answered by the same engine.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import RecordError
from ..explain.counterfactual import Growth
from ..language.engine import Fact
from .change_spec import Action, ChangeSpec, Connective, GrowthRule
from .records import FieldSpec, RecordSpec, in_sentence


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
                labels = ", ".join(label_of(spec, code) for code in codes)
                found.append(
                    RecordChange(rule.field, "clear", rule.connective, rule.wording.format(labels=labels), codes=codes)
                )
            elif rule.action == "stop":
                for item in value or []:
                    if rule.attribute not in item:
                        text = rule.wording.format(label=label_of(spec, item["code"]))
                        found.append(RecordChange(rule.field, "stop", rule.connective, text, code=item["code"]))
            elif rule.action == "remove":
                assert rule.codes is not None
                for item in value or []:
                    if item["code"] in rule.codes:
                        text = rule.codes[item["code"]].format(label=label_of(spec, item["code"]))
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


def label_of(spec: FieldSpec, code: str) -> str:
    """A code's label as words inside a sentence ("monoamine oxidase inhibitor was last taken ...")."""
    label = spec.codes.get(code)
    return in_sentence(label) if label else code
