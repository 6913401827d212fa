"""``changes.yaml``: what may change in a record and how time changes it, checked against the record.

A knowledge base says in this data file (``changes`` in the manifest) which fields of its
record may change and how (a medicine stopped, a red flag evaluated, a condition
resolved, a flare-up), how time changes the others (symptom days grow by one a day, a
stopped medicine's days since its last dose too, relaxant days only while a course is
under way, age by one a year), and why the rest never change. pydantic checks the shape
(:mod:`.changes_file`); :func:`read_change_spec` checks it against the record
description and the wording's placeholders, every problem at file:line:col.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..datafile import DataFile, validate
from ..errors import KnowledgeBaseError, Problem
from .records import FieldSpec, RecordSpec

if TYPE_CHECKING:
    from .changes_file import FieldChanges, Grows, Remove, Stop

Action = Literal["set", "stop", "remove", "clear"]
Connective = Literal["if", "once", "not before"]


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
